"""The supply network of a programme as a graph: sources → assemblies → racks.

Nodes follow Simchi-Levi et al. (2015): each node makes something and keeps stock.

- ``source:<part>@<site>``: a site that makes a part (capacity per week from the source's
  capacity per quarter; zero if it does not ship at the reference date);
- ``stock:<part>``: part stock held at the integration site (makes nothing, holds stock);
- ``assembly:<id>``: a sub-assembly built at the integration site;
- ``design:<id>``: a rack design of the build plan (a finished product with a demand rate).

A :class:`Requirement` says that a consumer node needs ``quantity`` of an item per unit it makes,
from any of its supplier nodes (the alternates). Groups of nodes (a site, a country, a region)
are what a disruption takes down.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from rackforge.calendar import WEEKS_PER_QUARTER
from rackforge.core.bom import explode
from rackforge.resilience.scenarios import library_of
from rackforge.schema.scenarios import ScenarioLibrary

if TYPE_CHECKING:
    from rackforge.schema import Programme, Source

NodeKind = Literal["source", "stock", "assembly", "design"]


@dataclass(frozen=True)
class Node:
    """One node of the supply network.

    ``capacity_per_week`` is ``math.inf`` for nodes limited only by their inputs and 0 for nodes
    that make nothing (stock points, sources not yet shipping).
    """

    id: str
    kind: NodeKind
    name: str
    site: str | None = None
    country: str | None = None
    region: str | None = None
    part: str | None = None
    stock_units: float = 0.0
    capacity_per_week: float = math.inf
    demand_per_week: float = 0.0
    value_usd: float = 0.0


@dataclass(frozen=True)
class Requirement:
    """Node ``consumer`` needs ``quantity`` units of ``item`` per unit it makes, from any of ``suppliers``."""

    consumer: int
    item: str
    quantity: float
    suppliers: tuple[int, ...]


@dataclass(frozen=True)
class Disruption:
    """A group of nodes that goes down together, and how long it takes to recover."""

    id: str
    kind: str
    name: str
    nodes: tuple[int, ...]
    ttr_weeks: float


@dataclass(frozen=True)
class SupplyNetwork:
    """Nodes and bill-of-materials requirements; the input of the stress test."""

    nodes: tuple[Node, ...]
    requirements: tuple[Requirement, ...]
    warnings: tuple[str, ...] = ()
    demand_basis: str = ""
    ttr_of: dict[str, float] = field(default_factory=dict)
    default_ttr_weeks: float = WEEKS_PER_QUARTER

    @property
    def products(self) -> list[int]:
        """Indices of the finished products (nodes with demand)."""
        return [i for i, n in enumerate(self.nodes) if n.kind == "design"]

    def index(self, node_id: str) -> int:
        """Index of a node by id."""
        for i, n in enumerate(self.nodes):
            if n.id == node_id:
                return i
        raise KeyError(node_id)

    def groups(self, level: str) -> dict[str, tuple[int, ...]]:
        """Node indices per site, country or region (``level``), or one group per node (``node``)."""
        out: dict[str, list[int]] = {}
        for i, n in enumerate(self.nodes):
            key = n.id if level == "node" else getattr(n, level)
            if key is not None:
                out.setdefault(key, []).append(i)
        return {k: tuple(v) for k, v in out.items()}

    def disruptions(self, levels: Iterable[str] = ("site", "country", "region")) -> list[Disruption]:
        """One disruption per site, country and region (or per node), with its time to recover.

        TTR of a site: its ``recovery`` entry, else the default. TTR of a country or region: its
        own entry, else the longest TTR of its sites (the group is back when its slowest site is).
        """
        out: list[Disruption] = []
        site_groups = self.groups("site")
        for level in levels:
            for key, members in self.groups(level).items():
                ttr = self.ttr_of.get(f"{level}:{key}")
                if ttr is None and level in ("country", "region"):
                    sites = {self.nodes[i].site for i in members if self.nodes[i].site is not None}
                    ttr = max((self._site_ttr(s) for s in sites if s in site_groups), default=None)
                if ttr is None:
                    ttr = self.default_ttr_weeks
                name = key if level != "node" else self.nodes[members[0]].name
                out.append(Disruption(f"{level}:{key}", level, name, members, ttr))
        return out

    def _site_ttr(self, site: str) -> float:
        return self.ttr_of.get(f"site:{site}", self.default_ttr_weeks)


# ---------------------------------------------------------------------------------------------
# from a programme


def plan_start(programme: Programme) -> dt.date:
    """First day of the build plan [date]."""
    from rackforge.calendar import quarter_start

    return quarter_start(programme.build_plan.quarter_list[0])


def source_start(programme: Programme, source: Source) -> dt.date | None:
    """Date from which a source can ship: the later of its qualification and its site's start
    (None: never, for a disqualified source)."""
    from rackforge.schema import Qualification

    if source.qualification is Qualification.DISQUALIFIED:
        return None
    dates = [d for d in (source.qualified_date, programme.catalog.sites[source.site].operational_from) if d]
    if source.qualification is not Qualification.QUALIFIED and source.qualified_date is None:
        return None
    return max(dates) if dates else dt.date.min


def ships_on(programme: Programme, source: Source, when: dt.date) -> bool:
    """True if ``source`` can ship on ``when`` (qualified, and its site is operating)."""
    start = source_start(programme, source)
    return start is not None and start <= when


def part_unit_price_usd(programme: Programme, part: str) -> float:
    """Price of one unit of a part [USD]: the mean over its sources weighted by planned share
    (by capacity when no share is given), else the part's reference price, else 0."""
    sources = [s for s in programme.sources_by_part.get(part, ()) if s.qualification.value != "disqualified"]
    if sources:
        weights = [s.share if s.share is not None else s.capacity_per_quarter for s in sources]
        if sum(weights) <= 0:
            weights = [1.0] * len(sources)
        return sum(w * s.price_usd for w, s in zip(weights, sources, strict=True)) / sum(weights)
    ref = programme.catalog.parts[part].reference_price_usd
    return float(ref) if ref is not None else 0.0


def rack_value_usd(programme: Programme, design: str, library: ScenarioLibrary | None = None) -> float:
    """Value of one rack [USD]: the library's ``rack_value_usd`` or the sum of its parts at source prices."""
    lib = library if library is not None else library_of(programme)
    if design in lib.rack_value_usd:
        return lib.rack_value_usd[design]
    return sum(q * part_unit_price_usd(programme, p) for p, q in explode(programme.catalog, design).items())


def default_part_stock(programme: Programme, library: ScenarioLibrary | None = None) -> dict[str, float]:
    """Stock of the parts that have no ``stock`` entry [units]: ``default_stock_weeks`` of each
    part's first non-zero planned quarterly need (over the designs of the build plan)."""
    lib = library if library is not None else library_of(programme)
    if lib.default_stock_weeks <= 0:
        return {}
    listed = {entry.ref for entry in lib.stock}
    plan = programme.build_plan
    out: dict[str, float] = {}
    for quarter in plan.quarter_list:
        need: dict[str, float] = {}
        for design, racks in plan.quarters[quarter].items():
            for part, qty in explode(programme.catalog, design, racks).items():
                need[part] = need.get(part, 0.0) + qty
        for part, units in need.items():
            if part not in listed and part not in out and units > 0:
                out[part] = lib.default_stock_weeks * units / WEEKS_PER_QUARTER
    return out


def planned_demand_per_week(programme: Programme, quarter: str | None = None) -> dict[str, float]:
    """Racks per week per planned design: the plan's mean over all quarters, or one quarter's rate."""
    plan = programme.build_plan
    quarters = [quarter] if quarter is not None else plan.quarter_list
    weeks = len(quarters) * WEEKS_PER_QUARTER
    out: dict[str, float] = {}
    for design in plan.designs:
        racks = sum(plan.quarters.get(q, {}).get(design, 0) for q in quarters)
        if racks > 0:
            out[design] = racks / weeks
    return out


def build_network(programme: Programme, quarter: str | None = None) -> SupplyNetwork:
    """The supply network of a programme as it stands at the start of ``quarter`` (default: the
    first quarter of the plan).

    Demand per design: that quarter's planned racks per week. Sources count as shipping if
    qualified and their site operates on the quarter's first day; the others keep their stock but
    make nothing. Stock comes from the scenario library's ``stock`` entries.
    """
    from rackforge.calendar import quarter_start
    from rackforge.errors import InputError, Problem
    from rackforge.resilience.scenarios import require_valid_scenarios

    lib = require_valid_scenarios(programme)
    if quarter is not None and quarter not in programme.build_plan.quarters:
        raise InputError([Problem("(command line)", None, "quarter",
                                  f"{quarter!r} is not in the build plan; valid: "
                                  f"{', '.join(programme.build_plan.quarter_list)}")])
    if quarter is None:
        quarter = programme.build_plan.quarter_list[0]
    when = quarter_start(quarter)
    demand = planned_demand_per_week(programme, quarter)
    cat = programme.catalog
    integ = programme.integration_site
    nodes: list[Node] = []
    index: dict[str, int] = {}
    warnings: list[str] = []

    def add(node: Node) -> int:
        index[node.id] = len(nodes)
        nodes.append(node)
        return index[node.id]

    stock_at: dict[tuple[str, str | None], float] = {}
    for entry in lib.stock:
        key = (entry.ref, entry.site)
        stock_at[key] = stock_at.get(key, 0.0) + entry.total_units
    for part, units in default_part_stock(programme, lib).items():
        stock_at[(part, None)] = units

    requirements: list[tuple[int, str, float]] = []  # (consumer, item, quantity), resolved below

    def visit(ref: str) -> None:
        """Add the node of an assembly or design and, recursively, what it is made of."""
        is_design = ref in cat.designs
        node_id = f"{'design' if is_design else 'assembly'}:{ref}"
        if node_id in index:
            return
        record = cat.designs[ref] if is_design else cat.assemblies[ref]
        consumer = add(Node(
            node_id, "design" if is_design else "assembly", record.name, integ.id, integ.country, integ.region,
            stock_units=stock_at.get((ref, None), 0.0),
            demand_per_week=demand.get(ref, 0.0) if is_design else 0.0,
            value_usd=rack_value_usd(programme, ref, lib) if is_design else 0.0))
        merged: dict[str, float] = {}
        for item in record.items:
            merged[item.ref] = merged.get(item.ref, 0.0) + item.quantity
        for item_ref, qty in merged.items():
            requirements.append((consumer, item_ref, qty))
            if item_ref in cat.assemblies:
                visit(item_ref)

    for design in demand:
        visit(design)

    parts_needed = sorted({item for _, item, _ in requirements if item in cat.parts})
    not_yet: list[str] = []
    suppliers_of: dict[str, list[int]] = {}
    for part in parts_needed:
        for src in programme.sources_by_part.get(part, ()):
            site = cat.sites[src.site]
            shipping = ships_on(programme, src, when)
            i = add(Node(f"source:{part}@{src.site}", "source", f"{part} from {site.name}", site.id, site.country,
                         site.region, part=part, stock_units=stock_at.get((part, src.site), 0.0),
                         capacity_per_week=src.capacity_per_quarter / WEEKS_PER_QUARTER if shipping else 0.0))
            suppliers_of.setdefault(part, []).append(i)
            if not shipping and src.qualification.value != "disqualified":
                not_yet.append(f"{part}@{src.site} (from {source_start(programme, src)})")
        if (part, None) in stock_at:
            i = add(Node(f"stock:{part}", "stock", f"{part} stock at {integ.name}", integ.id, integ.country,
                         integ.region, part=part, stock_units=stock_at[(part, None)], capacity_per_week=0.0))
            suppliers_of.setdefault(part, []).append(i)
        if not any(nodes[i].capacity_per_week > 0 for i in suppliers_of.get(part, [])):
            warnings.append(f"part {part} has no source shipping at {when.isoformat()}: racks that need it "
                            "can be built only from stock")

    if not_yet:
        warnings.insert(0, f"{len(not_yet)} sources do not ship yet on {when.isoformat()} and count for their "
                           f"stock only: {', '.join(not_yet)}")
    resolved = tuple(
        Requirement(consumer, item, qty,
                    (index[f"assembly:{item}"],) if item in cat.assemblies else tuple(suppliers_of.get(item, ())))
        for consumer, item, qty in requirements)
    basis = f"{quarter}: that quarter's planned racks per week; sources shipping on {when.isoformat()}"
    ttr = {r.target: r.ttr_weeks for r in lib.recovery}
    return SupplyNetwork(tuple(nodes), resolved, tuple(warnings), basis, ttr, lib.default_ttr_weeks)


# ---------------------------------------------------------------------------------------------
# synthetic networks for tests and benchmarks


def synthetic_network(n_nodes: int, seed: int = 0, *, products: int | None = None,
                      sources_per_part: tuple[int, int] = (1, 3), stock_weeks: float = 4.0,
                      capacity_margin: float = 1.3) -> SupplyNetwork:
    """A random three-tier network (products ← assemblies ← sources) with about ``n_nodes`` nodes.

    Roughly 2 % products, 10 % assemblies and the rest sources, grouped about three to a site, with
    sites spread over countries and regions. Stock covers about ``stock_weeks`` of demand and
    capacities exceed demand by ``capacity_margin`` on average, so no disruption means no loss.
    """
    import numpy as np

    rng = np.random.default_rng(seed)
    n_products = products if products is not None else max(1, n_nodes // 50)
    n_assemblies = max(1, n_nodes // 10)
    n_sources = max(1, n_nodes - n_products - n_assemblies)
    nodes: list[Node] = []
    reqs: list[Requirement] = []
    regions = ["East Asia", "North America", "Europe", "Southeast Asia"]
    countries = {"East Asia": ["TW", "KR", "JP", "CN"], "North America": ["US", "MX", "CA"],
                 "Europe": ["DE", "NL"], "Southeast Asia": ["MY", "VN", "TH"]}

    def place(k: int) -> tuple[str, str, str]:
        site = k // 3
        region = regions[site % len(regions)]
        country = countries[region][(site // len(regions)) % len(countries[region])]
        return f"site-{site}", country, region

    demand = rng.uniform(1.0, 5.0, n_products)
    for j in range(n_products):
        nodes.append(Node(f"design:p{j}", "design", f"product {j}", "integration", "US", "North America",
                          stock_units=float(rng.uniform(0, stock_weeks) * demand[j]),
                          demand_per_week=float(demand[j]), value_usd=float(rng.uniform(1e5, 4e6))))
    for a in range(n_assemblies):
        nodes.append(Node(f"assembly:a{a}", "assembly", f"assembly {a}", "integration", "US", "North America"))
    # each product needs 1-4 assemblies; each assembly is used by at least one product
    usage = np.zeros(n_assemblies)
    assembly_demand = np.zeros(n_assemblies)
    for j in range(n_products):
        picks = rng.choice(n_assemblies, size=min(n_assemblies, int(rng.integers(1, 5))), replace=False)
        for a in picks:
            qty = float(rng.integers(1, 5))
            reqs.append(Requirement(j, f"a{a}", qty, (n_products + int(a),)))
            usage[a] += 1
            assembly_demand[a] += qty * demand[j]
    for unused in np.flatnonzero(usage == 0):
        user = int(rng.integers(n_products))
        reqs.append(Requirement(user, f"a{unused}", 1.0, (n_products + int(unused),)))
        assembly_demand[unused] += demand[user]
    # parts: groups of 1-3 sources; each part is used by 1-2 assemblies
    base = n_products + n_assemblies
    k = 0
    part_no = 0
    while k < n_sources:
        n_alt = min(n_sources - k, int(rng.integers(sources_per_part[0], sources_per_part[1] + 1)))
        users = rng.choice(n_assemblies, size=min(n_assemblies, int(rng.integers(1, 3))), replace=False)
        qtys = rng.integers(1, 9, size=len(users)).astype(float)
        part_demand = float(sum(q * assembly_demand[a] for q, a in zip(qtys, users, strict=True)))
        shares = rng.dirichlet(np.ones(n_alt))
        members = []
        for s in range(n_alt):
            site, country, region = place(k + s)
            cap = capacity_margin * part_demand * float(shares[s])
            nodes.append(Node(f"source:x{part_no}@{site}-{s}", "source", f"part {part_no} source {s}", site,
                              country, region, part=f"x{part_no}",
                              stock_units=float(rng.uniform(0, stock_weeks) * part_demand * shares[s]),
                              capacity_per_week=cap))
            members.append(base + k + s)
        for a, q in zip(users, qtys, strict=True):
            reqs.append(Requirement(n_products + int(a), f"x{part_no}", float(q), tuple(members)))
        k += n_alt
        part_no += 1
    ttr = {f"node:{n.id}": float(rng.uniform(2, 30)) for n in nodes}
    return SupplyNetwork(tuple(nodes), tuple(reqs), (), "synthetic", ttr, WEEKS_PER_QUARTER)


def with_stock(network: SupplyNetwork, extra_units: Sequence[float] | Callable[[int, Node], float]) -> SupplyNetwork:
    """A copy of ``network`` with stock added to each node [units]."""
    from dataclasses import replace

    nodes = []
    for i, n in enumerate(network.nodes):
        add = extra_units(i, n) if callable(extra_units) else extra_units[i]
        nodes.append(replace(n, stock_units=n.stock_units + add))
    return replace(network, nodes=tuple(nodes))
