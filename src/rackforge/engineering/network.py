"""Network and cabling formulas: scale-up domain, fat-tree scale-out fabric, media by reach, cable bill.

Scale-up (e.g. NVLink): every GPU has ``links_per_gpu`` links to the switch trays, each link
``lanes_per_link`` lanes per direction; each lane is one differential pair per direction, so a
link needs 2 · lanes copper pairs ("cables" as NVLink spine counts are quoted). For GB200
NVL72: 72 GPUs × 18 links × 2 lanes × 2 directions = 5,184 (diskmfr.com spine count).

Scale-out: a folded-Clos (fat-tree) of switches of radix k. With leaf oversubscription o
(downlink : uplink bandwidth) a leaf has d = ⌊k · o / (1 + o)⌋ host ports and u = k − d uplinks;
one tier holds k hosts, two tiers d · k (k² / 2 when o = 1), three tiers d · k² / 2
(k³ / 4 when o = 1) — the standard fat-tree result (Al-Fares et al., SIGCOMM 2008).

Media by reach: each link gets the first medium in :data:`MEDIA_ORDER` (cheapest and lowest
power first) whose reach at the lane rate covers the link length. All functions take floats
or NumPy arrays.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


def _out(array: Any) -> Any:
    arr = np.asarray(array)
    return float(arr) if arr.ndim == 0 else arr


@dataclass(frozen=True)
class Medium:
    """A cable or transceiver medium and its limits.

    ``reach_100g_m`` / ``reach_200g_m``: longest link at lane rates up to 112 / 224 Gb/s
    (0 = not available); ``power_w_per_100g_end``: power at each end per 100 Gb/s of link
    rate; ``mass_kg_per_m`` cable mass per metre; ``end_mass_kg`` connector or transceiver
    mass per end.
    """

    name: str
    copper: bool
    optical: bool
    reach_100g_m: float
    reach_200g_m: float
    power_w_per_100g_end: float
    mass_kg_per_m: float
    end_mass_kg: float
    source: str


MEDIA: dict[str, Medium] = {m.name: m for m in (
    Medium("dac", True, False, 3.0, 1.0, 0.0, 0.25, 0.10,
           "reach: NVIDIA LinkX docs (passive DAC ≤ 3 m at 100G/lane, ≤ ~1 m at 200G/lane), rack-facts.md; "
           "mass estimate: 8-pair 26-30 AWG twinax ~0.25 kg/m, OSFP shell ~0.1 kg"),
    Medium("backplane", True, False, 3.0, 1.0, 0.0, 0.25, 0.10,
           "estimate: cabled backplane (NVLink spine cartridge) twinax treated like passive DAC"),
    Medium("acc", True, False, 5.0, 2.0, 0.4, 0.20, 0.10,
           "reach: NVIDIA LinkX docs (linear active copper 3-5 m at 100G/lane); 200G/lane estimate: a linear "
           "redriver recovers less loss than a retimed AEC (≤ 3 m, rack-facts.md), so 2 m; power estimate "
           "~3 W per 800G end"),
    Medium("aec", True, False, 7.0, 3.0, 1.4, 0.12, 0.10,
           "reach 200G/lane: rack-facts.md (active electrical ≤ 3 m); 100G/lane estimate 7 m from retimed "
           "AEC datasheets; power estimate ~11 W per 800G end; thinner 32-34 AWG cable"),
    Medium("aoc", False, True, 100.0, 100.0, 1.9, 0.04, 0.05,
           "reach: rack-facts.md (AOC ~3-100 m at 200G/lane; same assumed at 100G); power estimate: like "
           "an optic, ~15 W per 800G end"),
    Medium("sr", False, True, 50.0, 0.0, 1.75, 0.04, 0.05,
           "reach: NVIDIA LinkX docs (multimode SR 50 m at 100G/lane); no standard 200G/lane multimode PMD "
           "(IEEE 802.3dj is single-mode), so unavailable at 200G; power ~14 W per 800G SR8"),
    Medium("dr", False, True, 500.0, 500.0, 2.0, 0.04, 0.05,
           "reach: NVIDIA LinkX docs (DR 500 m); power: 800G twin-port transceiver ~15-17 W (rack-facts.md)"),
    Medium("fr", False, True, 2000.0, 2000.0, 2.1, 0.04, 0.05,
           "reach: NVIDIA LinkX docs (FR4 2 km); power ~17 W per 800G (rack-facts.md)"),
    Medium("lr", False, True, 10000.0, 10000.0, 2.4, 0.04, 0.05,
           "reach: IEEE 802.3 LR 10 km; power estimate ~19 W per 800G"),
)}
MEDIA_ORDER: tuple[str, ...] = ("dac", "acc", "aec", "aoc", "sr", "dr", "fr", "lr")
"""Preference order for links: copper before optics, shorter-reach (lower power) before longer."""
MEDIA_CODES: dict[str, int] = {name: i for i, name in enumerate(MEDIA_ORDER)}
NO_MEDIUM = -1
"""Media code when no medium reaches."""


def medium_reach_m(medium: str, lane_rate_gbps: Any) -> Any:
    """Longest link a medium supports at a lane rate [m]; 0 above 224 Gb/s per lane (not tabulated)."""
    m = MEDIA[medium]
    rate = np.asarray(lane_rate_gbps, dtype=float)
    return _out(np.where(rate <= 112.0, m.reach_100g_m, np.where(rate <= 224.0, m.reach_200g_m, 0.0)))


def select_medium(length_m: Any, lane_rate_gbps: Any) -> Any:
    """Code (index in :data:`MEDIA_ORDER`) of the first medium that reaches ``length_m``, or −1 [code]."""
    length = np.asarray(length_m, dtype=float)
    code = np.full(np.broadcast(length, np.asarray(lane_rate_gbps)).shape, NO_MEDIUM, dtype=np.int16)
    for name in reversed(MEDIA_ORDER):
        code = np.where(length <= medium_reach_m(name, lane_rate_gbps), MEDIA_CODES[name], code)
    return int(code) if code.ndim == 0 else code


def medium_name(code: int) -> str:
    """Name of a media code ('none' for −1)."""
    return MEDIA_ORDER[code] if code >= 0 else "none"


def link_power_w(medium: str, links: Any, link_rate_gbps: Any) -> Any:
    """Power of ``links`` links of a medium, both ends [W] = 2 · links · (rate / 100 G) · W per 100G end."""
    return _out(2.0 * np.asarray(links, dtype=float) * np.asarray(link_rate_gbps, dtype=float) / 100.0
                * MEDIA[medium].power_w_per_100g_end)


def cable_mass_kg(medium: str, cables: Any, length_m: Any) -> Any:
    """Mass of cables [kg] = count · (length · kg/m + 2 · end mass)."""
    m = MEDIA[medium]
    return _out(np.asarray(cables, dtype=float) * (np.asarray(length_m, dtype=float) * m.mass_kg_per_m
                                                    + 2.0 * m.end_mass_kg))


# ---------------------------------------------------------------- scale-up

def scale_up_links(gpus: Any, links_per_gpu: Any) -> Any:
    """GPU-to-switch links in a scale-up domain [links] = GPUs · links per GPU."""
    return _out(np.asarray(gpus, dtype=float) * np.asarray(links_per_gpu, dtype=float))


def switch_trays_needed(gpus: Any, links_per_gpu: Any, ports_per_tray: Any) -> Any:
    """Switch trays to terminate every GPU link [trays] = ⌈GPUs · links per GPU / ports per tray⌉.

    GB200 NVL72: ⌈72 · 18 / (2 NVSwitch chips × 72 ports)⌉ = 9.
    """
    return _out(np.ceil(scale_up_links(gpus, links_per_gpu) / np.asarray(ports_per_tray, dtype=float)))


def scale_up_cables(gpus: Any, links_per_gpu: Any, lanes_per_link: Any) -> Any:
    """Copper pairs of the scale-up spine [cables] = GPUs · links · lanes per direction · 2 directions."""
    return _out(scale_up_links(gpus, links_per_gpu) * np.asarray(lanes_per_link, dtype=float) * 2.0)


def domains_in_rack(gpus: Any, gpus_per_domain: Any) -> Any:
    """Scale-up domains a rack's GPUs form [domains] = GPUs / GPUs per domain (fractional if they do not divide)."""
    return _out(np.asarray(gpus, dtype=float) / np.asarray(gpus_per_domain, dtype=float))


# ---------------------------------------------------------------- scale-out fat tree

def effective_radix(switch_ports: Any, switch_port_rate_gbps: Any, nic_port_rate_gbps: Any) -> Any:
    """Switch radix at the NIC's port rate, with breakout [ports] = ⌊ports · port rate / NIC rate⌋.

    A 144-port 800G switch serving 400G NICs splits each port in two: radix 288.
    """
    ratio = np.maximum(np.floor(np.asarray(switch_port_rate_gbps, dtype=float)
                                / np.asarray(nic_port_rate_gbps, dtype=float)), 1.0)
    return _out(np.asarray(switch_ports, dtype=float) * ratio)


def leaf_down_ports(radix: Any, oversubscription: Any) -> Any:
    """Host-facing ports of a leaf [ports] d = ⌊k · o / (1 + o)⌋ (o = downlink : uplink, 1 = non-blocking)."""
    k = np.asarray(radix, dtype=float)
    o = np.asarray(oversubscription, dtype=float)
    return _out(np.floor(k * o / (1.0 + o)))


def fat_tree_max_hosts(radix: Any, tiers: Any, oversubscription: Any = 1.0) -> Any:
    """Hosts a fat tree of ``tiers`` (1-3) holds [hosts]: k; d · k; d · k² / 2 (k²/2, k³/4 non-blocking)."""
    k = np.asarray(radix, dtype=float)
    d = np.asarray(leaf_down_ports(radix, oversubscription), dtype=float)
    t = np.asarray(tiers, dtype=float)
    return _out(np.where(t <= 1, k, np.where(t == 2, d * k, d * k * k / 2.0)))


@dataclass(frozen=True)
class FatTree:
    """Size of a fat-tree fabric. Fields are floats or arrays (one per variant).

    ``tiers`` is 4 when even three tiers cannot hold the hosts (the fabric does not fit).
    ``fabric_links`` are switch-to-switch links; ``host_links`` NIC-to-leaf links.
    """

    hosts: Any
    radix: Any
    tiers: Any
    leaves: Any
    spines: Any
    cores: Any
    host_links: Any
    fabric_links: Any

    @property
    def switches(self) -> Any:
        """All switches [switches] = leaves + spines (aggregation) + cores."""
        return _out(np.asarray(self.leaves) + np.asarray(self.spines) + np.asarray(self.cores))


def fat_tree(hosts: Any, radix: Any, oversubscription: Any = 1.0) -> FatTree:
    """Tiers, switch counts and links of a folded-Clos fabric for ``hosts`` NIC ports.

    1 tier: hosts ≤ k, one switch. 2 tiers: L = ⌈H / d⌉ leaves, each with u = k − d uplinks,
    S = ⌈L · u / k⌉ spines. 3 tiers: L leaves in pods of k / 2, u aggregation switches per pod
    (each k/2 down, k/2 up), ⌈aggregation · (k/2) / k⌉ cores.
    """
    h = np.asarray(hosts, dtype=float)
    k = np.asarray(radix, dtype=float)
    d = np.asarray(leaf_down_ports(k, oversubscription), dtype=float)
    u = k - d
    one = h <= k
    two = ~one & (h <= d * k)
    three = ~one & ~two & (h <= d * k * k / 2.0)
    tiers = np.where(one, 1.0, np.where(two, 2.0, np.where(three, 3.0, 4.0)))
    leaves = np.where(one, np.minimum(h, 1.0), np.ceil(h / d))
    pods = np.ceil(leaves / (k / 2.0))
    aggregation = np.where(three | (tiers == 4), pods * u, 0.0)
    spines_two = np.ceil(leaves * u / k)
    spines = np.where(one, 0.0, np.where(two, spines_two, aggregation))
    cores = np.where(tiers >= 3, np.ceil(aggregation * (k / 2.0) / k), 0.0)
    fabric_links = np.where(one, 0.0, leaves * u + np.where(tiers >= 3, aggregation * k / 2.0, 0.0))
    return FatTree(hosts=_out(h), radix=_out(k), tiers=_out(tiers), leaves=_out(leaves), spines=_out(spines),
                   cores=_out(cores), host_links=_out(h), fabric_links=_out(fabric_links))
