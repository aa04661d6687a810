"""Power formulas: IT load, redundancy, busbar and feed current, conversion losses, battery ride-through.

Every function takes floats or NumPy arrays (one entry per design variant) and returns the
same shape. Electrical conventions: DC currents are I = P / V; three-phase AC currents are
line currents I = P / (√3 · V_LL · PF) with V_LL the line-to-line RMS voltage.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

REDUNDANCY_CODES: dict[str, float] = {"N": 0.0, "N+1": 1.0, "N+2": 2.0, "N+N": -1.0}
"""Redundancy as a number for vectorised checks: spare units (0, 1, 2) or −1 for N+N (half spare)."""


def _out(array: Any) -> Any:
    arr = np.asarray(array)
    return float(arr) if arr.ndim == 0 else arr


def redundancy_code(redundancy: str) -> float:
    """Numeric code of a redundancy scheme ('N', 'N+1', 'N+2', 'N+N') for the vectorised formulas."""
    try:
        return REDUNDANCY_CODES[str(redundancy)]
    except KeyError:
        raise ValueError(f"unknown redundancy {redundancy!r}; valid: {', '.join(REDUNDANCY_CODES)}") from None


def spare_units(count: Any, code: Any) -> Any:
    """Units held in reserve [units]: the code (0, 1, 2) for N, N+1, N+2; ⌈count / 2⌉ for N+N (code −1).

    N+N keeps one full set in reserve, so with an odd count the larger half is reserve.
    """
    count_a = np.asarray(count, dtype=float)
    code_a = np.asarray(code, dtype=float)
    return _out(np.where(code_a < 0, np.ceil(count_a / 2.0), code_a))


def usable_units(count: Any, code: Any) -> Any:
    """Units that may carry load with the reserve kept idle [units]: max(count − spares, 0)."""
    return _out(np.maximum(np.asarray(count, dtype=float) - spare_units(count, code), 0.0))


def usable_capacity_w(unit_capacity_w: Any, count: Any, code: Any) -> Any:
    """Capacity left after the redundant units fail [W] = usable_units × unit capacity.

    Example: 8 × 33 kW shelves at N+N → 4 × 33 kW = 132 kW (NVIDIA power shelf manual).
    """
    return _out(usable_units(count, code) * np.asarray(unit_capacity_w, dtype=float))


def load_per_unit_w(load_w: Any, count: Any) -> Any:
    """Load on each of ``count`` units sharing ``load_w`` equally [W] (0 when there are none)."""
    count_a = np.asarray(count, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return _out(np.where(count_a > 0, np.asarray(load_w, dtype=float) / np.where(count_a > 0, count_a, 1), 0.0))


def power_at_utilisation_w(max_power_w: Any, utilisation: Any, idle_power_w: Any = 0.0) -> Any:
    """Power at a utilisation between idle and maximum [W]: P = P_idle + u · (P_max − P_idle).

    A linear load model; with no idle figure (``idle_power_w = 0``) it is P = u · P_max.
    """
    p_max = np.asarray(max_power_w, dtype=float)
    p_idle = np.asarray(idle_power_w, dtype=float)
    return _out(p_idle + np.asarray(utilisation, dtype=float) * (p_max - p_idle))


def dc_current_a(power_w: Any, voltage_v: Any) -> Any:
    """DC current [A] = P / V (busbar current at the bus voltage)."""
    return _out(np.asarray(power_w, dtype=float) / np.asarray(voltage_v, dtype=float))


def busbar_current_a(it_power_w: Any, downstream_efficiency: Any, bus_voltage_v: Any) -> Any:
    """Current the DC bus carries [A] = P_IT / (Π η_downstream · V_bus).

    The bus delivers the IT load plus the losses of every stage it feeds: its own I²R loss
    (the busbar stage's efficiency) and the tray or blade DC-DC converters after it, so the
    power it carries is P_IT / Π η of those stages (η = 1: the bare P / V). Example, GB300
    NVL72: 135 kW / (0.995 busbar × 0.975 tray DC-DC × 50 V) = 2,783 A, 1,392 A on each of
    two busbars (rack-facts.md quotes ~1,400 A per busbar).
    """
    return dc_current_a(input_power_w(it_power_w, downstream_efficiency), bus_voltage_v)


def three_phase_line_current_a(power_w: Any, line_voltage_v: Any, power_factor: Any = 1.0) -> Any:
    """Line current of a balanced three-phase load [A] = P / (√3 · V_LL · PF), V_LL line-to-line RMS."""
    return _out(np.asarray(power_w, dtype=float)
                / (math.sqrt(3.0) * np.asarray(line_voltage_v, dtype=float) * np.asarray(power_factor, dtype=float)))


def single_phase_current_a(power_w: Any, voltage_v: Any, power_factor: Any = 1.0) -> Any:
    """Current of a single-phase load [A] = P / (V · PF), V the RMS voltage."""
    return _out(np.asarray(power_w, dtype=float) / (np.asarray(voltage_v, dtype=float)
                                                     * np.asarray(power_factor, dtype=float)))


def feed_current_a(power_w: Any, voltage_v: Any, kind: str, power_factor: float = 1.0) -> Any:
    """Current drawn from one facility feed [A] by its kind: 'ac-3ph' (line current), 'ac-1ph' or 'dc'."""
    if kind == "ac-3ph":
        return three_phase_line_current_a(power_w, voltage_v, power_factor)
    if kind == "ac-1ph":
        return single_phase_current_a(power_w, voltage_v, power_factor)
    if kind == "dc":
        return dc_current_a(power_w, voltage_v)
    raise ValueError(f"unknown feed kind {kind!r}; valid: ac-3ph, ac-1ph, dc")


def chain_efficiency(efficiencies: Sequence[float]) -> float:
    """End-to-end efficiency of conversion stages in series [fraction] = Π ηᵢ (1 for no stages)."""
    out = 1.0
    for eta in efficiencies:
        out *= eta
    return out


def input_power_w(output_power_w: Any, efficiency: Any) -> Any:
    """Input power of a converter [W] = P_out / η."""
    return _out(np.asarray(output_power_w, dtype=float) / np.asarray(efficiency, dtype=float))


def conversion_loss_w(output_power_w: Any, efficiency: Any) -> Any:
    """Loss of a converter [W] = P_out · (1/η − 1) = P_in − P_out."""
    return _out(np.asarray(output_power_w, dtype=float) * (1.0 / np.asarray(efficiency, dtype=float) - 1.0))


def stage_losses_w(load_w: float, efficiencies: Sequence[float]) -> list[float]:
    """Loss of each stage of a chain that delivers ``load_w`` at its end [W], in chain order.

    Walking back from the load: the last stage outputs the load, each earlier stage outputs
    the input of the next. The losses add up to load · (1 / Π η − 1).
    """
    losses: list[float] = []
    out_w = load_w
    for eta in reversed(list(efficiencies)):
        losses.append(out_w * (1.0 / eta - 1.0))
        out_w = out_w / eta
    return list(reversed(losses))


def ride_through_s(energy_wh: Any, load_w: Any, max_output_w: Any = np.inf) -> Any:
    """Battery hold-up time [s] = 3600 · E / P, or 0 when the load exceeds the battery's output.

    ``energy_wh`` usable energy of all units [Wh]; ``load_w`` the load they carry [W];
    ``max_output_w`` their combined discharge limit [W].
    """
    energy = np.asarray(energy_wh, dtype=float)
    load = np.asarray(load_w, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(load > 0, 3600.0 * energy / np.where(load > 0, load, 1.0), np.inf)
    return _out(np.where(load > np.asarray(max_output_w, dtype=float), 0.0, t))


def facility_power_w(rack_input_w: Any, pue: Any) -> Any:
    """Site power attributable to a rack [W] = rack input power × PUE (cooling plant, losses, lighting)."""
    return _out(np.asarray(rack_input_w, dtype=float) * np.asarray(pue, dtype=float))
