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

Every supply figure comes from :mod:`rackforge.core` (the definitions the BOM, the TCO and the
optimiser use): whether a source ships (:func:`rackforge.core.supply.may_ship_on`, alternates
counting from their expected dates), the value of a rack (:func:`rack_value_usd`: the scenario
library's override, else :func:`rackforge.core.supply.rack_component_cost_usd`), the value of a part
(:func:`part_values_usd`, landed cost), part lead times (:func:`part_lead_times_weeks`) and the
bill-of-materials walk (:mod:`rackforge.core.bom`). The Monte Carlo and the safety-stock trees take
them from here.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import numpy as np

from rackforge.calendar import WEEKS_PER_QUARTER, quarter_start
from rackforge.core.bom import BomStructure, catalog_walk, part_demand_by_quarter
from rackforge.core.supply import (
    SourceMode,
    may_ship_on,
    part_unit_cost_on,
    plan_view_date,
    rack_component_cost_usd,
    source_start_date,
    supply_view,
)
from rackforge.resilience.scenarios import library_of
from rackforge.schema.scenarios import ScenarioLibrary

if TYPE_CHECKING:
    from rackforge.schema import Programme

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
class SupplyGraph:
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
# supply figures of a programme: all from rackforge.core, so they are the BOM's, the TCO's and the
# optimiser's figures too


def plan_start(programme: Programme) -> dt.date:
    """First day of the build plan [date]."""
    return quarter_start(programme.build_plan.quarter_list[0])


def part_values_usd(programme: Programme) -> dict[str, float]:
    """Value of one unit of every part of the catalog [USD]: its landed unit cost at the integration
    site (order-share-weighted price + freight + duty, the unknown-origin rest at the part's fallback
    cost) in the programme-wide qualified view, i.e. :func:`rackforge.core.supply.part_unit_cost_on`
    on :func:`~rackforge.core.supply.plan_view_date` (the plan's first day)."""
    when = plan_view_date(programme.build_plan, SourceMode.QUALIFIED)
    return part_unit_cost_on(programme, when, SourceMode.QUALIFIED)


def rack_value_usd(programme: Programme, design: str, library: ScenarioLibrary | None = None) -> float:
    """Value of one rack [USD]: the scenario library's ``rack_value_usd`` for the design when given,
    else its component cost at the integration site (:func:`rackforge.core.supply.rack_component_cost_usd`,
    the same figure as the BOM and the TCO)."""
    lib = library if library is not None else library_of(programme)
    if design in lib.rack_value_usd:
        return lib.rack_value_usd[design]
    return rack_component_cost_usd(programme, design)


def part_lead_times_weeks(programme: Programme) -> dict[str, float]:
    """Lead time of every part of the catalog from order to the integration site [weeks], as the plan
    expects it at its start: :meth:`SupplyView.part_lead_time_weeks` (sources' lead times plus the
    trade lane's transit, weighted by order share) on the order shares with alternates of the plan's
    first day. A part that no source may ship that day takes the shares of the first quarter in which
    one may; a part that no source ships during the plan gets 0 (nothing of it arrives anyway)."""
    view = supply_view(programme)
    lead = np.full(view.n_parts, np.nan)
    for quarter in programme.build_plan.quarter_list:
        missing = np.isnan(lead)
        if not missing.any():
            break
        shares = view.order_shares(quarter_start(quarter), SourceMode.ALTERNATES)
        lead[missing] = view.part_lead_time_weeks(shares)[missing]
    return dict(zip(view.part_ids, np.nan_to_num(lead, nan=0.0).tolist(), strict=True))


def default_part_stock(programme: Programme, library: ScenarioLibrary | None = None) -> dict[str, float]:
    """Stock of the parts that have no ``stock`` entry [units]: ``default_stock_weeks`` of each
    part's first non-zero planned quarterly need (over the designs of the build plan, exploded by
    :func:`rackforge.core.bom.part_demand_by_quarter`)."""
    lib = library if library is not None else library_of(programme)
    if lib.default_stock_weeks <= 0:
        return {}
    listed = {entry.ref for entry in lib.stock}
    plan = programme.build_plan
    structure = BomStructure.from_catalog(programme.catalog, plan.designs)
    _, need = part_demand_by_quarter(structure, plan)
    out: dict[str, float] = {}
    for row in need:
        for k in np.flatnonzero(row > 0):
            part = structure.part_ids[k]
            if part not in listed and part not in out:
                out[part] = lib.default_stock_weeks * float(row[k]) / WEEKS_PER_QUARTER
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


# ---------------------------------------------------------------------------------------------
# the graph of a programme, in four steps: stock, designs and assemblies, sources, requirements

StockKey = tuple[str, str | None]
"""(item, site): stock of a part, assembly or design; site None = at the integration site."""


@dataclass
class _GraphNodes:
    """Nodes of a graph being built, in the order they are added, with their index by id."""

    nodes: list[Node] = field(default_factory=list)
    index: dict[str, int] = field(default_factory=dict)

    def add(self, node: Node) -> int:
        self.index[node.id] = len(self.nodes)
        self.nodes.append(node)
        return self.index[node.id]


def stock_by_location(programme: Programme, library: ScenarioLibrary) -> dict[StockKey, float]:
    """Stock at plan start per (item, site) [units]: the library's ``stock`` entries (on hand plus
    pipeline; no site = at the integration site) and, at the integration site, the default stock
    of every part without an entry (:func:`default_part_stock`)."""
    stock: dict[StockKey, float] = {}
    for entry in library.stock:
        key = (entry.ref, entry.site)
        stock[key] = stock.get(key, 0.0) + entry.total_units
    for part, units in default_part_stock(programme, library).items():
        stock[(part, None)] = units
    return stock


def _add_product_nodes(programme: Programme, library: ScenarioLibrary, graph: _GraphNodes,
                       demand: dict[str, float], stock: dict[StockKey, float]) -> list[tuple[int, str, float]]:
    """Add, at the integration site, a node for every design with demand (its racks per week and
    :func:`rack_value_usd`) followed by the assemblies its bill of materials contains (found by the
    :mod:`rackforge.core.bom` walk, each added once). Returns each node's requirements as
    (consumer node, item, quantity per unit made), from the record's own items."""
    catalog = programme.catalog
    integ = programme.integration_site
    walk, _ = catalog_walk(catalog)
    assembly_of_column = {column: ref for ref, column in walk.assembly_index.items()}
    requirements: list[tuple[int, str, float]] = []

    def add(ref: str, kind: NodeKind) -> None:
        is_design = kind == "design"
        record = catalog.designs[ref] if is_design else catalog.assemblies[ref]
        consumer = graph.add(Node(
            f"{kind}:{ref}", kind, record.name, integ.id, integ.country, integ.region,
            stock_units=stock.get((ref, None), 0.0),
            demand_per_week=demand.get(ref, 0.0) if is_design else 0.0,
            value_usd=rack_value_usd(programme, ref, library) if is_design else 0.0))
        merged: dict[str, float] = {}
        for item in record.items:
            merged[item.ref] = merged.get(item.ref, 0.0) + item.quantity
        requirements.extend((consumer, item_ref, qty) for item_ref, qty in merged.items())

    for design in demand:
        add(design, "design")
        _, assemblies = walk.unit(design)
        for column in assemblies:
            if f"assembly:{assembly_of_column[column]}" not in graph.index:
                add(assembly_of_column[column], "assembly")
    return requirements


def _add_source_nodes(programme: Programme, graph: _GraphNodes, parts: Sequence[str], when: dt.date,
                      stock: dict[StockKey, float]) -> tuple[dict[str, list[int]], list[str]]:
    """Add the nodes that supply each of ``parts``: one per source, making ``capacity_per_quarter``
    / 13.04 a week if it may ship on ``when`` under the plan's expectation
    (:func:`rackforge.core.supply.may_ship_on` with alternates), else nothing (its stock still
    counts); and a ``stock:`` node for part stock at the integration site. Returns the supplier
    nodes of each part and the warnings (sources not shipping yet, parts with no shipping source)."""
    catalog = programme.catalog
    integ = programme.integration_site
    suppliers_of: dict[str, list[int]] = {}
    not_yet: list[str] = []
    warnings: list[str] = []
    for part in parts:
        for src in programme.sources_by_part.get(part, ()):
            site = catalog.sites[src.site]
            shipping = may_ship_on(src, site, when, SourceMode.ALTERNATES)
            i = graph.add(Node(f"source:{part}@{src.site}", "source", f"{part} from {site.name}", site.id,
                               site.country, site.region, part=part, stock_units=stock.get((part, src.site), 0.0),
                               capacity_per_week=src.capacity_per_quarter / WEEKS_PER_QUARTER if shipping else 0.0))
            suppliers_of.setdefault(part, []).append(i)
            start = source_start_date(src.qualification, src.qualified_date, site.operational_from)
            if not shipping and start is not None:
                not_yet.append(f"{part}@{src.site} (from {start})")
        if (part, None) in stock:
            i = graph.add(Node(f"stock:{part}", "stock", f"{part} stock at {integ.name}", integ.id, integ.country,
                               integ.region, part=part, stock_units=stock[(part, None)], capacity_per_week=0.0))
            suppliers_of.setdefault(part, []).append(i)
        if not any(graph.nodes[i].capacity_per_week > 0 for i in suppliers_of.get(part, [])):
            warnings.append(f"part {part} has no source shipping at {when.isoformat()}: racks that need it "
                            "can be built only from stock")
    if not_yet:
        warnings.insert(0, f"{len(not_yet)} sources do not ship yet on {when.isoformat()} and count for their "
                           f"stock only: {', '.join(not_yet)}")
    return suppliers_of, warnings


def _resolve_requirements(programme: Programme, graph: _GraphNodes, requirements: list[tuple[int, str, float]],
                          suppliers_of: dict[str, list[int]]) -> tuple[Requirement, ...]:
    """Turn (consumer, item, quantity) into :class:`Requirement` s naming the nodes that can supply the
    item: an assembly's own node, or every source and stock node of a part (the alternates)."""
    assemblies = programme.catalog.assemblies
    return tuple(
        Requirement(consumer, item, qty,
                    (graph.index[f"assembly:{item}"],) if item in assemblies else tuple(suppliers_of.get(item, ())))
        for consumer, item, qty in requirements)


def build_network(programme: Programme, quarter: str | None = None) -> SupplyGraph:
    """The supply graph of a programme as it stands at the start of ``quarter`` (default: the
    first quarter of the plan).

    Demand per design: that quarter's planned racks per week. A source counts as shipping if it may
    ship on the quarter's first day under the plan's expectation (qualified, or an alternate past its
    expected date, and its site operating); the others keep their stock but make nothing. Stock
    comes from the scenario library's ``stock`` entries and ``default_stock_weeks``.
    """
    from rackforge.errors import InputError, Problem
    from rackforge.resilience.scenarios import require_valid_scenarios

    lib = require_valid_scenarios(programme)
    plan = programme.build_plan
    if quarter is not None and quarter not in plan.quarters:
        raise InputError([Problem("(command line)", None, "quarter",
                                  f"{quarter!r} is not in the build plan; valid: {', '.join(plan.quarter_list)}")])
    if quarter is None:
        quarter = plan.quarter_list[0]
    when = quarter_start(quarter)
    stock = stock_by_location(programme, lib)
    graph = _GraphNodes()
    requirements = _add_product_nodes(programme, lib, graph, planned_demand_per_week(programme, quarter), stock)
    parts_needed = sorted({item for _, item, _ in requirements if item in programme.catalog.parts})
    suppliers_of, warnings = _add_source_nodes(programme, graph, parts_needed, when, stock)
    basis = f"{quarter}: that quarter's planned racks per week; sources shipping on {when.isoformat()}"
    ttr = {r.target: r.ttr_weeks for r in lib.recovery}
    return SupplyGraph(tuple(graph.nodes), _resolve_requirements(programme, graph, requirements, suppliers_of),
                       tuple(warnings), basis, ttr, lib.default_ttr_weeks)


# ---------------------------------------------------------------------------------------------
# synthetic networks for tests and benchmarks


def synthetic_network(n_nodes: int, seed: int = 0, *, products: int | None = None,
                      sources_per_part: tuple[int, int] = (1, 3), stock_weeks: float = 4.0,
                      capacity_margin: float = 1.3) -> SupplyGraph:
    """A random three-tier network (products ← assemblies ← sources) with about ``n_nodes`` nodes.

    Roughly 2 % products, 10 % assemblies and the rest sources, grouped about three to a site, with
    sites spread over countries and regions. Stock covers about ``stock_weeks`` of demand and
    capacities exceed demand by ``capacity_margin`` on average, so no disruption means no loss.
    """
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
    return SupplyGraph(tuple(nodes), tuple(reqs), (), "synthetic", ttr, WEEKS_PER_QUARTER)


def with_stock(network: SupplyGraph, extra_units: Sequence[float] | Callable[[int, Node], float]) -> SupplyGraph:
    """A copy of ``network`` with stock added to each node [units]."""
    from dataclasses import replace

    nodes = []
    for i, n in enumerate(network.nodes):
        add = extra_units(i, n) if callable(extra_units) else extra_units[i]
        nodes.append(replace(n, stock_units=n.stock_units + add))
    return replace(network, nodes=tuple(nodes))
