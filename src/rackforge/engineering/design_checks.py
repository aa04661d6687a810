"""Run every check on a design (or on all designs of a programme) and gather the key metrics."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from rackforge.engineering import checks, pod
from rackforge.engineering.figures import RackFigures, rack_figures
from rackforge.engineering.findings import Finding, Status, worst
from rackforge.schema import Catalog, Facility, Programme, RackDesign

BUILTIN_PREFIX = "rackforge/catalog/"


@dataclass(frozen=True)
class DesignReport:
    """Findings, metrics and cable bill of one rack design."""

    design_id: str
    name: str
    generation: str
    year: int
    findings: tuple[Finding, ...]
    metrics: dict[str, Any]
    cable_bill: tuple[pod.CableLine, ...] = field(default=())

    @property
    def status(self) -> Status:
        """The worst status of the design's findings."""
        return worst(list(self.findings))

    @property
    def failed(self) -> list[Finding]:
        """Findings that fail."""
        return [f for f in self.findings if f.failed]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready record: id, name, status, findings, metrics, cable_bill."""
        return {
            "id": self.design_id,
            "name": self.name,
            "generation": self.generation,
            "year": self.year,
            "status": self.status.label,
            "findings": [f.to_dict() for f in self.findings],
            "metrics": self.metrics,
            "cable_bill": [line.to_dict() for line in self.cable_bill],
        }


def _r(value: Any, digits: int = 3) -> float | None:
    number = float(value)
    return round(number, digits) if np.isfinite(number) else None


def design_metrics(fig: RackFigures) -> dict[str, Any]:
    """Headline figures of a design (scalar figures) with units in the keys."""
    p = fig.power
    rack_in = float(checks.rack_input_power_w(fig))
    gpus = float(fig.gpus)
    bill = pod.cable_bill(fig, 1.0)
    scale_up = next((line for line in bill if line.fabric == "scale-up"), None)
    metrics: dict[str, Any] = {
        "gpus": round(gpus),
        "cpus": round(float(fig.cpus)),
        "it_power_kw": _r(float(p.it_power_w) / 1e3),
        "it_power_at_utilisation_kw": _r(float(checks.it_power_at_utilisation_w(fig)) / 1e3),
        "rack_input_kw": _r(rack_in / 1e3),
        "facility_power_kw": _r(rack_in * float(fig.facility.pue) / 1e3),
        "kw_per_gpu": _r(rack_in / 1e3 / gpus) if gpus else None,
        "feed_to_chip_efficiency": _r(float(p.feed_chain_efficiency), 4),
        "liquid_heat_kw": _r(float(fig.cooling.liquid_heat_w) / 1e3),
        "air_heat_kw": _r(float(fig.cooling.air_heat_w) / 1e3),
        "liquid_heat_fraction": _r(checks.liquid_heat_fraction(fig), 4),
        "coolant_flow_lpm": _r(checks.coolant_flow_lpm(fig), 2) if fig.cooling.kind != "air" else 0.0,
        "bus_voltage_v": _r(p.bus_voltage_v, 1),
        "busbar_current_a": _r(checks.busbar_current_total_a(fig), 1) if p.distribution != "ac-pdu" else None,
        "mass_kg": _r(fig.mechanics.mass_kg, 1),
        "payload_kg": _r(float(fig.mechanics.mass_kg) - float(fig.mechanics.frame_mass_kg), 1),
        "rack_units": _r(fig.mechanics.rack_units_used, 2),
        "scale_up_cables": round(scale_up.count) if scale_up else 0,
        "scale_up_cable_length_m": _r(scale_up.total_length_m, 1) if scale_up else 0.0,
        "pod_racks": round(float(fig.facility.pod_racks)),
    }
    if checks.given(fig.network.nics_per_gpu) and checks.given(fig.network.switch_ports):
        tree = pod.pod_fabric(fig)
        _, _, transceivers, link_power = pod.scale_out_optics(fig)
        metrics.update({"pod_fabric_tiers": round(float(tree.tiers)), "pod_switches": round(float(tree.switches)),
                        "pod_transceivers": round(float(transceivers)),
                        "pod_link_power_kw": _r(float(link_power) / 1e3)})
    return metrics


def check_rack_design(design: RackDesign, catalog: Catalog, facility: Facility) -> DesignReport:
    """All rack and pod findings of one design, its metrics and its one-rack cable bill."""
    fig = rack_figures(design, catalog, facility)
    findings = checks.run_rack_checks(fig) + pod.run_pod_checks(fig)
    return DesignReport(design_id=design.id, name=design.name, generation=design.generation, year=design.year,
                        findings=tuple(findings), metrics=design_metrics(fig),
                        cable_bill=tuple(pod.cable_bill(fig, 1.0)))


def designs_to_check(programme: Programme) -> list[str]:
    """Designs a programme checks: those in its build plan, then those its own files define."""
    ids = list(programme.build_plan.designs)
    for key, (file, _line) in programme.locations.items():
        kind, _, ident = key.partition(":")
        if kind == "designs" and not file.startswith(BUILTIN_PREFIX) and ident not in ids:
            ids.append(ident)
    return ids


def check_programme(programme: Programme, design_ids: list[str] | None = None) -> list[DesignReport]:
    """Reports of the given designs (default: :func:`designs_to_check`)."""
    ids = design_ids if design_ids is not None else designs_to_check(programme)
    return [check_rack_design(programme.catalog.designs[d], programme.catalog, programme.facility) for d in ids]
