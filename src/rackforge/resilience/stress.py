"""Stress test: time to survive (TTS) and time to recover (TTR) of every node.

Linear programs of Simchi-Levi et al., "Identifying Risks and Mitigating Disruptions in the
Automotive Supply Chain", Interfaces 45(5):375–390, 2015, over a :class:`SupplyNetwork`.
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
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rackforge.errors import SolverError
from rackforge.resilience.network import Disruption, SupplyGraph

if TYPE_CHECKING:
    import pandas as pd

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


class StressModel:
    """The TTS/TTR linear program of one network, built once, solved for many disruptions."""

    def __init__(self, network: SupplyGraph, horizon_weeks: float = DEFAULT_HORIZON_WEEKS):
        import highspy
        import numpy as np

        self.network = network
        self.horizon_weeks = float(horizon_weeks)
        self.inf = highspy.kHighsInf
        nodes = network.nodes
        n = len(nodes)
        self.products = network.products
        edges: dict[tuple[int, int], int] = {}
        for req in network.requirements:
            for i in req.suppliers:
                edges.setdefault((i, req.consumer), len(edges))
        self.n_nodes, self.n_edges, self.n_products = n, len(edges), len(self.products)
        self.col_l0 = n + self.n_edges
        self.col_t = self.col_l0 + self.n_products
        n_cols = self.col_t + 1

        rows: list[int] = []
        cols: list[int] = []
        vals: list[float] = []
        row_lower: list[float] = []
        row_upper: list[float] = []

        def row(entries: Sequence[tuple[int, float]], lower: float, upper: float) -> None:
            r = len(row_lower)
            for c, v in entries:
                rows.append(r)
                cols.append(c)
                vals.append(v)
            row_lower.append(lower)
            row_upper.append(upper)

        inf = self.inf
        # 1. bill of materials
        for req in network.requirements:
            row([(req.consumer, req.quantity), *((n + edges[(i, req.consumer)], -1.0) for i in req.suppliers)],
                -inf, 0.0)
        # 2. shipments bounded by production plus stock
        out_edges: dict[int, list[int]] = {}
        for (i, _j), e in edges.items():
            out_edges.setdefault(i, []).append(e)
        for i, es in out_edges.items():
            row([*((n + e, 1.0) for e in es), (i, -1.0)], -inf, nodes[i].stock_units)
        # 4. demand of products: u_j + l_j - d_j t >= -s_j
        for p, j in enumerate(self.products):
            row([(j, 1.0), (self.col_l0 + p, 1.0), (self.col_t, -nodes[j].demand_per_week)],
                -nodes[j].stock_units, inf)
        # 5. capacity: u_i - c_i t <= 0 (nodes with finite positive capacity)
        for i, node in enumerate(nodes):
            if 0 < node.capacity_per_week < math.inf:
                row([(i, 1.0), (self.col_t, -node.capacity_per_week)], -inf, 0.0)

        # production bounds: nodes that make nothing are fixed at zero
        self.u_upper = np.array([0.0 if node.capacity_per_week <= 0 else inf for node in nodes])
        col_lower = np.zeros(n_cols)
        col_upper = np.full(n_cols, inf)
        col_upper[:n] = self.u_upper
        col_upper[self.col_l0:self.col_t] = 0.0  # no lost demand while surviving
        col_upper[self.col_t] = self.horizon_weeks
        cost = np.zeros(n_cols)
        cost[self.col_t] = 1.0

        r_arr, c_arr, v_arr = np.array(rows, dtype=np.int64), np.array(cols, dtype=np.int64), np.array(vals)
        order = np.lexsort((r_arr, c_arr))
        starts = np.searchsorted(c_arr[order], np.arange(n_cols + 1))
        lp = highspy.HighsLp()
        lp.num_col_ = n_cols
        lp.num_row_ = len(row_lower)
        lp.col_cost_ = cost
        lp.col_lower_ = col_lower
        lp.col_upper_ = col_upper
        lp.row_lower_ = np.array(row_lower)
        lp.row_upper_ = np.array(row_upper)
        lp.sense_ = highspy.ObjSense.kMaximize
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = starts.astype(np.int32)
        lp.a_matrix_.index_ = r_arr[order].astype(np.int32)
        lp.a_matrix_.value_ = v_arr[order]
        lp.a_matrix_.num_col_ = n_cols
        lp.a_matrix_.num_row_ = len(row_lower)
        self.highs = quiet_highs()
        # no 'threads' option: HiGHS's thread pool is process-wide, and asking for a different count
        # after another model (e.g. the sourcing optimiser's MIP) started it makes every run fail
        status = self.highs.passModel(lp)
        if status != highspy.HighsStatus.kOk:
            raise SolverError(f"HiGHS rejected the stress-test model ({status}); the network has "
                              f"{n} nodes and {self.n_edges} supply links")
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

    def _run(self, what: str) -> None:
        self.highs.run()
        self.solves += 1
        self.iterations += int(self.highs.getInfo().simplex_iteration_count)
        status = self.highs.getModelStatus()
        explain_status(status, what, self._highspy)

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
        self._run(f"time to survive with {self._describe(down)} down")
        t = float(self.highs.getInfo().objective_function_value)
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


def quiet_highs() -> Any:
    """A HiGHS instance with logging off.

    HiGHS prints a banner from C++ on the first instance of a process; it is sent to /dev/null so
    that ``--json`` output stays pure JSON.
    """
    import ctypes
    import os
    import sys

    import highspy

    sys.stdout.flush()
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        highs = highspy.Highs()
        highs.setOptionValue("output_flag", False)
        ctypes.CDLL(None).fflush(None)
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)
    return highs


def explain_status(status: Any, what: str, highspy: Any) -> None:
    """Raise :class:`SolverError` in domain words unless HiGHS reports an optimal solution."""
    status_enum = highspy.HighsModelStatus
    if status == status_enum.kOptimal:
        return
    if status == status_enum.kInfeasible:
        raise SolverError(
            f"the stress-test program for the {what} has no solution. With every node stopped and "
            "all demand counted as lost it always has one, so some input is negative or inconsistent: "
            "check stock (on_hand_units, pipeline_units), capacity_per_quarter and the build plan")
    if status in (status_enum.kUnbounded, status_enum.kUnboundedOrInfeasible):
        raise SolverError(
            f"the stress-test program for the {what} is unbounded: the window is capped at the horizon, "
            "so a product must be making racks from nothing; check that every design and assembly has "
            "items with positive quantities")
    raise SolverError(f"HiGHS stopped without an optimal answer for the {what} "
                      f"(status: {status}); try a smaller network")


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
