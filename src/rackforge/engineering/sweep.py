"""Design-variant sweeps: many variants of one design checked at once with NumPy arrays.

:func:`variant_figures` turns a design's :class:`RackFigures` into one whose fields are
arrays over the Cartesian product of GPUs per rack, bus voltage, coolant and coolant
temperature rise. Figures that grow with the GPU count (IT load, heat, CPUs, mass, rack
units, installed switch trays) scale linearly with GPUs / base GPUs; everything else is
kept. The same check functions then run on the arrays (:func:`run_variant_checks`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np

from rackforge.engineering import checks, pod
from rackforge.engineering.figures import RackFigures
from rackforge.engineering.findings import Finding, Status


def variant_figures(base: RackFigures, gpus_per_rack: Sequence[float], bus_voltage_v: Sequence[float],
                    coolant: Sequence[int], delta_t_k: Sequence[float]) -> RackFigures:
    """Arrays of variants over the Cartesian product of the four swept figures.

    The result has len(gpus) · len(voltages) · len(coolants) · len(ΔT) entries per field
    (GPU count varies slowest).
    """
    g, v, c, dt = (a.ravel() for a in np.meshgrid(np.asarray(gpus_per_rack, dtype=float),
                                                  np.asarray(bus_voltage_v, dtype=float),
                                                  np.asarray(coolant, dtype=float),
                                                  np.asarray(delta_t_k, dtype=float), indexing="ij"))
    ratio = g / float(base.gpus)
    p, cl, n, m = base.power, base.cooling, base.network, base.mechanics
    power = dataclasses.replace(p, it_power_w=ratio * p.it_power_w, it_idle_power_w=ratio * p.it_idle_power_w,
                                bus_voltage_v=v)
    cooling = dataclasses.replace(cl, liquid_heat_w=ratio * cl.liquid_heat_w, air_heat_w=ratio * cl.air_heat_w,
                                  coolant=c, delta_t_k=dt)
    # a published spine count describes the base design only, not its variants
    net = dataclasses.replace(n, switch_trays=np.ceil(ratio * n.switch_trays), published_spine_cables=np.nan)
    mech = dataclasses.replace(m, mass_kg=ratio * m.mass_kg, rack_units_used=ratio * m.rack_units_used)
    return dataclasses.replace(base, gpus=g, cpus=ratio * base.cpus, power=power, cooling=cooling, network=net,
                               mechanics=mech)


def run_variant_checks(figures: RackFigures) -> list[Finding]:
    """Every rack and pod check over arrays of variants (findings hold arrays)."""
    return checks.run_rack_checks(figures) + pod.run_pod_checks(figures)


def variant_status(findings: list[Finding], variants: int) -> Any:
    """Worst status per variant over all findings [code array of length ``variants``].

    A finding whose inputs do not vary across the sweep has a scalar status; it applies to
    every variant.
    """
    out = np.zeros(variants, dtype=np.int8)
    for f in findings:
        out = np.maximum(out, np.broadcast_to(np.asarray(f.status, dtype=np.int8), (variants,)))
    return out


def summarise(findings: list[Finding], variants: int) -> dict[str, dict[str, int]]:
    """Count of variants that pass, warn and fail, per check."""
    out: dict[str, dict[str, int]] = {}
    for f in findings:
        status = np.broadcast_to(np.asarray(f.status, dtype=np.int8), (variants,))
        out[f.check] = {s.label: int(np.count_nonzero(status == s)) for s in Status}
    return out
