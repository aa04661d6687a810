"""Coolant properties by temperature: water, PG25 and air.

Density and specific heat of the liquids are tabulated against temperature from published
tables and interpolated linearly (NumPy, so temperatures may be arrays). Beyond the ends of
a table the last segment is extended linearly; the tables cover 0–80 °C (water) and
0–45 °C (PG25), and extrapolation to 60 °C moves PG25 cp by < 1 % and density by < 1 %.

Coolants are coded as integers so that a sweep can hold an array of them:
``WATER = 0``, ``PG25 = 1`` (see :data:`COOLANT_CODES`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

WATER, PG25 = 0, 1
COOLANT_CODES: dict[str, int] = {"water": WATER, "pg25": PG25}
COOLANT_NAMES: dict[int, str] = {v: k for k, v in COOLANT_CODES.items()}


@dataclass(frozen=True)
class FluidTable:
    """Density [kg/m³] and specific heat [J/(kg·K)] of a liquid at tabulated temperatures [°C]."""

    name: str
    temp_c: tuple[float, ...]
    density_kg_m3: tuple[float, ...]
    cp_j_kg_k: tuple[float, ...]
    source: str
    freezing_point_c: float


WATER_TABLE = FluidTable(
    name="water",
    temp_c=(0.0, 10.0, 20.0, 25.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0),
    density_kg_m3=(999.84, 999.70, 998.21, 997.05, 995.65, 992.22, 988.04, 983.20, 977.76, 971.80),
    cp_j_kg_k=(4217.6, 4192.1, 4181.8, 4180.0, 4178.4, 4178.5, 4180.6, 4184.3, 4189.5, 4196.3),
    source=("liquid water at 1 atm, CRC Handbook values as tabulated at "
            "https://wfrjr.com/data/formula/data/water.html (cp 10–80 °C, density); cp at 0 °C from "
            "https://chem-casts.com/data-tables/water-specific-heat-capacity-data-table; density at 50 and "
            "70 °C from https://www.engineeringtoolbox.com/water-density-specific-weight-d_595.html; cp at "
            "25 °C interpolated; all within 0.1 % of Incropera Table A.6 (amesweb.info)"),
    freezing_point_c=0.0,
)

PG25_TABLE = FluidTable(
    name="pg25",
    temp_c=(0.0, 5.0, 10.0, 15.0, 20.0, 25.0, 30.0, 35.0, 40.0, 45.0),
    density_kg_m3=(1031.0, 1029.4, 1027.6, 1025.7, 1023.7, 1021.5, 1019.2, 1016.8, 1014.3, 1011.6),
    cp_j_kg_k=(3860.0, 3870.0, 3890.0, 3900.0, 3910.0, 3920.0, 3940.0, 3950.0, 3960.0, 3970.0),
    source=("25 % propylene glycol in water: Airedale DeltaChill manual, glycol design data "
            "(https://www.easymanua.ls/airedale/deltachill/manual?p=53); agrees with rack-facts.md "
            "(cp 3.92 kJ/(kg·K), ρ 1,021.5 kg/m³ at 25 °C; cp 3.96, ρ 1,014.3 at 40 °C)"),
    freezing_point_c=-9.6,
)

TABLES: dict[int, FluidTable] = {WATER: WATER_TABLE, PG25: PG25_TABLE}

AIR_CP_J_KG_K = 1006.0
"""Specific heat of dry air near room temperature [J/(kg·K)] (Engineering ToolBox, air properties)."""
AIR_GAS_CONSTANT_J_KG_K = 287.05
"""Specific gas constant of dry air [J/(kg·K)] = R / M = 8.314462 / 0.0289647."""
STANDARD_PRESSURE_PA = 101_325.0
"""Standard atmosphere [Pa]."""


def interpolate_extended(x: Any, xs: tuple[float, ...], ys: tuple[float, ...]) -> Any:
    """Linear interpolation in a table, extending the end segments linearly beyond it.

    ``np.interp`` inside the table; outside, the straight line through the two end points.
    Accepts a float or an array [same unit as ``ys``].
    """
    xa = np.asarray(x, dtype=float)
    inside = np.interp(xa, xs, ys)
    low_slope = (ys[1] - ys[0]) / (xs[1] - xs[0])
    high_slope = (ys[-1] - ys[-2]) / (xs[-1] - xs[-2])
    out = np.where(xa < xs[0], ys[0] + low_slope * (xa - xs[0]),
                   np.where(xa > xs[-1], ys[-1] + high_slope * (xa - xs[-1]), inside))
    return float(out) if out.ndim == 0 else out


def density_kg_m3(coolant: Any, temp_c: Any) -> Any:
    """Density of a liquid coolant [kg/m³] at ``temp_c`` [°C]; ``coolant`` is a code (0 water, 1 PG25)."""
    water = interpolate_extended(temp_c, WATER_TABLE.temp_c, WATER_TABLE.density_kg_m3)
    pg25 = interpolate_extended(temp_c, PG25_TABLE.temp_c, PG25_TABLE.density_kg_m3)
    return _select(coolant, water, pg25)


def specific_heat_j_kg_k(coolant: Any, temp_c: Any) -> Any:
    """Specific heat of a liquid coolant [J/(kg·K)] at ``temp_c`` [°C]; ``coolant`` 0 water, 1 PG25."""
    water = interpolate_extended(temp_c, WATER_TABLE.temp_c, WATER_TABLE.cp_j_kg_k)
    pg25 = interpolate_extended(temp_c, PG25_TABLE.temp_c, PG25_TABLE.cp_j_kg_k)
    return _select(coolant, water, pg25)


def _select(coolant: Any, water: Any, pg25: Any) -> Any:
    code = np.asarray(coolant)
    if code.ndim == 0:
        if int(code) not in TABLES:
            raise ValueError(f"unknown coolant code {int(code)}; valid: {COOLANT_CODES}")
        return water if int(code) == WATER else pg25
    return np.where(code == PG25, pg25, water)


def air_density_kg_m3(temp_c: Any, pressure_pa: Any = STANDARD_PRESSURE_PA) -> Any:
    """Density of dry air [kg/m³] by the ideal-gas law ρ = p / (R · T), T in kelvin."""
    out = np.asarray(pressure_pa, dtype=float) / (AIR_GAS_CONSTANT_J_KG_K * (np.asarray(temp_c, dtype=float)
                                                                             + 273.15))
    return float(out) if out.ndim == 0 else out
