"""Number formatting shared by the HTML tables and the executive summary."""

from __future__ import annotations

import math
from typing import Any


def usd(value: float) -> str:
    """A dollar amount with a k/M/B suffix: ``3412345.6`` -> ``$3.41 M`` [text]."""
    for scale, suffix in ((1e9, " B"), (1e6, " M"), (1e3, " k")):
        if abs(value) >= scale:
            return f"${value / scale:,.2f}{suffix}"
    return f"${value:,.2f}"


def percent(fraction: float, decimals: int = 1) -> str:
    """A fraction as a percentage: ``0.653`` -> ``65.3%`` [text]."""
    return f"{fraction * 100:.{decimals}f}%"


def cell(value: Any, column: str = "") -> str:
    """A table cell: numbers rounded by what the column name says they are, blanks for missing [text]."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value) if column.lower() in ("year", "seed", "rank") else f"{value:,}"
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        name = column.lower()
        if ("share" in name or "fraction" in name or name.endswith("yield") or "[fraction]" in name
                or name in ("margin", "domestic_content", "threshold", "weight", "raise_to", "lower_to",
                            "smallest_change", "utilisation", "availability", "discount_rate", "target",
                            "country_cap")):
            return percent(value)
        if "usd" in name and abs(value) >= 100:
            return f"{value:,.0f}"
        if abs(value) >= 1000:
            return f"{value:,.0f}"
        if abs(value) >= 10:
            return f"{value:,.1f}"
        return f"{value:.3g}"
    return str(value)


def short_name(name: str) -> str:
    """A design's name without its parenthesised details: 'GB300 NVL72 (ORv3-style, ...)' -> 'GB300 NVL72'."""
    head = name.split(" (", 1)[0].strip()
    return head or name
