"""Cooling formulas: heat split, coolant flow, CDU capacity, facility water class, airflow.

The heat balance Q = ρ · V̇ · cp · ΔT (steady flow, no phase change) gives the volume flow
of a coolant that carries heat Q with a temperature rise ΔT. Properties are taken at the mean
loop temperature (supply + ΔT / 2) from :mod:`rackforge.engineering.fluids`. Every function
takes floats or NumPy arrays.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rackforge.engineering import fluids

LITRES_PER_M3 = 1000.0
SECONDS_PER_MINUTE = 60.0
M3_PER_S_PER_CFM = 0.3048**3 / 60.0
"""One cubic foot per minute in m³/s = 0.028316846592 / 60 (exact from the international foot)."""

WATER_CLASSES_C: dict[str, float] = {"W17": 17.0, "W27": 27.0, "W32": 32.0, "W40": 40.0, "W45": 45.0}
"""ASHRAE TC9.9 liquid-cooling classes: maximum facility water supply temperature [°C]
(ASHRAE Liquid Cooling Guidelines, 5th-edition class table; W+ is above 45 °C)."""


def _out(array: Any) -> Any:
    arr = np.asarray(array)
    return float(arr) if arr.ndim == 0 else arr


def liquid_heat_w(power_w: Any, liquid_fraction: Any) -> Any:
    """Heat into the liquid loop [W] = P · f_liquid."""
    return _out(np.asarray(power_w, dtype=float) * np.asarray(liquid_fraction, dtype=float))


def air_heat_w(power_w: Any, liquid_fraction: Any) -> Any:
    """Heat into the air [W] = P · (1 − f_liquid)."""
    return _out(np.asarray(power_w, dtype=float) * (1.0 - np.asarray(liquid_fraction, dtype=float)))


def mean_loop_temp_c(supply_temp_c: Any, delta_t_k: Any) -> Any:
    """Mean coolant temperature across the rack [°C] = T_supply + ΔT / 2."""
    return _out(np.asarray(supply_temp_c, dtype=float) + np.asarray(delta_t_k, dtype=float) / 2.0)


def volume_flow_m3_s(heat_w: Any, delta_t_k: Any, density_kg_m3: Any, cp_j_kg_k: Any) -> Any:
    """Volume flow that carries heat Q at a temperature rise ΔT [m³/s] = Q / (ρ · cp · ΔT)."""
    return _out(np.asarray(heat_w, dtype=float) / (np.asarray(density_kg_m3, dtype=float)
                                                   * np.asarray(cp_j_kg_k, dtype=float)
                                                   * np.asarray(delta_t_k, dtype=float)))


def coolant_flow_lpm(heat_w: Any, delta_t_k: Any, coolant: Any, supply_temp_c: Any) -> Any:
    """Coolant flow for heat Q at rise ΔT [L/min] = 60 000 · Q / (ρ · cp · ΔT).

    ρ and cp of the coolant (code 0 water, 1 PG25) at the mean loop temperature
    T_supply + ΔT / 2. Example: 100 kW of PG25 at 25 °C + 10 K → ρ 1,019.2 kg/m³,
    cp 3,940 J/(kg·K) at 30 °C → 149.4 L/min (1.49 L/min per kW, cf. the OCP 1.5 L/min per kW).
    """
    t_mean = mean_loop_temp_c(supply_temp_c, delta_t_k)
    rho = fluids.density_kg_m3(coolant, t_mean)
    cp = fluids.specific_heat_j_kg_k(coolant, t_mean)
    return _out(volume_flow_m3_s(heat_w, delta_t_k, rho, cp) * LITRES_PER_M3 * SECONDS_PER_MINUTE)


def temperature_rise_k(heat_w: Any, flow_lpm: Any, coolant: Any, mean_temp_c: Any) -> Any:
    """Coolant temperature rise for heat Q at a flow [K] = Q / (ρ · V̇ · cp), V̇ in m³/s."""
    rho = fluids.density_kg_m3(coolant, mean_temp_c)
    cp = fluids.specific_heat_j_kg_k(coolant, mean_temp_c)
    v_dot = np.asarray(flow_lpm, dtype=float) / (LITRES_PER_M3 * SECONDS_PER_MINUTE)
    return _out(np.asarray(heat_w, dtype=float) / (rho * v_dot * cp))


def required_facility_supply_c(secondary_supply_c: Any, approach_k: Any) -> Any:
    """Warmest facility water that still gives the design's secondary supply [°C] = T_secondary − approach."""
    return _out(np.asarray(secondary_supply_c, dtype=float) - np.asarray(approach_k, dtype=float))


def warmest_water_class(max_facility_supply_c: float) -> str | None:
    """The warmest ASHRAE class whose maximum supply is at or below the temperature needed (None if none)."""
    fitting = [(t, name) for name, t in WATER_CLASSES_C.items() if t <= max_facility_supply_c]
    return max(fitting)[1] if fitting else None


def airflow_m3_s(heat_w: Any, air_delta_t_k: Any, inlet_temp_c: Any = 25.0) -> Any:
    """Air volume flow that carries heat Q at a rise ΔT [m³/s] = Q / (ρ_air · cp_air · ΔT).

    ρ_air by the ideal-gas law at the mean air temperature (inlet + ΔT / 2), 1 atm;
    cp_air = 1,006 J/(kg·K).
    """
    t_mean = np.asarray(inlet_temp_c, dtype=float) + np.asarray(air_delta_t_k, dtype=float) / 2.0
    rho = fluids.air_density_kg_m3(t_mean)
    return _out(np.asarray(heat_w, dtype=float) / (rho * fluids.AIR_CP_J_KG_K * np.asarray(air_delta_t_k, dtype=float)))


def airflow_cfm(heat_w: Any, air_delta_t_k: Any, inlet_temp_c: Any = 25.0) -> Any:
    """Air volume flow for heat Q at a rise ΔT [CFM] (see :func:`airflow_m3_s`)."""
    return _out(airflow_m3_s(heat_w, air_delta_t_k, inlet_temp_c) / M3_PER_S_PER_CFM)


def air_heat_capacity_w(airflow_cfm_: Any, air_delta_t_k: Any, inlet_temp_c: Any = 25.0) -> Any:
    """Heat an airflow removes at a rise ΔT [W] = ρ_air · V̇ · cp_air · ΔT (inverse of :func:`airflow_cfm`)."""
    t_mean = np.asarray(inlet_temp_c, dtype=float) + np.asarray(air_delta_t_k, dtype=float) / 2.0
    rho = fluids.air_density_kg_m3(t_mean)
    v_dot = np.asarray(airflow_cfm_, dtype=float) * M3_PER_S_PER_CFM
    return _out(rho * v_dot * fluids.AIR_CP_J_KG_K * np.asarray(air_delta_t_k, dtype=float))
