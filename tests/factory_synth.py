"""A small synthetic programme (own suppliers, sites, parts and designs) for the factory and readiness tests.

Ids start with ``syn-`` so they never clash with the built-in catalog.
"""

from __future__ import annotations

from pathlib import Path

import yaml

EST = "estimate: synthetic test data"

CATALOG = {
    "suppliers": [{"id": "syn-co", "name": "Synthetic Co", "hq_country": "US", "source": EST}],
    "sites": [
        {"id": "syn-us", "name": "Synthetic US", "supplier": "syn-co", "country": "US",
         "region": "North America", "capabilities": ["rack-integration"], "source": EST},
        {"id": "syn-tw", "name": "Synthetic TW", "supplier": "syn-co", "country": "TW",
         "region": "East Asia", "source": EST},
    ],
    "parts": [
        {"id": "syn-tray", "name": "compute tray", "category": "compute", "source": EST,
         "compute": {"gpus": 4, "cpus": 2}},
        {"id": "syn-shelf", "name": "power shelf", "category": "power", "source": EST,
         "conversion": {"input_kind": "ac-3ph", "input_voltage_v": 415, "output_voltage_v": 50,
                        "output_w": 33000, "efficiency": 0.97}},
        {"id": "syn-qd", "name": "quick disconnect", "category": "cooling", "source": EST,
         "cooling": {"kind": "quick-disconnect"}},
        {"id": "syn-cable", "name": "copper cartridge", "category": "cabling", "source": EST,
         "cable": {"medium": "dac", "length_m": 1, "lanes": 2, "lane_rate_gbps": 200}},
    ],
}


def design(ident: str, status: str = "shipping", cooling: str = "liquid") -> dict:
    items = [{"ref": "syn-tray", "quantity": 18}, {"ref": "syn-shelf", "quantity": 8},
             {"ref": "syn-cable", "quantity": 4}]
    if cooling == "liquid":
        items.append({"ref": "syn-qd", "quantity": 72})
    return {
        "id": ident, "name": ident, "generation": ident, "year": 2027, "status": status, "source": EST,
        "rack": {"standard": "orv3", "rack_units": 44, "unit_height_mm": 48, "width_mm": 600, "depth_mm": 1068,
                 "height_mm": 2236, "static_load_kg": 1400},
        "items": items,
        "power": {"distribution": "dc-busbar", "feed": {"kind": "ac-3ph", "voltage_v": 415},
                  "bus_voltage_v": 50, "shelf": "syn-shelf", "shelf_count": 8},
        "cooling": {"kind": cooling, "coolant": "pg25" if cooling == "liquid" else "air", "supply_temp_c": 25,
                    "delta_t_k": 10},
        "network": {"scale_up": {"technology": "nvlink5", "gpus_per_domain": 72, "links_per_gpu": 18,
                                 "lanes_per_link": 2, "lane_rate_gbps": 200}},
    }


FACTORY = {
    "source": EST,
    "calendar": {"shifts_per_day": 3, "hours_per_shift": "8 h", "days_per_week": 7},
    "stations": [
        {"id": "l11", "name": "L11 integration", "kind": "l11-integration", "count": 2},
        {"id": "leak", "name": "leak test", "kind": "leak-test", "count": 1},
        {"id": "burn", "name": "burn-in bay", "kind": "burn-in", "count": 4},
        {"id": "bench", "name": "rework bench", "kind": "rework", "count": 1},
        {"id": "pack", "name": "pack and ship", "kind": "pack-ship", "count": 1},
    ],
    "routes": [{
        "id": "liquid", "designs": ["syn-a", "syn-b"],
        "steps": [
            {"station": "l11", "time": {"dist": "lognormal", "mean_h": "6 h", "cv": 0.2}},
            {"station": "leak", "time": "2 h", "first_pass_yield": 0.95, "rework_station": "bench",
             "rework_time": "3 h", "max_attempts": 3,
             "failure_modes": [{"id": "qd-leak", "category": "leak", "share": 0.7},
                               {"id": "manifold-leak", "category": "leak", "share": 0.3, "scrap_fraction": 0.1}]},
            {"station": "burn", "time": {"dist": "fixed", "mean_h": "24 h"}, "first_pass_yield": 0.9,
             "rework_station": "bench", "rework_time": {"dist": "exponential", "mean_h": "4 h"},
             "failure_modes": [{"id": "gpu-fail", "category": "compute", "share": 0.6, "coverage": 0.9},
                               {"id": "psu-fail", "category": "power", "share": 0.4}]},
            {"station": "pack", "time": "1.5 h"},
        ],
    }],
    "material": {"cap": "sources"},
    "simulation": {"replications": 3, "warmup_weeks": 1, "seed": 7},
}


def write_programme(folder: Path, *, plan: dict | None = None, factory: dict | None = None,
                    capacity: float = 1_000_000, extra: dict | None = None) -> Path:
    """Write the synthetic programme into ``folder`` and return it."""
    folder.mkdir(parents=True, exist_ok=True)
    catalog = dict(CATALOG)
    catalog["designs"] = [design("syn-a"), design("syn-b", status="sampling"), design("syn-air", cooling="air")]
    (folder / "catalog.yaml").write_text(yaml.safe_dump(catalog, sort_keys=False))
    programme = {
        "programme": {"name": "Synthetic", "integration_site": "syn-us"},
        "sources": [{"part": p["id"], "site": "syn-us", "price_usd": 100, "lead_time_weeks": 4,
                     "capacity_per_quarter": capacity, "source": EST} for p in CATALOG["parts"]],
        "build_plan": {"quarters": plan or {"2027Q1": {"syn-a": 30, "syn-b": 10}, "2027Q2": {"syn-a": 40}}},
        "facility": {"rack_power_limit_w": "150 kW", "floor_rating_kg_m2": 1500, "source": EST},
    }
    (folder / "programme.yaml").write_text(yaml.safe_dump(programme, sort_keys=False))
    (folder / "factory.yaml").write_text(yaml.safe_dump({"factory": factory or FACTORY}, sort_keys=False))
    for name, body in (extra or {}).items():
        (folder / name).write_text(yaml.safe_dump(body, sort_keys=False))
    return folder


def load(folder: Path):
    """Load a synthetic programme without the built-in catalog (fast; ids stay ours)."""
    from rackforge.io.loader import load_programme

    return load_programme(folder, builtin_catalog=False)


def line_of(path: Path, needle: str) -> int:
    """1-based line of the first line of ``path`` containing ``needle``."""
    for number, text in enumerate(path.read_text().splitlines(), start=1):
        if needle in text:
            return number
    raise AssertionError(needle)
