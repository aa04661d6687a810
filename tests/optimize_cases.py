"""Small sourcing problems written out by hand, for the optimiser's tests."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np

from rackforge.optimize.data import OptimizeInput, available_fraction


def make_input(*, parts: Sequence[str], quarters: Sequence[str], parts_per_rack: Sequence[Sequence[float]],
               racks: Sequence[Sequence[float]], sources: Sequence[dict[str, object]],
               critical: Sequence[bool] | None = None, categories: Sequence[str] | None = None,
               reference_price_usd: Sequence[float] | None = None, holding_rate: float = 0.0,
               designs: Sequence[str] | None = None) -> OptimizeInput:
    """An :class:`OptimizeInput` from plain lists.

    Each source is a dict with ``part`` (index), ``site``, ``country``, ``price`` and optionally
    ``freight``, ``duty`` (per unit), ``capacity``, ``moq``, ``open_cost``, ``needs_open``,
    ``ready`` (a date). Domestic means country US; content cost = landed cost.
    """
    n_p = len(parts)
    years = sorted({int(q[:4]) for q in quarters})
    price = np.array([float(s["price"]) for s in sources])  # type: ignore[arg-type]
    freight = np.array([float(s.get("freight", 0.0)) for s in sources])  # type: ignore[arg-type]
    duty = np.array([float(s.get("duty", 0.0)) for s in sources])  # type: ignore[arg-type]
    ready: list[dt.date | None] = [s.get("ready") for s in sources]  # type: ignore[misc]
    frac = np.array([available_fraction(r, list(quarters)) for r in ready]).reshape(len(sources), len(quarters))
    countries = [str(s["country"]) for s in sources]
    return OptimizeInput(
        part_ids=np.array(parts, dtype=str),
        part_names=np.array([p.title() for p in parts], dtype=str),
        part_category=np.array(categories or ["cooling"] * n_p, dtype=str),
        part_critical=np.array(critical or [False] * n_p, dtype=bool),
        part_reference_price_usd=np.array(reference_price_usd or [np.nan] * n_p, dtype=float),
        quarters=np.array(quarters, dtype=str),
        quarter_year=np.array([int(q[:4]) for q in quarters], dtype=np.int64),
        years=np.array(years, dtype=np.int64),
        design_ids=np.array(designs or [f"design-{i}" for i in range(len(racks))], dtype=str),
        parts_per_rack=np.array(parts_per_rack, dtype=float).reshape(len(racks), n_p),
        racks=np.array(racks, dtype=float).reshape(len(racks), len(quarters)),
        source_part=np.array([int(s["part"]) for s in sources], dtype=np.int64),  # type: ignore[call-overload]
        source_site=np.array([str(s["site"]) for s in sources], dtype=str),
        source_country=np.array(countries, dtype=str),
        source_domestic=np.array([c == "US" for c in countries], dtype=bool),
        source_qualification=np.array(["planned" if s.get("needs_open") else "qualified" for s in sources],
                                      dtype=str),
        price_usd=price, freight_usd=freight, duty_usd=duty, content_cost_usd=price + freight + duty,
        capacity_per_quarter=np.array([float(s.get("capacity", 1e6)) for s in sources]),  # type: ignore[arg-type]
        moq_units=np.array([float(s.get("moq", 0.0)) for s in sources]),  # type: ignore[arg-type]
        needs_open=np.array([bool(s.get("needs_open", False)) for s in sources], dtype=bool),
        open_cost_usd=np.array([float(s.get("open_cost", 0.0)) for s in sources]),  # type: ignore[arg-type]
        ready_date=tuple(ready),
        available_fraction=frac,
        lead_time_weeks=np.zeros(len(sources)),
        holding_rate_per_quarter=holding_rate,
    )
