"""Small sourcing problems written out by hand, for the optimiser's tests."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import scipy.sparse

from rackforge.calendar import quarter_start
from rackforge.core.bom import BomStructure
from rackforge.core.supply import synthetic_supply_view
from rackforge.optimize.data import OptimizeInput, SourcingContext
from rackforge.schema.rules import DomesticContentRule, builtin_rules
from rackforge.sourcing.domestic import DomesticContentCalculator


def make_input(*, parts: Sequence[str], quarters: Sequence[str], parts_per_rack: Sequence[Sequence[float]],
               racks: Sequence[Sequence[float]], sources: Sequence[dict[str, object]],
               critical: Sequence[bool] | None = None, categories: Sequence[str] | None = None,
               reference_price_usd: Sequence[float] | None = None, holding_rate: float = 0.0,
               designs: Sequence[str] | None = None, rule: DomesticContentRule | None = None) -> OptimizeInput:
    """An :class:`OptimizeInput` from plain lists.

    Each source is a dict with ``part`` (index), ``site``, ``country``, ``price`` and optionally
    ``freight``, ``duty`` (per unit), ``capacity``, ``moq``, ``open_cost``, ``needs_open`` (a planned
    source), ``ready`` (its qualified date: it ships from then; a planned source without one is
    expected on the first day of the plan). Domestic content is the sourcing module's calculator
    under ``rule`` (default FAR 25.101: domestic means US, content cost = landed cost, unknown origin
    foreign at the reference price, none given: nothing).
    """
    n_p, n_s = len(parts), len(sources)
    rule = rule or builtin_rules()["far-25.101"]
    design_ids = list(designs or [f"design-{i}" for i in range(len(racks))])
    years = sorted({int(q[:4]) for q in quarters})
    categories = list(categories or ["cooling"] * n_p)
    qty = np.array(parts_per_rack, dtype=float).reshape(len(racks), n_p)
    racks_dt = np.array(racks, dtype=float).reshape(len(racks), len(quarters))
    price = np.array([float(s["price"]) for s in sources])  # type: ignore[arg-type]
    freight = np.array([float(s.get("freight", 0.0)) for s in sources])  # type: ignore[arg-type]
    duty = np.array([float(s.get("duty", 0.0)) for s in sources])  # type: ignore[arg-type]
    needs_open = [bool(s.get("needs_open", False)) for s in sources]
    first_day = quarter_start(quarters[0])
    qualified: list[dt.date | None] = [
        s.get("ready") or (first_day if opens else None)  # type: ignore[misc]
        for s, opens in zip(sources, needs_open, strict=True)]
    countries = [str(s["country"]) for s in sources]
    structure = BomStructure(
        part_ids=tuple(parts), part_name=tuple(p.title() for p in parts),
        part_category=np.array(categories, dtype=str), design_ids=tuple(design_ids), assembly_ids=(),
        assembly_name=(), assembly_kind=(), quantity_per_rack=qty,  # type: ignore[arg-type]
        assemblies_per_rack=np.zeros((len(racks), 0), dtype=np.int64),
        assembly_parts=scipy.sparse.csr_array((0, n_p)), categories=tuple(sorted(set(categories))))
    network = synthetic_supply_view(parts, [
        {"part": parts[int(s["part"])], "site": str(s["site"]), "country": str(s["country"]),  # type: ignore[call-overload]
         "price_usd": price[i], "freight_usd": freight[i], "duty_usd": duty[i], "status": 2 if needs_open[i] else 0}
        for i, s in enumerate(sources)])
    network = network.with_sources(
        reference_price_usd=np.array(reference_price_usd or [np.nan] * n_p, dtype=float))
    context = SourcingContext(DomesticContentCalculator.build(structure, network, rule), np.arange(n_s),
                              np.arange(n_p), np.arange(len(design_ids)), tuple(quarters), racks_dt.T, "US",
                              tuple(design_ids))
    return OptimizeInput(
        part_ids=np.array(parts, dtype=str),
        part_names=np.array([p.title() for p in parts], dtype=str),
        part_category=np.array(categories, dtype=str),
        part_critical=np.array(critical or [False] * n_p, dtype=bool),
        quarters=np.array(quarters, dtype=str),
        quarter_year=np.array([int(q[:4]) for q in quarters], dtype=np.int64),
        years=np.array(years, dtype=np.int64),
        design_ids=np.array(design_ids, dtype=str),
        parts_per_rack=qty,
        racks=racks_dt,
        source_part=np.array([int(s["part"]) for s in sources], dtype=np.int64),  # type: ignore[call-overload]
        source_site=np.array([str(s["site"]) for s in sources], dtype=str),
        source_country=np.array(countries, dtype=str),
        source_qualification=np.array(["planned" if opens else "qualified" for opens in needs_open], dtype=str),
        price_usd=price, freight_usd=freight, duty_usd=duty,
        capacity_per_quarter=np.array([float(s.get("capacity", 1e6)) for s in sources]),  # type: ignore[arg-type]
        moq_units=np.array([float(s.get("moq", 0.0)) for s in sources]),  # type: ignore[arg-type]
        open_cost_usd=np.array([float(s.get("open_cost", 0.0)) for s in sources]),  # type: ignore[arg-type]
        qualified_date=tuple(qualified),
        operational_from=(None,) * n_s,
        open_lead_time_weeks=np.zeros(n_s),
        lead_time_weeks=np.zeros(n_s),
        sourcing=context,
        holding_rate_per_quarter=holding_rate,
    )
