"""Programmes built in code: small hand-made ones for tests and notebooks, large random ones for benchmarks.

:func:`make_programme` builds a valid :class:`~rackforge.schema.Programme` from plain
dictionaries (parts, assemblies, designs, sites, sources, lanes, build plan) without YAML;
:func:`synthetic_programme` draws a large one (thousands of part types, tens of thousands of
source rows, nested assemblies) from a seed. All figures are invented and say so.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from rackforge.schema import (
    Assembly,
    BuildPlan,
    Catalog,
    Category,
    CoolingArchitecture,
    Facility,
    Item,
    PartType,
    PowerArchitecture,
    PowerFeed,
    Programme,
    ProgrammeInfo,
    RackDesign,
    RackFrame,
    Rules,
    Site,
    Source,
    Supplier,
    TradeLane,
)

SYNTHETIC = "estimate: synthetic figure generated for tests and benchmarks, not a real part"

_FRAME = RackFrame(standard="orv3", rack_units=44, unit_height_mm=48, width_mm=600, depth_mm=1200,
                   height_mm=2300, static_load_kg=1500)
_POWER = PowerArchitecture(distribution="dc-busbar", feed=PowerFeed(kind="ac-3ph", voltage_v=415), bus_voltage_v=50)
_COOLING = CoolingArchitecture(kind="liquid", coolant="pg25", supply_temp_c=35, delta_t_k=10)


def make_design(design_id: str, items: Sequence[tuple[str, int]], year: int = 2027) -> RackDesign:
    """A minimal rack design holding ``items`` ((ref, quantity) pairs); engineering fields are placeholders."""
    return RackDesign(id=design_id, name=design_id, generation="synthetic", year=year, rack=_FRAME,
                      items=tuple(Item(ref=r, quantity=q) for r, q in items), power=_POWER, cooling=_COOLING,
                      source=SYNTHETIC)


def make_programme(
    parts: Mapping[str, tuple[str, float | None]],
    designs: Mapping[str, Sequence[tuple[str, int]]],
    sites: Mapping[str, str],
    sources: Sequence[Mapping[str, Any]],
    build_plan: Mapping[str, Mapping[str, int]],
    assemblies: Mapping[str, Sequence[tuple[str, int]]] | None = None,
    trade: Sequence[Mapping[str, Any]] = (),
    integration_site: str = "us-integration",
    rules: Rules | None = None,
) -> Programme:
    """A validated programme from plain data.

    - ``parts``: id -> (category, reference price [USD] or None);
    - ``designs`` / ``assemblies``: id -> [(ref, quantity), ...];
    - ``sites``: id -> country code (each site gets its own supplier ``<site>-co`` unless a
      source row names ``supplier``); ``integration_site`` is added in the US if not listed;
    - ``sources``: dicts of :class:`~rackforge.schema.Source` fields (``part``, ``site``,
      ``price_usd``, ...; ``lead_time_weeks`` and ``capacity_per_quarter`` default to 10 and 1e6);
    - ``trade``: dicts of :class:`~rackforge.schema.TradeLane` fields;
    - ``build_plan``: quarter -> {design: racks}.
    """
    site_country = dict(sites)
    site_country.setdefault(integration_site, "US")
    supplier_of = {s: f"{s}-co" for s in site_country}
    for row in sources:
        if "supplier" in row:
            supplier_of[str(row["site"])] = str(row["supplier"])
    suppliers = {sup: Supplier(id=sup, name=sup, hq_country=site_country[site], source=SYNTHETIC)
                 for site, sup in supplier_of.items()}
    catalog = Catalog(
        parts={pid: PartType(id=pid, name=pid, category=Category(cat), reference_price_usd=price, source=SYNTHETIC)
               for pid, (cat, price) in parts.items()},
        assemblies={aid: Assembly(id=aid, name=aid, kind="tray", items=tuple(Item(ref=r, quantity=q) for r, q in items),
                                  source=SYNTHETIC)
                    for aid, items in (assemblies or {}).items()},
        designs={did: make_design(did, items) for did, items in designs.items()},
        suppliers=suppliers,
        sites={sid: Site(id=sid, name=sid, supplier=supplier_of[sid], country=c, region="synthetic", source=SYNTHETIC)
               for sid, c in site_country.items()},
    )
    source_rows = []
    for row in sources:
        data = {"lead_time_weeks": 10, "capacity_per_quarter": 1e6, "source": SYNTHETIC,
                **{k: v for k, v in row.items() if k != "supplier"}}
        source_rows.append(Source.model_validate(data))
    return Programme(
        info=ProgrammeInfo(name="synthetic", integration_site=integration_site),
        catalog=catalog,
        sources=tuple(source_rows),
        trade=tuple(TradeLane.model_validate({"source": SYNTHETIC, **lane}) for lane in trade),
        build_plan=BuildPlan(quarters={q: dict(v) for q, v in build_plan.items()}),
        facility=Facility(rack_power_limit_w=200_000, floor_rating_kg_m2=2000, source=SYNTHETIC),
        rules=rules,
    )


_COUNTRIES = ("US", "TW", "CN", "MX", "KR", "JP", "MY", "VN", "TH", "DE", "IN", "CA")
_CATEGORIES = tuple(c.value for c in Category)


def synthetic_programme(n_parts: int = 5000, n_sources: int = 20_000, n_designs: int = 4, n_sites: int = 400,
                        parts_per_assembly: int = 20, seed: int = 0) -> Programme:
    """A large random programme: ``n_parts`` part types, ``n_sources`` source rows, ``n_designs`` designs.

    Parts are grouped into leaf assemblies of ``parts_per_assembly``; leaf assemblies into
    modules of 5; modules into trays of 4 (three levels of nesting); each design holds a random
    subset of trays plus some loose parts. Every part has at least one source; sources are spread
    over ``n_sites`` sites in 12 countries with random prices, shares, lead times and some
    alternates qualifying in 2027–2028. Lanes to the US carry freight 2–6% and duty 0–25%.
    """
    import numpy as np

    rng = np.random.default_rng(seed)
    part_ids = [f"p{i:05d}" for i in range(n_parts)]
    cats = rng.choice(len(_CATEGORIES), n_parts)
    prices = np.round(rng.lognormal(4.0, 1.5, n_parts), 2)
    parts = {pid: (_CATEGORIES[c], float(pr)) for pid, c, pr in zip(part_ids, cats, prices, strict=True)}
    leaf = {}
    for a, start in enumerate(range(0, n_parts, parts_per_assembly)):
        chunk = part_ids[start:start + parts_per_assembly]
        leaf[f"a{a:04d}"] = [(p, int(rng.integers(1, 5))) for p in chunk]
    leaf_ids = list(leaf)
    modules = {f"m{i:04d}": [(a, int(rng.integers(1, 3))) for a in leaf_ids[j:j + 5]]
               for i, j in enumerate(range(0, len(leaf_ids), 5))}
    module_ids = list(modules)
    trays = {f"t{i:04d}": [(m, int(rng.integers(1, 3))) for m in module_ids[j:j + 4]]
             for i, j in enumerate(range(0, len(module_ids), 4))}
    tray_ids = list(trays)
    designs = {}
    for d in range(n_designs):
        chosen = rng.choice(len(tray_ids), max(1, int(len(tray_ids) * 0.6)), replace=False)
        loose = rng.choice(n_parts, 10, replace=False)
        designs[f"design-{d}"] = ([(tray_ids[i], int(rng.integers(1, 4))) for i in sorted(chosen)]
                                  + [(part_ids[i], 1) for i in sorted(loose)])
    site_ids = [f"s{i:04d}" for i in range(n_sites)]
    sites = {s: _COUNTRIES[int(rng.integers(len(_COUNTRIES)))] for s in site_ids}
    # every part one source, the rest spread at random (distinct sites per part)
    extra = rng.integers(0, n_parts, max(0, n_sources - n_parts))
    per_part = np.bincount(extra, minlength=n_parts) + 1
    per_part = np.minimum(per_part, n_sites)
    sources = []
    for p, count in enumerate(per_part):
        chosen_sites = rng.choice(n_sites, int(count), replace=False)
        for k, s in enumerate(chosen_sites):
            row: dict[str, Any] = {"part": part_ids[p], "site": site_ids[int(s)],
                                   "price_usd": float(round(prices[p] * rng.uniform(0.8, 1.3), 2)),
                                   "lead_time_weeks": float(rng.integers(2, 40))}
            if k > 0 and rng.random() < 0.25:
                row["qualification"] = "qualifying"
                row["qualified_date"] = dt.date(2027, 1, 1) + dt.timedelta(days=int(rng.integers(0, 730)))
            if rng.random() < 0.5:
                row["share"] = float(round(rng.uniform(0.1, 0.9), 2))
            sources.append(row)
    trade = [{"origin": c, "destination": "US", "freight_rate": float(round(rng.uniform(0.02, 0.06), 3)),
              "duty_rate": float(round(rng.choice([0.0, 0.025, 0.1, 0.25]), 3)), "transit_weeks": 4.0}
             for c in _COUNTRIES if c != "US"]
    trade.append({"origin": "US", "destination": "US", "freight_rate": 0.01, "duty_rate": 0.0, "transit_weeks": 1.0})
    quarters = [f"{y}Q{q}" for y in (2027, 2028) for q in (1, 2, 3, 4)]
    plan = {q: {d: int(rng.integers(5, 50)) for d in designs} for q in quarters}
    return make_programme(parts, designs, sites, sources, plan,
                          assemblies={**leaf, **modules, **trays}, trade=trade)
