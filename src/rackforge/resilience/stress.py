"""Stress test: time to survive (TTS) and time to recover (TTR) of every node.

Linear programs of Simchi-Levi et al., "Identifying Risks and Mitigating Disruptions in the
Automotive Supply Chain", Interfaces 45(5):375–390, 2015, over a :class:`SupplyGraph`.
Variables over a window of ``t`` weeks (all ≥ 0): production ``u_j``, flow ``y_ij`` from supplier
``i`` to consumer ``j``, lost demand ``l_j`` of each product. Constraints:

1. ``r_kj u_j − Σ_{i∈P_jk} y_ij ≤ 0``        bill of materials (any alternate may supply)
2. ``Σ_j y_ij − u_i ≤ s_i``                 a node ships what it makes plus its stock
3. ``u_j = 0`` for ``j ∈ S(n)``             disrupted nodes make nothing (column bounds)
4. ``u_j + l_j − d_j t ≥ −s_j``             products: demand over the window, met or lost
5. ``u_i − c_i t ≤ 0``                      capacity over the window

TTS(n): maximise ``t`` with ``l = 0`` (bounded by a horizon; reaching it means "survives").
TTR model: fix ``t = TTR(n)``, minimise ``Σ f_j l_j`` = performance impact PI(n) [USD].
Risk exposure index REI(n) = PI(n) / max_m PI(m). A node with TTR > TTS is exposed.

One HiGHS model is built once and reused for every disruption: only column bounds (and, between
the two passes, the objective) change, so each solve warm-starts from the previous basis.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rackforge.core import lp
from rackforge.errors import SolverError
from rackforge.resilience.network import Disruption, SupplyGraph

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
    from numpy.typing import NDArray

    from rackforge.schema import Programme

DEFAULT_HORIZON_WEEKS = 520.0
"""Longest window the TTS program looks at [weeks]; surviving that long counts as surviving (∞)."""


@dataclass(frozen=True)
class NodeStress:
    """Stress-test result of one disruption."""

    disruption: Disruption
    tts_weeks: float
    ttr_weeks: float
    racks_lost: dict[str, float]
    value_lost_usd: float
    risk_exposure_index: float = 0.0

    @property
    def exposed(self) -> bool:
        """True when the node takes longer to recover than the network survives without it."""
        return self.ttr_weeks > self.tts_weeks + 1e-9

    def to_json(self) -> dict[str, Any]:
        """JSON form: ``tts_weeks`` is null when the plan survives the disruption indefinitely."""
        return {
            "node": self.disruption.id,
            "kind": self.disruption.kind,
            "name": self.disruption.name,
            "members": len(self.disruption.nodes),
            "tts_weeks": None if math.isinf(self.tts_weeks) else round(self.tts_weeks, 4),
            "ttr_weeks": round(self.ttr_weeks, 4),
            "exposed": self.exposed,
            "impact": {"racks_lost": {k: round(v, 4) for k, v in self.racks_lost.items()},
                       "value_lost_usd": round(self.value_lost_usd, 2)},
            "risk_exposure_index": round(self.risk_exposure_index, 6),
        }


@dataclass(frozen=True)
class StressResult:
    """Stress-test results, most exposed first."""

    nodes: tuple[NodeStress, ...]
    baseline_tts_weeks: float
    horizon_weeks: float
    demand_basis: str = ""
    warnings: tuple[str, ...] = ()
    solves: int = 0
    simplex_iterations: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """JSON form (see docs/resilience.md)."""
        return {
            "demand_basis": self.demand_basis,
            "horizon_weeks": self.horizon_weeks,
            "baseline_tts_weeks": None if math.isinf(self.baseline_tts_weeks) else round(self.baseline_tts_weeks, 4),
            "exposed": sum(n.exposed for n in self.nodes),
            "nodes": [n.to_json() for n in self.nodes],
            "warnings": list(self.warnings),
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per disruption, with units in the column names."""
        import pandas as pd

        return pd.DataFrame([{
            "node": n.disruption.id, "kind": n.disruption.kind, "tts_weeks": n.tts_weeks,
            "ttr_weeks": n.ttr_weeks, "exposed": n.exposed, "racks_lost": sum(n.racks_lost.values()),
            "value_lost_usd": n.value_lost_usd, "risk_exposure_index": n.risk_exposure_index,
        } for n in self.nodes])


# --------------------------------------------------------------------------------------------
# the linear program, built once per network


@dataclass(frozen=True)
class StressColumns:
    """Where each variable of the stress-test program sits.

    Production ``u_j`` of node ``j`` is column ``j``; the flow ``y_ij`` on supply link ``(i, j)`` is
    column :meth:`flow`; racks lost ``l`` of the ``p``-th product are column ``first_lost + p``; the
    window ``t`` [weeks] is the last column, :attr:`window`.
    """

    n_nodes: int
    links: dict[tuple[int, int], int]
    """Number of each supply link (supplier node, consumer node), in order of first appearance."""
    n_products: int

    def flow(self, supplier: int, consumer: int) -> int:
        """Column of the flow from ``supplier`` to ``consumer`` [units]."""
        return self.link_flow(self.links[(supplier, consumer)])

    def link_flow(self, link: int) -> int:
        """Column of the flow on supply link number ``link`` [units]."""
        return self.n_nodes + link

    @property
    def first_lost(self) -> int:
        """Column of the racks lost of the first product."""
        return self.n_nodes + len(self.links)

    @property
    def window(self) -> int:
        """Column of the window ``t`` [weeks]."""
        return self.first_lost + self.n_products

    @property
    def n_cols(self) -> int:
        """Number of columns."""
        return self.window + 1


def stress_columns(network: SupplyGraph) -> StressColumns:
    """The column layout of ``network``'s program: one flow column per distinct supply link."""
    links: dict[tuple[int, int], int] = {}
    for req in network.requirements:
        for i in req.suppliers:
            links.setdefault((i, req.consumer), len(links))
    return StressColumns(len(network.nodes), links, len(network.products))


class ConstraintRows:
    """Constraint rows collected one at a time: matrix entries as (row, column, value) triplets, and
    each row's lower and upper bound."""

    def __init__(self) -> None:
        self.rows: list[int] = []
        self.cols: list[int] = []
        self.values: list[float] = []
        self.lower: list[float] = []
        self.upper: list[float] = []

    def add(self, entries: Iterable[tuple[int, float]], lower: float, upper: float) -> None:
        """Append the row ``lower ≤ Σ value·x[column] ≤ upper`` over ``entries`` of (column, value)."""
        r = len(self.lower)
        for c, v in entries:
            self.rows.append(r)
            self.cols.append(c)
            self.values.append(v)
        self.lower.append(lower)
        self.upper.append(upper)


def add_bill_of_materials_rows(rows: ConstraintRows, network: SupplyGraph, columns: StressColumns) -> None:
    """1. ``r_kj u_j − Σ_{i∈P_jk} y_ij ≤ 0``: every unit node ``j`` makes takes ``r_kj`` of part ``k``,
    shipped by any of its suppliers [units]."""
    for req in network.requirements:
        rows.add([(req.consumer, req.quantity), *((columns.flow(i, req.consumer), -1.0) for i in req.suppliers)],
                 -math.inf, 0.0)


def add_shipment_rows(rows: ConstraintRows, network: SupplyGraph, columns: StressColumns) -> None:
    """2. ``Σ_j y_ij − u_i ≤ s_i``: a node ships no more than it makes plus its stock [units]; one row per
    node that supplies anything, in order of its first supply link."""
    out_links: dict[int, list[int]] = {}
    for (i, _j), e in columns.links.items():
        out_links.setdefault(i, []).append(e)
    for i, links in out_links.items():
        rows.add([*((columns.link_flow(e), 1.0) for e in links), (i, -1.0)], -math.inf, network.nodes[i].stock_units)


def add_demand_rows(rows: ConstraintRows, network: SupplyGraph, columns: StressColumns) -> None:
    """4. ``u_j + l_j − d_j t ≥ −s_j``: a product's demand over the window [racks] is built, taken
    from stock, or lost."""
    for p, j in enumerate(network.products):
        node = network.nodes[j]
        rows.add([(j, 1.0), (columns.first_lost + p, 1.0), (columns.window, -node.demand_per_week)],
                 -node.stock_units, math.inf)


def add_capacity_rows(rows: ConstraintRows, network: SupplyGraph, columns: StressColumns) -> None:
    """5. ``u_i − c_i t ≤ 0``: a node makes at most its weekly capacity times the window [units]; only
    nodes with a finite positive capacity get a row."""
    for i, node in enumerate(network.nodes):
        if 0 < node.capacity_per_week < math.inf:
            rows.add([(i, 1.0), (columns.window, -node.capacity_per_week)], -math.inf, 0.0)


def production_upper_bounds(network: SupplyGraph) -> NDArray[np.float64]:
    """Upper bound of each node's production while it is up [units]: 0 for nodes that make nothing
    (no capacity), unbounded otherwise (capacity is a row)."""
    import numpy as np

    return np.array([0.0 if node.capacity_per_week <= 0 else math.inf for node in network.nodes])


def stress_program(network: SupplyGraph, horizon_weeks: float
                   ) -> tuple[lp.SparseLinearModel, StressColumns, NDArray[np.float64]]:
    """The time-to-survive program of ``network`` with nothing down, its column layout and the
    production upper bounds [units].

    Maximise the window ``t`` ≤ ``horizon_weeks`` with no demand lost. The time-to-recover program
    differs only in its objective and bounds (:meth:`StressModel._set_mode`).
    """
    import numpy as np

    columns = stress_columns(network)
    rows = ConstraintRows()
    add_bill_of_materials_rows(rows, network, columns)
    add_shipment_rows(rows, network, columns)
    add_demand_rows(rows, network, columns)
    add_capacity_rows(rows, network, columns)
    production_upper = production_upper_bounds(network)
    n_cols, n_nodes = columns.n_cols, columns.n_nodes
    col_upper = np.full(n_cols, math.inf)
    col_upper[:n_nodes] = production_upper
    col_upper[columns.first_lost:columns.window] = 0.0  # no lost demand while surviving
    col_upper[columns.window] = horizon_weeks
    cost = np.zeros(n_cols)
    cost[columns.window] = 1.0
    a_start, a_index, a_value = lp.columnwise_matrix(
        np.array(rows.rows, dtype=np.int64), np.array(rows.cols, dtype=np.int64), np.array(rows.values), n_cols)
    program = lp.SparseLinearModel(
        col_cost=cost, col_lower=np.zeros(n_cols), col_upper=col_upper,
        row_lower=np.array(rows.lower), row_upper=np.array(rows.upper),
        a_start=a_start, a_index=a_index, a_value=a_value, maximize=True)
    return program, columns, production_upper


STRESS_SOLVER = lp.SolverSettings(threads=1)
"""HiGHS settings of the stress test: its solves are small warm-started simplex runs, which use one thread."""


class StressModel:
    """The TTS/TTR linear program of one network, built once, solved for many disruptions."""

    def __init__(self, network: SupplyGraph, horizon_weeks: float = DEFAULT_HORIZON_WEEKS):
        import highspy
        import numpy as np

        self.network = network
        self.horizon_weeks = float(horizon_weeks)
        self.inf = math.inf
        self.products = network.products
        program, self.columns, self.u_upper = stress_program(network, self.horizon_weeks)
        self.n_nodes, self.n_edges, self.n_products = len(network.nodes), len(self.columns.links), len(self.products)
        self.col_l0 = self.columns.first_lost
        self.col_t = self.columns.window
        self.highs = lp.new_highs(STRESS_SOLVER)
        try:
            lp.pass_model(self.highs, program)
        except lp.ModelRejectedError as exc:
            raise SolverError(f"HiGHS rejected the stress-test model; the network has {self.n_nodes} nodes "
                              f"and {self.n_edges} supply links") from exc
        self.mode = "tts"
        self.down: tuple[int, ...] = ()
        self.solves = 0
        self.iterations = 0
        self._np = np
        self._highspy = highspy

    # -- state changes -------------------------------------------------------------------------
    def _set_down(self, nodes: Sequence[int]) -> None:
        """Take ``nodes`` down (production fixed at zero) and bring the previous ones back."""
        np = self._np
        previous = np.array(self.down, dtype=np.int32)
        if previous.size:
            self.highs.changeColsBounds(previous.size, previous, np.zeros(previous.size), self.u_upper[previous])
        down = np.array(sorted(set(nodes)), dtype=np.int32)
        if down.size:
            self.highs.changeColsBounds(down.size, down, np.zeros(down.size), np.zeros(down.size))
        self.down = tuple(int(x) for x in down)

    def _set_mode(self, mode: str, window_weeks: float = 0.0) -> None:
        """Switch to the TTS program (``"tts"``: maximise the window, nothing lost) or the TTR program
        (``"ttr"``: window fixed at ``window_weeks`` [weeks], minimise the value of racks lost)."""
        np = self._np
        hs = self._highspy
        v = self.n_products
        lost = np.arange(self.col_l0, self.col_t, dtype=np.int32)
        if mode == "tts":
            if self.mode != "tts":
                self.highs.changeObjectiveSense(hs.ObjSense.kMaximize)
                costs = np.zeros(v + 1)
                costs[-1] = 1.0
                idx = np.append(lost, self.col_t).astype(np.int32)
                self.highs.changeColsCost(v + 1, idx, costs)
                self.highs.changeColsBounds(v, lost, np.zeros(v), np.zeros(v))
            self.highs.changeColBounds(self.col_t, 0.0, self.horizon_weeks)
        else:
            if self.mode != "ttr":
                self.highs.changeObjectiveSense(hs.ObjSense.kMinimize)
                values = np.array([self.network.nodes[j].value_usd for j in self.products])
                # a tiny weight on racks keeps racks lost meaningful for products of zero value
                costs = np.append(values + 1e-6, 0.0)
                idx = np.append(lost, self.col_t).astype(np.int32)
                self.highs.changeColsCost(v + 1, idx, costs)
                self.highs.changeColsBounds(v, lost, np.zeros(v), np.full(v, self.inf))
            self.highs.changeColBounds(self.col_t, window_weeks, window_weeks)
        self.mode = mode

    def _run(self, what: str) -> lp.SolveOutcome:
        """Solve, count the solve and its simplex iterations, and raise in domain words unless optimal."""
        outcome = lp.solve(self.highs)
        self.solves += 1
        self.iterations += outcome.simplex_iterations
        explain_termination(outcome.termination, outcome.model_status, what)
        return outcome

    # -- solves ---------------------------------------------------------------------------------
    def time_to_survive(self, down: Sequence[int], *, from_basis: Any = None) -> float:
        """TTS with ``down`` disrupted [weeks]; ``math.inf`` when the plan survives the horizon.

        ``from_basis`` (a basis from :meth:`basis`) warm-starts from that basis instead of the
        last solve's.
        """
        self._set_mode("tts")
        self._set_down(down)
        if from_basis is not None:
            self.highs.setBasis(from_basis)
        t = self._run(f"time to survive with {self._describe(down)} down").objective
        return math.inf if t >= self.horizon_weeks * (1 - 1e-9) else max(t, 0.0)

    def lost_demand(self, down: Sequence[int], window_weeks: float, *,
                    from_basis: Any = None) -> tuple[dict[str, float], float]:
        """Racks lost per product and their value [racks, USD] with ``down`` disrupted for ``window_weeks``."""
        self._set_mode("ttr", window_weeks)
        self._set_down(down)
        if from_basis is not None:
            self.highs.setBasis(from_basis)
        self._run(f"impact of {self._describe(down)} down for {window_weeks:g} weeks")
        values = self.highs.getSolution().col_value
        lost = {}
        value = 0.0
        for p, j in enumerate(self.products):
            racks = max(0.0, float(values[self.col_l0 + p]))
            node = self.network.nodes[j]
            lost[node.id.split(":", 1)[1]] = racks
            value += racks * node.value_usd
        return lost, value

    def basis(self) -> Any:
        """The basis of the last solve (to warm-start later solves from it)."""
        return self.highs.getBasis()

    def _describe(self, down: Sequence[int]) -> str:
        if not down:
            return "nothing"
        names = [self.network.nodes[i].id for i in list(down)[:3]]
        more = f" and {len(down) - 3} more" if len(down) > 3 else ""
        return ", ".join(names) + more


def explain_status(status: Any, what: str, highspy: Any = None) -> None:
    """Raise :class:`SolverError` in domain words unless the HiGHS model status ``status`` is optimal.

    ``highspy`` is not needed any more; it is accepted so that existing callers keep working.
    """
    explain_termination(lp.classify(status.name, has_feasible_point=False), status.name, what)


def explain_termination(termination: lp.Termination, model_status: str, what: str) -> None:
    """Raise :class:`SolverError` in domain words unless ``termination`` is optimal.

    ``model_status``: HiGHS's name of the status, for the message; ``what``: the solve, in words
    ("time to survive with site:a down").
    """
    if termination == lp.OPTIMAL:
        return
    if termination == lp.INFEASIBLE:
        raise SolverError(
            f"the stress-test program for the {what} has no solution. With every node stopped and "
            "all demand counted as lost it always has one, so some input is negative or inconsistent: "
            "check stock (on_hand_units, pipeline_units), capacity_per_quarter and the build plan")
    if termination in (lp.UNBOUNDED, lp.INFEASIBLE_OR_UNBOUNDED):
        raise SolverError(
            f"the stress-test program for the {what} is unbounded: the window is capped at the horizon, "
            "so a product must be making racks from nothing; check that every design and assembly has "
            "items with positive quantities")
    raise SolverError(f"HiGHS stopped without an optimal answer for the {what} "
                      f"(status: {model_status}); try a smaller network")


def stress_test(network: SupplyGraph, disruptions: Sequence[Disruption] | None = None, *,
                horizon_weeks: float = DEFAULT_HORIZON_WEEKS,
                progress: Callable[[int], None] | None = None) -> StressResult:
    """TTS, TTR impact, REI and the exposed flag for every disruption (default: every site,
    country and region of the network), solving one reused HiGHS model."""
    if disruptions is None:
        disruptions = network.disruptions()
    model = StressModel(network, horizon_weeks)
    # every disruption warm-starts from the undisrupted optimum: one bound change away, and the
    # answers do not depend on the order of the disruptions
    baseline = model.time_to_survive(())
    start = model.basis()
    tts = []
    for k, d in enumerate(disruptions):
        tts.append(model.time_to_survive(d.nodes, from_basis=start))
        if progress is not None and k % 16 == 15:
            progress(16)
    impacts = []
    if disruptions:
        windows = sorted(d.ttr_weeks for d in disruptions)
        model.lost_demand((), windows[len(windows) // 2])
        start = model.basis()
    for k, d in enumerate(disruptions):
        impacts.append(model.lost_demand(d.nodes, d.ttr_weeks, from_basis=start))
        if progress is not None and k % 16 == 15:
            progress(16)
    worst = max((value for _, value in impacts), default=0.0)
    results = [NodeStress(d, t, d.ttr_weeks, lost, value, value / worst if worst > 0 else 0.0)
               for d, t, (lost, value) in zip(disruptions, tts, impacts, strict=True)]
    results.sort(key=lambda r: (-r.exposed, -r.value_lost_usd, r.tts_weeks, r.disruption.id))
    return StressResult(tuple(results), baseline, horizon_weeks, network.demand_basis, network.warnings,
                        model.solves, model.iterations)


def stress_programme(programme: Programme, *, quarter: str | None = None,
                     levels: Sequence[str] = ("site", "country", "region"),
                     horizon_weeks: float = DEFAULT_HORIZON_WEEKS) -> StressResult:
    """Stress test of a programme's supply network for every site, country and region."""
    from rackforge.resilience.network import build_network

    network = build_network(programme, quarter)
    return stress_test(network, network.disruptions(levels), horizon_weeks=horizon_weeks)
