"""Mechanical formulas: space, mass, floor loading and the rack standards' geometry.

Rack standards (for the footprint check):

- ORv3 (OCP Open Rack V3): 600 mm wide frame, 21-inch (537 mm) equipment bay, 1 OU = 48 mm
  (OCP ORv3 base specification summaries, rack-facts.md).
- EIA-19 (EIA-310): 19-inch (482.6 mm) panel width, 450 mm between rails for equipment,
  1 RU = 44.45 mm (1.75 in); cabinets are commonly 600 or 800 mm wide.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


def _out(array: Any) -> Any:
    arr = np.asarray(array)
    return float(arr) if arr.ndim == 0 else arr


@dataclass(frozen=True)
class RackStandard:
    """Geometry a rack standard fixes [mm]."""

    name: str
    unit_height_mm: float
    bay_width_mm: float
    min_frame_width_mm: float
    max_frame_width_mm: float
    source: str


RACK_STANDARDS: dict[str, RackStandard] = {
    "orv3": RackStandard("orv3", 48.0, 537.0, 600.0, 600.0,
                         "OCP Open Rack V3 base specification summaries (rack-facts.md): 600 mm wide, "
                         "21-inch 537 mm bay, 1 OU = 48 mm"),
    "eia-19": RackStandard("eia-19", 44.45, 450.0, 482.6, 800.0,
                           "EIA-310: 19-inch (482.6 mm) panels, 450 mm between rails, 1 RU = 1.75 in = "
                           "44.45 mm; 600 or 800 mm cabinets common"),
}


def floor_loading_kg_m2(mass_kg: Any, width_mm: Any, depth_mm: Any) -> Any:
    """Distributed floor load under the rack footprint [kg/m²] = m / (w · d), w and d in metres.

    GB200 NVL72 example: 1,360 kg on 0.6 m × 1.2 m = 1,889 kg/m².
    """
    area_m2 = np.asarray(width_mm, dtype=float) / 1000.0 * np.asarray(depth_mm, dtype=float) / 1000.0
    return _out(np.asarray(mass_kg, dtype=float) / area_m2)


def stack_height_mm(rack_units: Any, unit_height_mm: Any) -> Any:
    """Height of a stack of rack units [mm] = units · unit height."""
    return _out(np.asarray(rack_units, dtype=float) * np.asarray(unit_height_mm, dtype=float))


def unit_height_matches(standard: str, unit_height_mm: float, tolerance_mm: float = 0.05) -> bool:
    """True when a frame's unit height is its standard's (48 mm OU for ORv3, 44.45 mm RU for EIA-19)."""
    return abs(RACK_STANDARDS[standard].unit_height_mm - unit_height_mm) <= tolerance_mm
