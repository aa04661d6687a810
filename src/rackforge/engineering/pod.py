"""Pods: N racks of one design with their CDUs, power distribution and fabric, checked as a whole.

A pod is the modular data-hall block that is built and shipped together (the facility's
``pod_racks`` racks, in rows of ``racks_per_row``). Pod checks take the same
:class:`~rackforge.engineering.figures.RackFigures` as the rack checks (floats or arrays) and
scale them by the number of racks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from rackforge.engineering import network, power
from rackforge.engineering.checks import (
    KW,
    coolant_flow_lpm,
    given,
    rack_input_power_w,
    run_checks,
    scale_up_cable_count,
)
from rackforge.engineering.figures import RackFigures
from rackforge.engineering.findings import Finding, Status, finding, finding_with_status, fmt, is_scalar

SCALE_UP_PAIR_MASS_KG_PER_M = 0.03
"""Mass of one twinax pair of a copper spine [kg/m] (estimate: an 8-pair 800G DAC weighs ~0.25 kg/m)."""


def pod_racks(fig: RackFigures) -> Any:
    """Racks in a pod [racks] (the facility's pod size)."""
    return fig.facility.pod_racks


def pod_hosts(fig: RackFigures) -> Any:
    """Scale-out endpoints (NIC ports) in a pod [hosts] = racks · GPUs · NICs per GPU."""
    return np.asarray(pod_racks(fig), dtype=float) * np.asarray(fig.gpus, dtype=float) * np.asarray(
        fig.network.nics_per_gpu, dtype=float)


def pod_fabric(fig: RackFigures) -> network.FatTree:
    """The pod's scale-out fat tree at the switch's radix (with breakout to the NIC rate)."""
    n = fig.network
    radix = network.effective_radix(n.switch_ports, n.switch_port_rate_gbps, n.nic_port_rate_gbps)
    return network.fat_tree(pod_hosts(fig), radix, n.oversubscription)


@dataclass(frozen=True)
class CableLine:
    """One line of a cable bill: links of one fabric on one medium."""

    fabric: str
    medium: str
    count: float
    length_m: float
    total_length_m: float
    mass_kg: float
    power_w: float
    transceivers: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready record."""
        return {"fabric": self.fabric, "medium": self.medium, "count": round(self.count),
                "length_m": round(self.length_m, 3), "total_length_m": round(self.total_length_m, 1),
                "mass_kg": round(self.mass_kg, 1), "power_w": round(self.power_w, 1),
                "transceivers": round(self.transceivers)}


def cable_bill(fig: RackFigures, racks: float = 1.0) -> list[CableLine]:
    """Cables of ``racks`` racks of a design (scalar figures): scale-up spine plus scale-out links.

    Scale-out links are the pod fabric's host and switch-to-switch links, prorated to ``racks``
    (``racks = pod_racks`` gives the whole pod). Media are chosen by length and lane rate
    (:func:`network.select_medium`); optical media count a transceiver at each end.
    """
    n = fig.network
    lines: list[CableLine] = []
    if given(n.links_per_gpu) and n.spine_cabled:
        count = float(scale_up_cable_count(fig)) * racks
        length = float(np.nan_to_num(n.spine_cable_length_m))
        lines.append(CableLine("scale-up", n.spine_medium, count, length, count * length,
                               count * length * SCALE_UP_PAIR_MASS_KG_PER_M, 0.0, 0.0))
    if given(n.nics_per_gpu) and given(n.switch_ports):
        tree = pod_fabric(fig)
        share = racks / float(pod_racks(fig))
        for fabric, links, length in (("scale-out host", tree.host_links, n.host_link_length_m),
                                      ("scale-out fabric", tree.fabric_links, n.fabric_link_length_m)):
            links_f = float(links) * share
            if links_f <= 0:
                continue
            code = int(network.select_medium(length, n.scale_out_lane_rate_gbps))
            medium = network.medium_name(code)
            if code < 0:
                lines.append(CableLine(fabric, medium, links_f, float(length), links_f * float(length), 0.0, 0.0, 0.0))
                continue
            optical = network.MEDIA[medium].optical
            lines.append(CableLine(
                fabric, medium, links_f, float(length), links_f * float(length),
                float(network.cable_mass_kg(medium, links_f, length)),
                float(network.link_power_w(medium, links_f, n.nic_port_rate_gbps)),
                2.0 * links_f if optical else 0.0))
    return lines


def _media_table(attr: str) -> Any:
    values = [getattr(network.MEDIA[name], attr) for name in network.MEDIA_ORDER]
    return np.asarray([*values, 0.0], dtype=float)  # index −1 (no medium) → 0


def scale_out_optics(fig: RackFigures) -> tuple[Any, Any, Any, Any]:
    """(host medium code, fabric medium code, transceivers, optics and cable power [W]) of a pod, vectorised."""
    n = fig.network
    tree = pod_fabric(fig)
    host_code = network.select_medium(n.host_link_length_m, n.scale_out_lane_rate_gbps)
    fabric_code = network.select_medium(n.fabric_link_length_m, n.scale_out_lane_rate_gbps)
    optical = _media_table("optical")
    per_100g = _media_table("power_w_per_100g_end")
    host_links = np.asarray(tree.host_links, dtype=float)
    fabric_links = np.asarray(tree.fabric_links, dtype=float)
    transceivers = 2.0 * (host_links * optical[host_code] + fabric_links * optical[fabric_code])
    rate_100g = np.asarray(n.nic_port_rate_gbps, dtype=float) / 100.0
    link_power = 2.0 * rate_100g * (host_links * per_100g[host_code] + fabric_links * per_100g[fabric_code])
    return host_code, fabric_code, transceivers, link_power


# ------------------------------------------------------------------ pod checks

def check_pod_power(fig: RackFigures) -> Finding:
    """Power of one row of the pod against the facility's row limit (or the pod's power, reported)."""
    f = fig.facility
    rack_in = rack_input_power_w(fig)
    racks = np.asarray(f.pod_racks, dtype=float)
    pod_in = racks * np.asarray(rack_in, dtype=float)
    site = power.facility_power_w(pod_in, f.pue)
    base = (f"pod of {fmt(racks)} racks: {fmt(racks)} · {fmt(rack_in, 1, KW)} kW = {fmt(pod_in, 1, KW)} kW at the "
            f"racks, × PUE {fmt(f.pue, 2)} = {fmt(site, 1, KW)} kW of site power")
    if not given(f.row_power_limit_w):
        return finding("pod.power", "pod", pod_in / KW, "kW", base, scope="pod")
    per_row = np.minimum(racks, np.asarray(f.racks_per_row, dtype=float)) * np.asarray(rack_in, dtype=float)
    message = base + (f"; fullest row {fmt(np.minimum(racks, f.racks_per_row))} racks = {fmt(per_row, 1, KW)} kW vs "
                      f"row limit {fmt(f.row_power_limit_w, 1, KW)} kW")
    return finding("pod.power", "pod", per_row / KW, "kW", message, limit=np.asarray(f.row_power_limit_w) / KW,
                   sense="max", scope="pod")


def cdu_group_racks(fig: RackFigures) -> Any:
    """Racks served by one group of ``cdu_count`` in-row/facility CDUs [racks] (default: the pod)."""
    served = np.asarray(fig.cooling.cdu_racks_served, dtype=float)
    out = np.where(np.isnan(served), np.asarray(fig.facility.pod_racks, dtype=float), served)
    return float(out) if out.ndim == 0 else out


def check_pod_cdu(fig: RackFigures) -> Finding | None:
    """Liquid heat of the racks a CDU group serves against the group's usable capacity (in-row/facility CDUs)."""
    c = fig.cooling
    if c.kind == "air" or c.cdu_location not in ("in-row", "facility") or not given(c.cdu_capacity_w):
        return None
    racks = np.asarray(cdu_group_racks(fig), dtype=float)
    heat = racks * np.asarray(c.liquid_heat_w, dtype=float)
    usable = power.usable_capacity_w(c.cdu_capacity_w, c.cdu_count, c.cdu_redundancy)
    spares = power.spare_units(c.cdu_count, c.cdu_redundancy)
    message = (f"{fmt(racks)} racks · {fmt(c.liquid_heat_w, 1, KW)} kW = {fmt(heat, 1, KW)} kW to liquid vs "
               f"{c.cdu_location} CDUs ({fmt(c.cdu_count)} − {fmt(spares)} spare, {c.cdu_redundancy_name}) × "
               f"{fmt(c.cdu_capacity_w, 1, KW)} kW = {fmt(usable, 1, KW)} kW")
    return finding("pod.cdu_capacity", "pod", heat / KW, "kW", message, limit=np.asarray(usable) / KW, sense="max",
                   scope="pod")


def check_pod_flow(fig: RackFigures) -> Finding | None:
    """Pod coolant flow against the usable flow of in-row or facility CDUs."""
    c = fig.cooling
    if c.kind == "air" or c.cdu_location not in ("in-row", "facility") or not given(c.cdu_max_flow_lpm):
        return None
    racks = np.asarray(cdu_group_racks(fig), dtype=float)
    flow = racks * np.asarray(coolant_flow_lpm(fig), dtype=float)
    usable = power.usable_capacity_w(c.cdu_max_flow_lpm, c.cdu_count, c.cdu_redundancy)
    message = (f"{fmt(racks)} racks · {fmt(coolant_flow_lpm(fig), 1)} L/min = {fmt(flow)} L/min vs CDU usable flow "
               f"{fmt(usable)} L/min ({c.cdu_redundancy_name})")
    return finding("pod.coolant_flow", "pod", flow, "L/min", message, limit=usable, sense="max", scope="pod")


def check_pod_fabric(fig: RackFigures) -> Finding | None:
    """Tiers of the pod's fat-tree fabric (fails above three) with its switch counts."""
    n = fig.network
    if not given(n.nics_per_gpu) or not given(n.switch_ports):
        return None
    tree = pod_fabric(fig)
    o = n.oversubscription
    capacity = network.fat_tree_max_hosts(tree.radix, 3, o)
    message = (f"{fmt(tree.hosts)} NIC ports = {fmt(fig.facility.pod_racks)} racks · {fmt(fig.gpus)} GPUs · "
               f"{fmt(n.nics_per_gpu, 2)} NICs; radix k = {fmt(tree.radix)} at {fmt(n.nic_port_rate_gbps)} Gb/s, "
               f"oversubscription {fmt(o, 1)}:1 → {fmt(tree.tiers)} tier(s): {fmt(tree.leaves)} leaf + "
               f"{fmt(tree.spines)} spine + {fmt(tree.cores)} core = {fmt(tree.switches)} switches "
               f"(capacity k²/2 = {fmt(network.fat_tree_max_hosts(tree.radix, 2, 1.0))}, k³/4 = "
               f"{fmt(network.fat_tree_max_hosts(tree.radix, 3, 1.0))} non-blocking)")
    margin = (np.asarray(capacity, dtype=float) - np.asarray(tree.hosts, dtype=float)) / np.asarray(capacity)
    status = np.where(np.asarray(tree.tiers) > 3, Status.FAIL, Status.PASS)
    return finding_with_status("pod.fabric", "pod", tree.tiers, "tiers", message, status, limit=3.0, margin=margin,
                               scope="pod")


def check_pod_media(fig: RackFigures) -> Finding | None:
    """Scale-out media chosen by link length and lane rate; fails when no medium reaches a link."""
    n = fig.network
    if not given(n.nics_per_gpu) or not given(n.switch_ports):
        return None
    host_code, fabric_code, transceivers, link_power = scale_out_optics(fig)
    reach_ok = (np.asarray(host_code) >= 0) & (np.asarray(fabric_code) >= 0)
    if is_scalar(host_code):
        media = (f"host links {fmt(n.host_link_length_m, 1)} m → {network.medium_name(int(host_code))}, fabric links "
                 f"{fmt(n.fabric_link_length_m, 1)} m → {network.medium_name(int(fabric_code))}")
    else:
        media = f"host links {fmt(n.host_link_length_m, 1)} m, fabric links {fmt(n.fabric_link_length_m, 1)} m"
    message = (f"{media} at {fmt(n.scale_out_lane_rate_gbps)} Gb/s per lane: {fmt(transceivers)} transceivers, "
               f"{fmt(link_power, 1, KW)} kW of link power")
    if not np.all(reach_ok):
        message += "; no medium reaches some links (longest tabulated: LR 10 km)"
    status = np.where(reach_ok, Status.PASS, Status.FAIL)
    return finding_with_status("pod.media", "pod", transceivers, "transceivers", message, status, scope="pod")


def check_pod_cables(fig: RackFigures) -> Finding | None:
    """The pod's cable bill: count, total length and mass by fabric and medium (reported)."""
    if not is_scalar(fig.gpus):
        return None
    racks = float(fig.facility.pod_racks)
    lines = cable_bill(fig, racks)
    if not lines:
        return None
    count = sum(line.count for line in lines)
    parts = "; ".join(f"{line.fabric} {line.medium}: {line.count:,.0f} × {line.length_m:g} m = "
                      f"{line.total_length_m / 1000:,.2f} km, {line.mass_kg:,.0f} kg" for line in lines)
    message = f"{racks:g} racks: {parts}"
    return finding("pod.cables", "pod", count, "cables", message, scope="pod")


POD_CHECKS: tuple[Callable[[RackFigures], Finding | None], ...] = (
    check_pod_power, check_pod_cdu, check_pod_flow, check_pod_fabric, check_pod_media, check_pod_cables,
)
"""Every pod-level check, in report order."""


def run_pod_checks(fig: RackFigures) -> list[Finding]:
    """All pod-level findings for a pod of the facility's size built from one design."""
    return run_checks(POD_CHECKS, fig)
