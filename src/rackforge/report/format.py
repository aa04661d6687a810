"""Number formatting for the report: one formatter per quantity kind, shared by tables, headlines and summary.

Money has two forms, each used everywhere for its purpose:

- **in tables** (:func:`money`): whole dollars with thousands separators, ``$4,460``, ``−$15,120``, ``$0``;
  amounts under $100 keep their cents, ``$2.16`` (a price per GPU-hour or per unit);
- **in headlines and sentences** (:func:`money_compact`): two decimals with a k/M/B suffix,
  ``$4.46 k``, ``$9.29 B``, ``−$15.12 k``.

Negative amounts take a true minus sign before the dollar sign. Every other kind is a number without
its unit (the unit is in the column header, :mod:`rackforge.report.columns`); :meth:`Kind.text` adds it
for sentences. Percentages are fractions 0-1 shown as ``65.3%``.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

MINUS = "\u2212"
"""The minus sign shown before negative numbers and amounts."""

MONEY_SCALES = ((1e9, " B"), (1e6, " M"), (1e3, " k"))
"""Suffixes of :func:`money_compact`, largest first."""


def _signed(text: str, negative: bool) -> str:
    return (MINUS + text) if negative else text


def money(value: float) -> str:
    """A dollar amount for a table: ``4460.2`` -> ``$4,460``; ``2.164`` -> ``$2.16``; ``-15120`` -> ``−$15,120``."""
    amount = abs(value)
    whole = round(amount, 2) >= 100 or round(amount, 2) == 0
    text = f"${amount:,.0f}" if whole else f"${amount:,.2f}"
    return _signed(text, value < 0 and text != "$0")


def money_scale(value: float) -> tuple[float, str]:
    """The divisor and suffix :func:`money_compact` uses for ``value`` [USD]: (1e6, " M") for 3.4e6."""
    return next(((s, x) for s, x in MONEY_SCALES if abs(value) >= s), (1.0, ""))


def money_compact(value: float) -> str:
    """A dollar amount for a headline: ``3412345.6`` -> ``$3.41 M``; ``-15120`` -> ``−$15.12 k``."""
    scale, suffix = money_scale(value)
    text = f"${abs(value) / scale:,.2f}{suffix}"
    return _signed(text, value < 0 and abs(value) / scale >= 0.005)


usd = money_compact
"""The compact money format (kept under its old name for callers that say ``usd``)."""


def percent(fraction: float, decimals: int = 1) -> str:
    """A fraction as a percentage: ``0.653`` -> ``65.3%`` [text]."""
    return f"{fraction * 100:.{decimals}f}%".replace("-", MINUS)


def grouped(value: float, decimals: int = 0) -> str:
    """A number with thousands separators and a true minus sign: ``-1234.5`` -> ``−1,234.5``."""
    return f"{value:,.{decimals}f}".replace("-", MINUS)


def general(value: float) -> str:
    """A number rounded by its size: whole above 100, one decimal above 10, else three significant digits."""
    if float(value).is_integer() or abs(value) >= 100:
        return grouped(value)
    if abs(value) >= 10:
        return grouped(value, 1)
    return f"{value:.3g}".replace("-", MINUS)


def fixed(decimals: int) -> Callable[[float], str]:
    """A formatter with ``decimals`` decimals and thousands separators."""
    def formatter(value: float) -> str:
        return grouped(value, decimals)
    return formatter


def date_text(value: Any) -> str:
    """A date as ISO text, without a time of day: ``2027-01-15`` [text]."""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value)
    return text[:10] if len(text) >= 10 and text[4:5] == "-" and text[7:8] == "-" else text


@dataclass(frozen=True)
class Kind:
    """A kind of quantity: its unit (shown in headers), how a number of it is written, its Excel format."""

    name: str
    unit: str
    number: Callable[[float], str]
    excel: str = "General"
    numeric: bool = True

    def text(self, value: float) -> str:
        """The value with its unit, for a sentence: ``1,390 A``, ``$4.46 k``, ``65.3%``."""
        if self.name == "money":
            return money_compact(value)
        shown = self.number(value)
        return f"{shown} {self.unit}" if self.unit and self.unit != "%" else shown


KINDS: dict[str, Kind] = {k.name: k for k in (
    Kind("money", "USD", money, '"$"#,##0.00;-"$"#,##0.00'),
    Kind("percent", "%", percent, "0.0%"),
    Kind("power_kw", "kW", lambda v: grouped(v, 1 if abs(v) >= 10 else 2), "#,##0.00"),
    Kind("power_w", "W", fixed(0), "#,##0"),
    Kind("current_a", "A", fixed(0), "#,##0"),
    Kind("voltage_v", "V", fixed(0), "#,##0"),
    Kind("flow_lpm", "L/min", fixed(0), "#,##0"),
    Kind("weeks", "weeks", fixed(1), "#,##0.0"),
    Kind("hours", "h", fixed(1), "#,##0.0"),
    Kind("days", "days", fixed(0), "#,##0"),
    Kind("racks", "racks", fixed(1), "#,##0.0"),
    Kind("racks_per_week", "racks/week", fixed(2), "#,##0.00"),
    Kind("mass_kg", "kg", fixed(0), "#,##0"),
    Kind("length_m", "m", fixed(1), "#,##0.0"),
    Kind("count", "", general, "#,##0"),
    Kind("score", "", fixed(3), "0.000"),
    Kind("index", "", general, "#,##0"),
    Kind("mrl", "MRL", general, "0"),
    Kind("year", "", lambda v: f"{v:.0f}", "0", numeric=False),
    Kind("date", "", date_text, "General", numeric=False),
    Kind("number", "", general),
    Kind("text", "", str, "General", numeric=False),
)}
"""Every quantity kind the report shows, by name."""


def kind(name: str) -> Kind:
    """The :class:`Kind` called ``name`` (KeyError for an unknown one)."""
    return KINDS[name]


def cell(value: Any, kind_name: str = "number") -> str:
    """A table cell: ``value`` written as a quantity of ``kind_name``, blank for a missing value [text]."""
    if value is None or type(value).__name__ in ("NAType", "NaTType"):
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    k = KINDS.get(kind_name, KINDS["number"])
    if isinstance(value, int | float):
        if isinstance(value, float) and math.isnan(value):
            return ""
        if not k.numeric and k.name not in ("year",):
            return str(value)
        return k.number(value)
    if k.name == "date":
        return date_text(value)
    return str(value)


def short_name(name: str) -> str:
    """A design's name without its parenthesised details: 'GB300 NVL72 (ORv3-style, ...)' -> 'GB300 NVL72'."""
    head = name.split(" (", 1)[0].strip()
    return head or name
