"""Strategic safety stock: the guaranteed-service model solved exactly on spanning trees.

Graves & Willems, "Optimizing Strategic Safety Stock Placement in Supply Chains", Manufacturing &
Service Operations Management 2(1):68–83, 2000 (Simpson 1958 for the serial case).

Each stage ``j`` has a processing time ``T_j`` [periods], a holding cost ``h_j`` per unit and
period, a demand standard deviation ``σ_j`` per period, and quotes an outbound service time
``S_j``; its inbound service time ``SI_j`` is the largest ``S_i`` of its suppliers (external
supply: a given value, 0 by default). The net replenishment time ``τ_j = SI_j + T_j − S_j`` must be
≥ 0; demand stages (no downstream link) quote at most their maximum service time. Safety stock is
``z σ_j √τ_j`` and the problem is

    minimise Σ_j h_j z σ_j √τ_j   over integer service times.

On a spanning tree (links form a tree when directions are ignored) it is solved exactly by the
dynamic program of Graves & Willems (section 3): stages are labelled so that each has exactly one
neighbour with a higher label (leaf peeling); stage ``k`` then summarises the subtree hanging from
it as ``f_k(S)`` (its parent is downstream: best cost given ``S_k = S``) or ``g_k(SI)`` (its parent
is upstream: best cost given ``SI_k = SI``), using the relaxation ``SI_j ≥ S_i``, which has the
same optimum. σ of a stage that does not face demand, when not given, is
``(Σ_k (φ_jk σ_k)^p)^(1/p)`` over the stages ``k`` it supplies with ``φ_jk`` units each: ``p = 2``
for independent demands (our default), ``p = 1`` for perfectly correlated ones (check the paper's
demand-bound discussion before relying on the choice).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import Field

from rackforge.core.bom import explode
from rackforge.errors import InputError, Problem
from rackforge.resilience.service_grid import best_over, service_grid
from rackforge.schema.base import Model

if TYPE_CHECKING:
    import pandas as pd

    from rackforge.schema import Programme

Array = np.ndarray


@dataclass(frozen=True)
class Stage:
    """One stage of a supply tree (times in periods, costs per unit and period)."""

    id: str
    processing_periods: int
    holding_cost_per_period: float
    demand_sigma_per_period: float | None = None
    max_service_periods: int | None = None
    external_service_periods: int = 0
    name: str = ""


@dataclass(frozen=True)
class Link:
    """``upstream`` supplies ``quantity`` units per unit of ``downstream``."""

    upstream: str
    downstream: str
    quantity: float = 1.0


@dataclass(frozen=True)
class SupplyTree:
    """Stages and links forming a spanning tree, with the service level they must meet."""

    stages: tuple[Stage, ...]
    links: tuple[Link, ...]
    service_level: float = 0.95
    pooling_exponent: float = 2.0
    name: str = ""
    period: str = "week"

    @property
    def z(self) -> float:
        """Safety factor: the standard normal quantile of the service level [-]."""
        from rackforge.resilience.scenarios import z_for_service_level

        return z_for_service_level(self.service_level)

    def index(self) -> dict[str, int]:
        """Stage id -> position."""
        return {s.id: i for i, s in enumerate(self.stages)}

    def check(self) -> list[str]:
        """Problems that make this not a valid spanning tree (empty when valid)."""
        problems: list[str] = []
        idx = self.index()
        seen: set[str] = set()
        for s in self.stages:
            if s.id in seen:
                problems.append(f"stage {s.id!r} is defined twice")
            seen.add(s.id)
        if not self.stages:
            problems.append("the tree has no stages")
        for link in self.links:
            for end in (link.upstream, link.downstream):
                if end not in idx:
                    problems.append(f"link {link.upstream} -> {link.downstream}: unknown stage {end!r}")
            if link.quantity <= 0:
                problems.append(f"link {link.upstream} -> {link.downstream}: quantity must be > 0")
        if problems:
            return problems
        if len(self.links) != len(self.stages) - 1:
            problems.append(f"{len(self.stages)} stages need exactly {len(self.stages) - 1} links to form a "
                            f"spanning tree; got {len(self.links)} (the safety-stock DP needs a tree)")
        parent = list(range(len(self.stages)))

        def find(a: int) -> int:
            while parent[a] != a:
                parent[a] = parent[parent[a]]
                a = parent[a]
            return a

        for link in self.links:
            a, b = find(idx[link.upstream]), find(idx[link.downstream])
            if a == b:
                problems.append(f"link {link.upstream} -> {link.downstream} closes a cycle; a stage that "
                                "supplies two others through different paths needs one stage per path")
            parent[a] = b
        if not problems and len({find(i) for i in range(len(self.stages))}) > 1:
            problems.append("the stages are not all connected by links")
        for s in self.stages:
            if s.processing_periods < 0 or s.external_service_periods < 0:
                problems.append(f"stage {s.id!r}: times must be ≥ 0")
            if s.holding_cost_per_period < 0:
                problems.append(f"stage {s.id!r}: holding cost must be ≥ 0")
        downstream_of = {link.upstream for link in self.links}
        for s in self.stages:
            if s.id not in downstream_of and s.demand_sigma_per_period is None:
                problems.append(f"stage {s.id!r} faces demand (it supplies no other stage) and needs "
                                "demand_sigma_per_period")
        if not 0.5 <= self.service_level < 1.0:
            problems.append(f"service level {self.service_level} must be in [0.5, 1)")
        return problems


@dataclass(frozen=True)
class StageResult:
    """Optimal service times and safety stock of one stage."""

    stage: Stage
    service_time: int
    inbound_service_time: int
    net_replenishment_time: int
    demand_sigma_per_period: float
    safety_stock: float
    holding_cost: float

    def to_json(self) -> dict[str, Any]:
        return {"stage": self.stage.id, "name": self.stage.name, "processing_time": self.stage.processing_periods,
                "service_time": self.service_time, "inbound_service_time": self.inbound_service_time,
                "net_replenishment_time": self.net_replenishment_time,
                "demand_sigma": round(self.demand_sigma_per_period, 6),
                "safety_stock": round(self.safety_stock, 4), "holding_cost": round(self.holding_cost, 4)}


@dataclass(frozen=True)
class SafetyStockResult:
    """The optimal safety-stock placement of one tree."""

    tree: SupplyTree
    stages: tuple[StageResult, ...]
    total_cost: float
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"tree": self.tree.name, "period": self.tree.period, "service_level": self.tree.service_level,
                "z": round(self.tree.z, 6), "total_cost": round(self.total_cost, 4),
                "stages": [s.to_json() for s in self.stages], **self.extra}

    def to_frame(self) -> pd.DataFrame:
        """One row per stage (times in the tree's periods)."""
        import pandas as pd

        return pd.DataFrame([s.to_json() for s in self.stages])


# ---------------------------------------------------------------------------------------------
# the model


def stage_sigmas(tree: SupplyTree) -> Array:
    """σ per stage [units/period]: given, or pooled from the stages it supplies (see module doc)."""
    idx = tree.index()
    sigma = np.array([np.nan if s.demand_sigma_per_period is None else s.demand_sigma_per_period
                      for s in tree.stages], dtype=float)
    supplies: dict[int, list[tuple[int, float]]] = {}
    for link in tree.links:
        supplies.setdefault(idx[link.upstream], []).append((idx[link.downstream], link.quantity))
    p = tree.pooling_exponent

    def resolve(i: int, depth: int = 0) -> float:
        if not math.isnan(sigma[i]):
            return float(sigma[i])
        value = sum((q * resolve(j, depth + 1)) ** p for j, q in supplies.get(i, [])) ** (1.0 / p)
        sigma[i] = value
        return value

    for i in range(len(tree.stages)):
        resolve(i)
    return sigma


def stage_cost(tree: SupplyTree, service: Sequence[int] | Array) -> float:
    """Total holding cost of safety stock for outbound service times ``service`` [cost/period], or
    ``inf`` if they break a constraint (τ < 0, or a demand stage above its maximum service time)."""
    idx = tree.index()
    s = np.asarray(service, dtype=float)
    inbound = np.array([float(st.external_service_periods) for st in tree.stages])
    has_upstream = np.zeros(len(tree.stages), dtype=bool)
    for link in tree.links:
        j = idx[link.downstream]
        inbound[j] = s[idx[link.upstream]] if not has_upstream[j] else max(inbound[j], s[idx[link.upstream]])
        has_upstream[j] = True
    return float(_costs_for(tree, s[None, :], inbound[None, :])[0])


def _costs_for(tree: SupplyTree, service: Array, inbound: Array) -> Array:
    """Vectorised cost of many candidate solutions (rows) [cost/period]."""
    T = np.array([st.processing_periods for st in tree.stages], dtype=float)
    h = np.array([st.holding_cost_per_period for st in tree.stages])
    sigma = stage_sigmas(tree)
    tau = inbound + T - service
    feeds = {link.upstream for link in tree.links}
    smax = np.array([np.inf if st.id in feeds else float(st.max_service_periods or 0) for st in tree.stages])
    bad = (tau < 0).any(axis=1) | (service > smax).any(axis=1)
    cost = (h * tree.z * sigma * np.sqrt(np.maximum(tau, 0.0))).sum(axis=1)
    return np.where(bad, np.inf, cost)


def optimise(tree: SupplyTree) -> SafetyStockResult:
    """Optimal service times by the Graves & Willems dynamic program on the spanning tree."""
    problems = tree.check()
    if problems:
        raise InputError([Problem(tree.name or "(supply tree)", None, "", p) for p in problems])
    n = len(tree.stages)
    idx = tree.index()
    T = np.array([s.processing_periods for s in tree.stages], dtype=np.int64)
    h = np.array([s.holding_cost_per_period for s in tree.stages])
    sigma = stage_sigmas(tree)
    z = tree.z
    ups: list[list[int]] = [[] for _ in range(n)]
    downs: list[list[int]] = [[] for _ in range(n)]
    for link in tree.links:
        ups[idx[link.downstream]].append(idx[link.upstream])
        downs[idx[link.upstream]].append(idx[link.downstream])
    longest = _longest_replenishment(tree, ups)
    grid = service_grid(tree, ups, longest)  # periods 0…M, or the candidate service times (bounded)
    size = len(grid)
    order, parent = _label(n, ups, downs)
    f: dict[int, Array] = {}
    g: dict[int, Array] = {}
    f_arg: dict[int, Array] = {}
    g_arg: dict[int, Array] = {}
    for k in order:
        up_children = [i for i in ups[k] if i != parent[k]]
        down_children = [j for j in downs[k] if j != parent[k]]
        # inbound service time: at most the longest upstream replenishment, at least the external one
        si_ok = grid <= longest[k] - T[k]
        if not ups[k]:
            si_ok &= grid >= tree.stages[k].external_service_periods
        s_ok = grid <= longest[k]
        if not downs[k]:
            s_ok &= grid <= (tree.stages[k].max_service_periods or 0)
        up_sum = np.zeros(size)
        for i in up_children:
            up_sum += np.minimum.accumulate(f[i])                       # F_i(SI) = min_{S_i ≤ SI} f_i
        down_sum = np.zeros(size)
        for j in down_children:
            down_sum += np.minimum.accumulate(g[j][::-1])[::-1]         # G_j(S) = min_{SI_j ≥ S} g_j
        # table rows S, columns SI: cost of τ = SI + T − S, plus the subtrees hanging from k
        upstream_parent = parent[k] >= 0 and parent[k] in ups[k]
        best_k, arg_k = best_over(float(h[k] * z * sigma[k]), int(T[k]), grid, down_sum, up_sum, s_ok, si_ok,
                                  over_columns=not upstream_parent)
        if upstream_parent:
            g[k], g_arg[k] = best_k, arg_k                                 # best S for each SI
        else:
            f[k], f_arg[k] = best_k, arg_k                                 # best SI for each S
    root = order[-1]
    best = float(f[root].min())
    if not math.isfinite(best):
        raise InputError([Problem(tree.name or "(supply tree)", None, "",
                                  "no service times meet the constraints: a demand stage's maximum service "
                                  "time cannot be negative, so check processing and external service times")])
    service = np.zeros(n, dtype=np.int64)  # positions on the grid until the tightening below
    inbound = np.zeros(n, dtype=np.int64)
    service[root] = int(np.argmin(f[root]))
    inbound[root] = int(f_arg[root][service[root]])
    stack = [root]
    while stack:
        k = stack.pop()
        for i in ups[k]:
            if i == parent[k]:
                continue
            service[i] = int(np.argmin(f[i][: inbound[k] + 1]))            # S_i ≤ SI_k
            inbound[i] = int(f_arg[i][service[i]])
            stack.append(i)
        for j in downs[k]:
            if j == parent[k]:
                continue
            inbound[j] = int(service[k] + np.argmin(g[j][service[k]:]))    # SI_j ≥ S_k
            service[j] = int(g_arg[j][inbound[j]])
            stack.append(j)
    service, inbound = grid[service], grid[inbound]
    # tighten to the original model: SI = max S of suppliers, S ≤ SI + T (never costs more)
    for k in _topological(n, ups):
        inbound[k] = max((service[i] for i in ups[k]), default=tree.stages[k].external_service_periods)
        service[k] = min(service[k], inbound[k] + T[k])
    tau = inbound + T - service
    safety = z * sigma * np.sqrt(tau)
    holding = h * safety
    total_cost = float(holding.sum())
    if abs(total_cost - best) > 1e-7 * max(1.0, abs(best)):
        from rackforge.errors import SolverError
        raise SolverError(f"internal check failed: the safety-stock DP found {best:.6g} but its service times "
                          f"cost {total_cost:.6g}; please report this tree")
    results = tuple(StageResult(tree.stages[k], int(service[k]), int(inbound[k]), int(tau[k]), float(sigma[k]),
                                float(safety[k]), float(holding[k])) for k in range(n))
    return SafetyStockResult(tree, results, total_cost)


def _longest_replenishment(tree: SupplyTree, ups: list[list[int]]) -> Array:
    """Longest time from external supply to the output of each stage [periods] (bounds S and SI)."""
    n = len(tree.stages)
    out = np.zeros(n, dtype=np.int64)
    for k in _topological(n, ups):
        before = max((int(out[i]) for i in ups[k]), default=tree.stages[k].external_service_periods)
        out[k] = before + tree.stages[k].processing_periods
    return out


def _topological(n: int, ups: list[list[int]]) -> list[int]:
    """Stages with every supplier before the stages it supplies."""
    done: list[int] = []
    seen = [False] * n

    def visit(k: int) -> None:
        stack = [(k, 0)]
        while stack:
            node, i = stack.pop()
            if i < len(ups[node]):
                stack.append((node, i + 1))
                u = ups[node][i]
                if not seen[u]:
                    seen[u] = True
                    stack.append((u, 0))
            else:
                done.append(node)

    for k in range(n):
        if not seen[k]:
            seen[k] = True
            visit(k)
    return done


def _label(n: int, ups: list[list[int]], downs: list[list[int]]) -> tuple[list[int], list[int]]:
    """Graves & Willems labelling by leaf peeling: the order of stages, and each stage's neighbour
    with the higher label (its parent; −1 for the last stage)."""
    neighbours = [set(ups[k]) | set(downs[k]) for k in range(n)]
    degree = [len(nb) for nb in neighbours]
    removed = [False] * n
    leaves = sorted(k for k in range(n) if degree[k] <= 1)
    order: list[int] = []
    parent = [-1] * n
    import heapq

    heapq.heapify(leaves)
    while leaves:
        k = heapq.heappop(leaves)
        if removed[k]:
            continue
        removed[k] = True
        order.append(k)
        for nb in neighbours[k]:
            if not removed[nb]:
                parent[k] = nb
                degree[nb] -= 1
                if degree[nb] == 1:
                    heapq.heappush(leaves, nb)
    if len(order) < n:  # only if not a tree, which check() excludes
        raise ValueError("not a tree")
    last = order[-1]
    parent[last] = -1
    return order, parent


def brute_force(tree: SupplyTree) -> tuple[float, Array]:
    """Optimal cost and service times by enumerating every combination (small trees only)."""
    idx = tree.index()
    ups: list[list[int]] = [[] for _ in tree.stages]
    for link in tree.links:
        ups[idx[link.downstream]].append(idx[link.upstream])
    longest = _longest_replenishment(tree, ups)
    grids = np.meshgrid(*[np.arange(int(m) + 1) for m in longest], indexing="ij")
    service = np.stack([g.ravel() for g in grids], axis=1).astype(float)
    inbound = np.tile(np.array([float(s.external_service_periods) for s in tree.stages]), (service.shape[0], 1))
    for k, suppliers in enumerate(ups):
        if suppliers:
            inbound[:, k] = service[:, suppliers].max(axis=1)
    costs = _costs_for(tree, service, inbound)
    best = int(np.argmin(costs))
    return float(costs[best]), service[best].astype(np.int64)


# ---------------------------------------------------------------------------------------------
# trees from files and from a programme


class TreeStageSpec(Model):
    """A stage in a supply-tree file (times in periods, holding cost per unit and period)."""

    id: str = Field(min_length=1)
    name: str = ""
    processing_periods: int = Field(ge=0)
    holding_cost_per_period: float = Field(ge=0)
    demand_sigma_per_period: float | None = Field(None, ge=0, description="required for stages facing demand")
    max_service_periods: int | None = Field(None, ge=0, description="demand stages: longest service time quoted")
    external_service_periods: int = Field(0, ge=0, description="service time of external supply")


class TreeLinkSpec(Model):
    """``from`` supplies ``quantity`` units per unit of ``to``."""

    upstream: str = Field(alias="from")
    downstream: str = Field(alias="to")
    quantity: float = Field(1.0, gt=0)


class TreeFile(Model):
    """The ``supply_tree:`` mapping of a supply-tree YAML file."""

    name: str = ""
    period: str = "week"
    service_level: float = Field(0.95, ge=0.5, lt=1.0)
    pooling_exponent: float = Field(2.0, ge=1.0, description="2: independent demands, 1: fully correlated")
    stages: tuple[TreeStageSpec, ...] = Field(min_length=1)
    links: tuple[TreeLinkSpec, ...] = ()


def load_tree(path: str | Path, service_level: float | None = None) -> SupplyTree:
    """A supply tree from a YAML file (``supply_tree:`` with ``stages`` and ``links``) or a CSV file
    (one row per stage; see docs/resilience.md). Errors name file, line and field."""
    path = Path(path)
    if not path.is_file():
        raise InputError([Problem(str(path), None, "", "no such file; give a supply-tree YAML or CSV file, or a "
                                  "programme folder")])
    if path.suffix.lower() == ".csv":
        tree = _tree_from_csv(path)
    elif path.suffix.lower() in (".yaml", ".yml"):
        tree = _tree_from_yaml(path)
    else:
        raise InputError([Problem(str(path), None, "", "a supply tree is a .yaml/.yml or .csv file")])
    if service_level is not None:
        from dataclasses import replace
        tree = replace(tree, service_level=service_level)
    problems = tree.check()
    if not problems and tree_depth(tree) > MAX_TREE_DEPTH:
        problems = [f"the supply tree is {tree_depth(tree)} stages deep; the limit is {MAX_TREE_DEPTH} "
                    "(a real supply chain has a handful of tiers; is the file generated by mistake?)"]
    if problems:
        raise InputError([Problem(str(path), None, "", p) for p in problems])
    return tree


MAX_TREE_DEPTH = 64
"""Most stages on one path of a supply-tree file; deeper trees are refused before the dynamic program."""


def tree_depth(tree: SupplyTree) -> int:
    """Stages on the longest path of a valid (spanning, acyclic) tree, found without recursion."""
    idx = tree.index()
    neighbours: list[list[int]] = [[] for _ in tree.stages]
    for link in tree.links:
        a, b = idx[link.upstream], idx[link.downstream]
        neighbours[a].append(b)
        neighbours[b].append(a)

    def farthest(start: int) -> tuple[int, int]:
        """The stage farthest from ``start`` and its distance in stages (breadth-first)."""
        distance = {start: 1}
        queue = [start]
        for node in queue:
            for nb in neighbours[node]:
                if nb not in distance:
                    distance[nb] = distance[node] + 1
                    queue.append(nb)
        end = max(distance, key=lambda k: distance[k])
        return end, distance[end]

    end, _ = farthest(0)
    return farthest(end)[1]


def _tree_from_yaml(path: Path) -> SupplyTree:
    from pydantic import ValidationError

    from rackforge.io.yaml import read_yaml

    data, lines = read_yaml(path, str(path))
    if not isinstance(data, dict) or "supply_tree" not in data:
        raise InputError([Problem(str(path), 1, "", "a supply-tree file holds one mapping 'supply_tree:' with "
                                  "'stages:' and 'links:'")])
    try:
        spec = TreeFile.model_validate(data["supply_tree"])
    except ValidationError as exc:
        raise InputError([lines.problem(("supply_tree", *(p for p in e["loc"])), str(e["msg"]).removeprefix(
            "Value error, ")) for e in exc.errors(include_url=False)]) from None
    stages = tuple(Stage(s.id, s.processing_periods, s.holding_cost_per_period, s.demand_sigma_per_period,
                         s.max_service_periods, s.external_service_periods, s.name) for s in spec.stages)
    links = tuple(Link(link.upstream, link.downstream, link.quantity) for link in spec.links)
    return SupplyTree(stages, links, spec.service_level, spec.pooling_exponent, spec.name or path.stem, spec.period)


CSV_COLUMNS = ("stage", "processing_periods", "holding_cost_per_period", "demand_sigma_per_period",
               "max_service_periods", "external_service_periods", "supplies", "name")
"""Columns of a supply-tree CSV; ``stage``, ``processing_periods`` and ``holding_cost_per_period`` are
required; ``supplies`` lists the stages it feeds as ``id`` or ``id:quantity`` separated by ``;``."""


def _tree_from_csv(path: Path) -> SupplyTree:
    import csv

    from rackforge.io.yaml import read_text

    text = read_text(path, str(path))
    reader = csv.DictReader(text.splitlines())
    name = str(path)
    header = reader.fieldnames or []
    problems: list[Problem] = []
    unknown = [c for c in header if c not in CSV_COLUMNS]
    if unknown:
        problems.append(Problem(name, 1, unknown[0], f"unknown column; valid: {', '.join(CSV_COLUMNS)}"))
    for required in CSV_COLUMNS[:3]:
        if required not in header:
            problems.append(Problem(name, 1, required, "required column is missing"))
    if problems:
        raise InputError(problems)
    stages: list[Stage] = []
    links: list[Link] = []
    for line, row in enumerate(reader, start=2):
        def number(col: str, kind: type, required: bool = False, default: Any = None,
                   row: dict[str, str] = row, line: int = line) -> Any:
            raw = (row.get(col) or "").strip()
            if not raw:
                if required:
                    problems.append(Problem(name, line, col, "required value is missing"))
                return default
            try:
                value = kind(raw) if kind is float else int(raw)
                if kind is int and str(value) != raw.lstrip("+"):
                    raise ValueError
                return value
            except ValueError:
                what = "an integer" if kind is int else "a number"
                problems.append(Problem(name, line, col, f"{raw!r} is not {what}"))
                return default
        stage_id = (row.get("stage") or "").strip()
        if not stage_id:
            problems.append(Problem(name, line, "stage", "required value is missing"))
            continue
        stages.append(Stage(stage_id, number("processing_periods", int, True, 0),
                            number("holding_cost_per_period", float, True, 0.0),
                            number("demand_sigma_per_period", float), number("max_service_periods", int),
                            number("external_service_periods", int, default=0), (row.get("name") or "").strip()))
        for item in filter(None, (x.strip() for x in (row.get("supplies") or "").split(";"))):
            target, _, qty = item.partition(":")
            try:
                quantity = float(qty) if qty else 1.0
            except ValueError:
                problems.append(Problem(name, line, "supplies", f"{item!r}: write id or id:quantity"))
                continue
            links.append(Link(stage_id, target.strip(), quantity))
    if problems:
        raise InputError(problems)
    return SupplyTree(tuple(stages), tuple(links), 0.95, 2.0, path.stem, "period")


def design_tree(programme: Programme, design: str, settings: Any = None,
                shares: Mapping[str, float] | None = None) -> SupplyTree:
    """The supply tree of one rack design: the rack stage (integration and test), a stage per
    sub-assembly and per part occurrence (a part used in two assemblies is two stages, so the
    network is a tree), weeks as periods.

    Part stages: the part's lead time from order to the integration site, rounded up to whole
    weeks (:func:`~rackforge.resilience.network.part_lead_times_weeks`, the Monte Carlo's figure),
    and its landed unit cost (:func:`~rackforge.resilience.network.part_values_usd`); assembly
    stages: ``assembly_weeks`` and the landed cost of their contents; the rack stage: the value of
    a rack (:func:`~rackforge.resilience.network.rack_value_usd`, the BOM's component cost unless
    the scenario library overrides it); holding cost = value × ``holding_rate_per_year`` / 52.18
    per week. Rack demand: σ = ``demand_cv`` × the plan's mean weekly racks (quarters with racks).
    """
    from rackforge.calendar import WEEKS_PER_QUARTER
    from rackforge.resilience.network import part_lead_times_weeks, part_values_usd, rack_value_usd
    from rackforge.resilience.scenarios import library_of
    from rackforge.schema.scenarios import SafetyStockSettings

    lib = library_of(programme)
    cfg = settings if settings is not None else (lib.safety_stock or SafetyStockSettings(
        source="estimate: defaults of rackforge (95 % service, 25 %/year holding, demand cv 0.3)"))
    cat = programme.catalog
    if design not in cat.designs:
        from rackforge.errors import did_you_mean
        raise InputError([Problem("(command line)", None, "design", f"unknown design {design!r}"
                                  f"{did_you_mean(design, cat.designs)}")])
    racks = [r for r in programme.build_plan.racks(design).values() if r > 0]
    mean_per_week = (sum(racks) / (len(racks) * WEEKS_PER_QUARTER)) if racks else 0.0
    weekly_rate = cfg.holding_rate_per_year / 52.1775
    stages: list[Stage] = []
    links: list[Link] = []

    part_value = part_values_usd(programme)
    lead_time = part_lead_times_weeks(programme)

    def part_weeks(part: str) -> int:
        """The part's lead time rounded up to whole weeks (periods)."""
        return math.ceil(lead_time[part] - 1e-9)

    def value_of(ref: str) -> float:
        """Landed cost of the parts in one unit of an assembly [USD]."""
        return sum(q * part_value[p] for p, q in explode(cat, ref).items())

    def add(ref: str, path: str, parent: str | None, qty: float) -> None:
        if ref in cat.parts:
            stages.append(Stage(path, part_weeks(ref), part_value[ref] * weekly_rate, name=cat.parts[ref].name))
        else:
            record = cat.assemblies[ref]
            stages.append(Stage(path, cfg.assembly_weeks, value_of(ref) * weekly_rate, name=record.name))
            merged: dict[str, int] = {}
            for item in record.items:
                merged[item.ref] = merged.get(item.ref, 0) + item.quantity
            for child, q in merged.items():
                add(child, f"{path}/{child}", path, q)
        if parent is not None:
            links.append(Link(path, parent, qty))

    record = cat.designs[design]
    stages.append(Stage(design, cfg.integration_weeks, rack_value_usd(programme, design, lib) * weekly_rate,
                        cfg.demand_cv * mean_per_week, cfg.rack_service_weeks, name=record.name))
    merged_top: dict[str, int] = {}
    for item in record.items:
        merged_top[item.ref] = merged_top.get(item.ref, 0) + item.quantity
    for child, q in merged_top.items():
        add(child, f"{design}/{child}", design, q)
    return SupplyTree(tuple(stages), tuple(links), cfg.service_level, 1.0, design, "week")


def programme_buffers(programme: Programme, designs: Sequence[str] | None = None) -> list[SafetyStockResult]:
    """Optimal safety stock of each planned design's supply tree (or of ``designs``)."""
    chosen = list(designs) if designs else [d.id for d in programme.planned_designs]
    return [optimise(design_tree(programme, d)) for d in chosen]
