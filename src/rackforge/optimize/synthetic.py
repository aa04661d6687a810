"""Synthetic sourcing programmes of any size, for tests and benchmarks (seeded, reproducible).

Every figure here is made up to exercise the optimiser, and says so in its ``source`` field; the
shape follows the reference figures qualitatively: an incumbent East Asian source, a second Asian
or Mexican source, and US lines that must be opened (fixed cost, lead time) and cost more.
"""

from __future__ import annotations

import numpy as np

from rackforge.schema import (
    BuildPlan,
    Catalog,
    Facility,
    PartType,
    Programme,
    ProgrammeInfo,
    RackDesign,
    Site,
    Source,
    Supplier,
    TradeLane,
)

SYNTHETIC = "estimate: synthetic instance for tests and benchmarks, not a real figure"

COUNTRY_PRICE = {"TW": 1.0, "CN": 0.92, "VN": 0.97, "MY": 1.0, "KR": 1.04, "JP": 1.1, "MX": 1.08, "DE": 1.22,
                 "US": 1.25}
"""Price multiplier by country of the site (synthetic)."""

LANES_TO_US = {"TW": (0.03, 0.0), "CN": (0.03, 0.25), "VN": (0.035, 0.0), "MY": (0.035, 0.0), "KR": (0.03, 0.0),
               "JP": (0.03, 0.0), "MX": (0.015, 0.0), "DE": (0.025, 0.0)}
"""(freight share of price, duty rate) to the US (synthetic; CN's 25 % mirrors a Section 301 tariff)."""

REGION = {"TW": "East Asia", "CN": "East Asia", "KR": "East Asia", "JP": "East Asia", "VN": "Southeast Asia",
          "MY": "Southeast Asia", "MX": "North America", "US": "North America", "DE": "Europe"}

_CATEGORIES = ("compute", "memory", "networking", "optics", "cabling", "cooling", "power", "mechanical", "board")


def synthetic_programme(n_parts: int = 20, n_sources: int = 5, n_quarters: int = 8, *, seed: int = 0,
                        moq_fraction: float = 0.2, critical_fraction: float = 0.05,
                        planned_per_part: int = 1, first_year: int = 2027) -> Programme:
    """A programme with ``n_parts`` parts, ``n_sources`` sources each, over ``n_quarters`` quarters.

    Source 0 of each part is a qualified incumbent in TW/CN with capacity for the peak quarter;
    sources 1…n−1 sit in other countries with 40–90 % of peak capacity; the last
    ``planned_per_part`` sources of each part are US lines that must be opened (cost 50–400 × the
    unit price, lead time 13–39 weeks). ``moq_fraction`` of sources have a minimum order of 5–20 %
    of peak quarterly demand.
    """
    rng = np.random.default_rng(seed)
    quarters = [f"{first_year + i // 4}Q{i % 4 + 1}" for i in range(n_quarters)]
    countries = ["TW", "CN", "VN", "MY", "KR", "JP", "MX", "DE"]
    suppliers = [Supplier(id="syn-integrator", name="Synthetic integrator", hq_country="US", source=SYNTHETIC)]
    sites = [Site(id="syn-us-integration", name="US integration", supplier="syn-integrator", country="US",
                  region="North America", capabilities=("rack-integration",), source=SYNTHETIC)]
    site_ids: dict[str, list[str]] = {}
    for country in [*countries, "US"]:
        supplier = f"syn-{country.lower()}"
        suppliers.append(Supplier(id=supplier, name=f"Synthetic {country}", hq_country=country, source=SYNTHETIC))
        site_ids[country] = []
        for k in range(max(n_sources, 2)):
            sid = f"syn-{country.lower()}-{k}"
            sites.append(Site(id=sid, name=f"Site {country} {k}", supplier=supplier, country=country,
                              region=REGION[country], source=SYNTHETIC))
            site_ids[country].append(sid)

    # two designs: A all quarters, B from the second year; each uses ~70 % of the parts
    uses_a = rng.random(n_parts) < 0.7
    uses_b = ~uses_a | (rng.random(n_parts) < 0.4)
    qty = rng.choice([1, 2, 4, 8, 18, 36, 72], size=n_parts, p=[0.3, 0.2, 0.15, 0.15, 0.1, 0.05, 0.05])
    racks_a = np.round(np.linspace(8, 40, n_quarters) * (1 + 0.1 * rng.standard_normal(n_quarters))).clip(1)
    racks_b = np.where(np.arange(n_quarters) >= min(4, n_quarters // 2),
                       np.round(np.linspace(0, 48, n_quarters)), 0).astype(int)
    base_price = np.exp(rng.normal(np.log(300), 1.5, size=n_parts)).round(2) + 1.0
    critical = rng.random(n_parts) < critical_fraction

    parts, items_a, items_b, sources = [], [], [], []
    for p in range(n_parts):
        pid = f"syn-part-{p:05d}"
        parts.append(PartType(id=pid, name=f"Part {p}", category=_CATEGORIES[p % len(_CATEGORIES)],
                              critical=bool(critical[p]), reference_price_usd=float(base_price[p]),
                              source=SYNTHETIC))
        if uses_a[p]:
            items_a.append({"ref": pid, "quantity": int(qty[p])})
        if uses_b[p]:
            items_b.append({"ref": pid, "quantity": int(qty[p])})
        peak = float(qty[p] * (racks_a.max() * uses_a[p] + racks_b.max() * uses_b[p]))
        n_planned = min(planned_per_part, n_sources - 1)
        chosen = rng.choice(countries, size=n_sources, replace=n_sources > len(countries))
        chosen[0] = rng.choice(["TW", "CN"])
        for k in range(n_sources):
            planned = k >= n_sources - n_planned
            country = "US" if planned else str(chosen[k])
            site = site_ids[country][k % len(site_ids[country])]
            price = float(base_price[p] * COUNTRY_PRICE[country] * (1 + 0.05 * rng.standard_normal()))
            cap = peak * (1.1 if k == 0 else rng.uniform(0.4, 0.9))
            moq = float(np.ceil(peak * rng.uniform(0.05, 0.2))) if rng.random() < moq_fraction else 0.0
            extra: dict[str, object] = {}
            if planned:
                extra = {"qualification": "planned", "qualified_date": f"{first_year}-01-01",
                         "open_cost_usd": round(price * rng.uniform(50, 400), 2),
                         "open_lead_time_weeks": float(rng.choice([13, 26, 39]))}
            sources.append(Source(part=pid, site=site, price_usd=round(max(price, 0.5), 2),
                                  lead_time_weeks=float(rng.choice([4, 8, 12, 26])),
                                  capacity_per_quarter=float(np.ceil(cap)), moq=moq, source=SYNTHETIC, **extra))
    designs = []
    for did, items in (("syn-rack-a", items_a), ("syn-rack-b", items_b)):
        if items:
            designs.append(_design(did, items))
    plan = {q: {d.id: int(n) for d, n in zip(designs, (racks_a[i], racks_b[i]), strict=False)}
            for i, q in enumerate(quarters)}
    trade = [TradeLane(origin=c, destination="US", freight_rate=f, duty_rate=u, source=SYNTHETIC)
             for c, (f, u) in LANES_TO_US.items()]
    trade.append(TradeLane(origin="US", destination="US", freight_rate=0.01, duty_rate=0.0, source=SYNTHETIC))
    catalog = Catalog(parts={p.id: p for p in parts}, designs={d.id: d for d in designs},
                      suppliers={s.id: s for s in suppliers}, sites={s.id: s for s in sites})
    return Programme(
        info=ProgrammeInfo(name="Synthetic programme", integration_site="syn-us-integration"),
        catalog=catalog, sources=tuple(sources), trade=tuple(trade),
        build_plan=BuildPlan(quarters=plan),
        facility=Facility(rack_power_limit_w=150e3, floor_rating_kg_m2=2000, source=SYNTHETIC),
    )


def _design(did: str, items: list[dict[str, object]]) -> RackDesign:
    return RackDesign.model_validate({
        "id": did, "name": did, "generation": "synthetic", "year": 2027, "source": SYNTHETIC,
        "rack": {"standard": "orv3", "rack_units": 44, "unit_height_mm": 48, "width_mm": 600, "depth_mm": 1068,
                 "height_mm": 2286, "static_load_kg": 1400},
        "items": items,
        "power": {"distribution": "dc-busbar", "feed": {"kind": "ac-3ph", "voltage_v": 415}, "bus_voltage_v": 50},
        "cooling": {"kind": "liquid", "coolant": "pg25", "supply_temp_c": 25, "delta_t_k": 10},
    })
