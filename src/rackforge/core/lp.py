"""Solving a linear or mixed-integer model with HiGHS (highspy): every step defined once.

Every analysis that solves a model goes through these steps, in this order:

1. :func:`new_highs` makes a HiGHS instance without its start-up banner and sets its options
   (:class:`SolverSettings`: output, threads, time limit, MIP gap, presolve, random seed);
2. :func:`pass_model` hands it a :class:`SparseLinearModel` (costs, bounds and the constraint matrix
   as sparse arrays) in one ``passModel`` call; a model HiGHS rejects raises
   :class:`ModelRejectedError`;
3. optionally, :func:`set_mip_start` gives a MIP a starting point (a known plan, or a rounded LP
   relaxation) so that it has an incumbent from its first node;
4. :func:`solve` runs it and always classifies how it ended (:class:`SolveOutcome`), in
   domain-neutral words (:data:`OPTIMAL`, :data:`FEASIBLE`, :data:`INFEASIBLE`, ...); the analysis
   turns those into its own words (a sourcing plan, a time to survive, ...).

Threads. HiGHS keeps one worker-thread scheduler per process, sized by the first run. A later run
whose ``threads`` option asks for a different count fails before it starts ("scheduler already
initialised"), so an analysis asking for 1 thread after another started 2 would get no answer.
:func:`solve` calls :func:`fit_thread_scheduler` before every run: it remembers the count in force
and releases the scheduler when a run asks for a different one, so any sequence of analyses in one
process works. :func:`release_thread_scheduler` releases it explicitly (between report sections,
or for code that drives highspy directly).
"""

from __future__ import annotations

import math
import os
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Literal

import numpy as np

from rackforge.errors import SolverError

if TYPE_CHECKING:
    import highspy
    from numpy.typing import NDArray


Termination = Literal["optimal", "feasible", "infeasible", "unbounded", "infeasible-or-unbounded",
                      "no-solution", "error"]
"""How a solve ended, in words that mean the same for every model."""

OPTIMAL: Final = "optimal"
"""Solved to optimality (for a MIP: within the relative gap)."""
FEASIBLE: Final = "feasible"
"""A limit (time, iterations, solutions, ...) stopped the solve with a feasible solution in hand."""
INFEASIBLE: Final = "infeasible"
"""No point satisfies the constraints."""
UNBOUNDED: Final = "unbounded"
"""The objective improves without limit."""
INFEASIBLE_OR_UNBOUNDED: Final = "infeasible-or-unbounded"
"""HiGHS proved one of the two without telling which (presolve does this)."""
NO_SOLUTION: Final = "no-solution"
"""A limit stopped the solve before any feasible solution was found."""
ERROR: Final = "error"
"""HiGHS failed (numerical trouble, a load error, an empty model, ...)."""

WITH_SOLUTION: Final = frozenset({OPTIMAL, FEASIBLE})
"""The terminations that carry a solution."""

_LIMIT_STATUSES: Final = frozenset({"kTimeLimit", "kIterationLimit", "kSolutionLimit", "kInterrupt",
                                    "kObjectiveBound", "kObjectiveTarget", "kMemoryLimit"})
"""HiGHS model statuses of a solve stopped by a limit rather than by a proof."""

_PLAIN_STATUSES: Final[dict[str, Termination]] = {
    "kOptimal": OPTIMAL,
    "kInfeasible": INFEASIBLE,
    "kUnbounded": UNBOUNDED,
    "kUnboundedOrInfeasible": INFEASIBLE_OR_UNBOUNDED,
}


# --------------------------------------------------------------------------------------------
# the model and the options


@dataclass(frozen=True)
class SparseLinearModel:
    """A linear or mixed-integer model as HiGHS takes it: ``min/max cost·x`` subject to
    ``row_lower ≤ A·x ≤ row_upper`` and ``col_lower ≤ x ≤ col_upper``.

    ``A`` is compressed by column (``rowwise=False``: ``a_start`` has one entry per column plus one,
    ``a_index`` holds row numbers) or by row (``rowwise=True``: the transpose). Infinite bounds are
    ``±inf``. ``integrality`` holds 0 (continuous) or 1 (integer) per column; ``None`` is an LP.
    Units are the model's own.
    """

    col_cost: NDArray[np.float64]
    col_lower: NDArray[np.float64]
    col_upper: NDArray[np.float64]
    row_lower: NDArray[np.float64]
    row_upper: NDArray[np.float64]
    a_start: NDArray[np.int32]
    a_index: NDArray[np.int32]
    a_value: NDArray[np.float64]
    integrality: NDArray[np.int32] | None = None
    maximize: bool = False
    rowwise: bool = False
    offset: float = 0.0

    @property
    def n_cols(self) -> int:
        """Number of variables."""
        return int(self.col_cost.shape[0])

    @property
    def n_rows(self) -> int:
        """Number of constraints."""
        return int(self.row_lower.shape[0])

    @property
    def n_nonzeros(self) -> int:
        """Number of stored matrix entries."""
        return int(self.a_value.shape[0])

    @property
    def is_mip(self) -> bool:
        """True when some variable is integer."""
        return self.integrality is not None and bool(np.any(self.integrality != 0))


def columnwise_matrix(rows: NDArray[np.int64], cols: NDArray[np.int64], values: NDArray[np.float64], n_cols: int
                      ) -> tuple[NDArray[np.int32], NDArray[np.int32], NDArray[np.float64]]:
    """``(a_start, a_index, a_value)`` of the matrix given as triplets (row, column, value), by column.

    Entries are ordered by column, then row; duplicates are kept (HiGHS rejects them, so callers
    must not make any).
    """
    order = np.lexsort((rows, cols))
    starts = np.searchsorted(cols[order], np.arange(n_cols + 1))
    return starts.astype(np.int32), rows[order].astype(np.int32), values[order].astype(np.float64)


@dataclass(frozen=True)
class SolverSettings:
    """HiGHS options for one instance; ``None`` leaves HiGHS's own default.

    ``threads``: worker threads [count] (``None``: HiGHS's default, which accepts whatever scheduler
    is in force); ``time_limit_s``: wall-clock limit [s]; ``mip_rel_gap``: relative MIP gap at
    which a MIP counts as optimal [fraction]; ``presolve``: ``"choose"``, ``"on"`` or ``"off"``;
    ``random_seed``: HiGHS's seed; ``log``: HiGHS's own log on stdout.
    """

    threads: int | None = None
    time_limit_s: float | None = None
    mip_rel_gap: float | None = None
    presolve: Literal["choose", "on", "off"] | None = None
    random_seed: int | None = None
    log: bool = False


# --------------------------------------------------------------------------------------------
# making an instance, passing the model


class ModelRejectedError(SolverError):
    """HiGHS refused a model in :func:`pass_model` (inconsistent bounds or matrix arrays)."""


_banner_lock = threading.Lock()
_banner_shown = False


def new_highs(settings: SolverSettings | None = None) -> highspy.Highs:
    """A fresh ``highspy.Highs`` with ``settings`` applied (default: every HiGHS default, log off).

    HiGHS prints its banner from C on stdout when the first instance of a process is made; that
    would break ``--json`` output, so the first construction runs with file descriptor 1 pointed at
    the null device.
    """
    highs = _quiet_construction()
    apply_settings(highs, settings or SolverSettings())
    return highs


def apply_settings(highs: highspy.Highs, settings: SolverSettings) -> None:
    """Set ``settings`` on ``highs`` (options left at ``None`` are not touched)."""
    highs.setOptionValue("output_flag", bool(settings.log))
    if settings.threads:
        highs.setOptionValue("threads", int(settings.threads))
    if settings.time_limit_s is not None:
        highs.setOptionValue("time_limit", float(settings.time_limit_s))
    if settings.mip_rel_gap is not None:
        highs.setOptionValue("mip_rel_gap", float(settings.mip_rel_gap))
    if settings.presolve is not None:
        highs.setOptionValue("presolve", settings.presolve)
    if settings.random_seed is not None:
        highs.setOptionValue("random_seed", int(settings.random_seed))


def _quiet_construction() -> highspy.Highs:
    """``highspy.Highs()``, with stdout silenced [file descriptor 1] the first time in the process."""
    import highspy

    make: Callable[[], highspy.Highs] = highspy.Highs  # typed view of highspy's untyped constructor
    global _banner_shown
    with _banner_lock:
        if _banner_shown:
            return make()
        _banner_shown = True
        sys.stdout.flush()
        libc = _libc()
        saved = os.dup(1)
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, 1)
            highs = make()
            if libc is not None:
                libc.fflush(None)
        finally:
            os.dup2(saved, 1)
            os.close(saved)
            os.close(devnull)
        return highs


def _libc() -> Any:
    """The C library (to flush C's stdout buffer), or ``None`` where it cannot be loaded."""
    import ctypes
    import ctypes.util

    try:
        return ctypes.CDLL(ctypes.util.find_library("c"))
    except OSError:  # pragma: no cover - non-POSIX platforms
        return None


def pass_model(highs: highspy.Highs, model: SparseLinearModel) -> None:
    """Hand ``model`` to ``highs`` in one ``passModel`` call.

    Bounds are clipped to HiGHS's infinity; arrays are converted to the types HiGHS reads. Raises
    :class:`ModelRejectedError` when HiGHS refuses the model.
    """
    import highspy

    inf = highspy.kHighsInf

    def clipped(values: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.clip(values, -inf, inf).astype(np.float64)

    integrality = (np.zeros(model.n_cols, dtype=np.int32) if model.integrality is None
                   else model.integrality.astype(np.int32))
    matrix_format = highspy.MatrixFormat.kRowwise if model.rowwise else highspy.MatrixFormat.kColwise
    sense = highspy.ObjSense.kMaximize if model.maximize else highspy.ObjSense.kMinimize
    status = highs.passModel(
        model.n_cols, model.n_rows, model.n_nonzeros, int(matrix_format), int(sense), float(model.offset),
        model.col_cost.astype(np.float64), clipped(model.col_lower), clipped(model.col_upper),
        clipped(model.row_lower), clipped(model.row_upper),
        model.a_start.astype(np.int32), model.a_index.astype(np.int32), model.a_value.astype(np.float64),
        integrality,
    )
    if status == highspy.HighsStatus.kError:
        raise ModelRejectedError(
            f"HiGHS rejected a model of {model.n_cols} variables, {model.n_rows} constraints and "
            f"{model.n_nonzeros} matrix entries (inconsistent bounds or matrix arrays)")


def set_mip_start(highs: highspy.Highs, columns: NDArray[np.int64], values: NDArray[np.float64]) -> bool:
    """Give ``highs`` a starting point for its next MIP run: ``values`` of the variables ``columns``.

    The start may be partial (only the integer variables, say): HiGHS then fixes the integer
    variables at the values given and completes the rest by solving the remaining LP; a start it
    finds infeasible is dropped and the run proceeds as without one. A feasible start is an incumbent
    from the first node, so the run can stop as soon as its bound is within the gap. Returns whether
    HiGHS accepted the values (not whether they are feasible).
    """
    import highspy

    status = highs.setSolution(len(columns), np.asarray(columns, dtype=np.int32),
                               np.asarray(values, dtype=np.float64))
    return bool(status != highspy.HighsStatus.kError)


# --------------------------------------------------------------------------------------------
# the process-wide thread scheduler


_scheduler_lock = threading.Lock()
_threads_in_force: int | None = None
"""Thread count the HiGHS scheduler was started with through :func:`solve` [count]; 0 for HiGHS's
default count; ``None`` when no scheduler was started since the last release."""


def fit_thread_scheduler(threads: int) -> None:
    """Make HiGHS's process-wide scheduler fit a run asking for ``threads`` [count; 0: HiGHS's default].

    When the request differs from the one the scheduler in force was started for, the scheduler is
    released, so the run starts one of the size it asks for. A default request after an explicit one
    releases it too: HiGHS would otherwise run it with the explicit count, and the answer would
    depend on which analysis ran before.
    """
    global _threads_in_force
    with _scheduler_lock:
        if _threads_in_force is not None and _threads_in_force != threads:
            _reset_global_scheduler()
        _threads_in_force = threads


def release_thread_scheduler() -> None:
    """Stop HiGHS's process-wide worker threads (if highspy is loaded); the next run starts afresh."""
    global _threads_in_force
    with _scheduler_lock:
        _reset_global_scheduler()
        _threads_in_force = None


def _reset_global_scheduler() -> None:
    """``Highs.resetGlobalScheduler(blocking=True)`` when highspy has been imported."""
    highspy = sys.modules.get("highspy")
    if highspy is not None and hasattr(highspy.Highs, "resetGlobalScheduler"):
        highspy.Highs.resetGlobalScheduler(True)


def requested_threads(highs: highspy.Highs) -> int:
    """The ``threads`` option of ``highs`` [count; 0: HiGHS's default]."""
    answer: Any = highs.getOptionValue("threads")
    value = answer[1] if isinstance(answer, tuple) else answer  # (status, value) in highspy ≥ 1.8
    return int(value)


# --------------------------------------------------------------------------------------------
# solving and how it ended


@dataclass(frozen=True)
class SolveOutcome:
    """How one run of HiGHS ended.

    ``termination``: see :data:`Termination`; ``model_status``: HiGHS's own name (e.g.
    ``kTimeLimit``), for messages; ``objective``: objective value [model units], NaN without a
    solution; ``mip_gap``: relative gap of a MIP [fraction], NaN without a solution;
    ``simplex_iterations``: simplex iterations of this run [count]; ``solve_s``: wall time of the
    run [s].
    """

    termination: Termination
    model_status: str
    objective: float
    mip_gap: float
    simplex_iterations: int
    solve_s: float

    @property
    def has_solution(self) -> bool:
        """True when the run carries a feasible solution (optimal, or stopped by a limit with one)."""
        return self.termination in WITH_SOLUTION


def classify(model_status: str, has_feasible_point: bool) -> Termination:
    """The :data:`Termination` of a HiGHS model status name (``kOptimal``, ``kTimeLimit``, ...).

    ``has_feasible_point``: whether HiGHS holds a primal feasible solution (it decides between
    :data:`FEASIBLE` and :data:`NO_SOLUTION` when a limit stopped the run).
    """
    if model_status in _PLAIN_STATUSES:
        return _PLAIN_STATUSES[model_status]
    if model_status in _LIMIT_STATUSES:
        return FEASIBLE if has_feasible_point else NO_SOLUTION
    return ERROR


def solve(highs: highspy.Highs) -> SolveOutcome:
    """Run ``highs`` on the model it holds and classify how the run ended.

    The thread scheduler is fitted to the instance's ``threads`` option first
    (:func:`fit_thread_scheduler`). Should HiGHS still refuse to start (a scheduler of another size
    started by code that drives highspy directly), the scheduler is released and the run retried
    once.
    """
    import highspy

    threads = requested_threads(highs)
    fit_thread_scheduler(threads)
    start = time.perf_counter()
    run_status = highs.run()
    if (run_status == highspy.HighsStatus.kError and threads > 0
            and highs.getModelStatus() == highspy.HighsModelStatus.kNotset):
        release_thread_scheduler()
        fit_thread_scheduler(threads)
        run_status = highs.run()
    solve_s = time.perf_counter() - start
    info = highs.getInfo()
    feasible_point = int(info.primal_solution_status) == int(highspy.SolutionStatus.kSolutionStatusFeasible)
    model_status = highs.getModelStatus().name
    termination = classify(model_status, feasible_point)
    solved = termination in WITH_SOLUTION
    return SolveOutcome(
        termination=termination,
        model_status=model_status,
        objective=float(info.objective_function_value) if solved else math.nan,
        mip_gap=float(info.mip_gap) if solved else math.nan,
        simplex_iterations=int(info.simplex_iteration_count),
        solve_s=solve_s,
    )


def solution_values(highs: highspy.Highs, *, with_duals: bool = False
                    ) -> tuple[NDArray[np.float64], NDArray[np.float64] | None, NDArray[np.float64] | None]:
    """``(x, row_dual, col_dual)`` of the last run: variable values [model units] and, when asked
    for and HiGHS has valid ones, the duals of the rows and columns (``None`` otherwise)."""
    solution = highs.getSolution()
    x = np.asarray(solution.col_value, dtype=np.float64)
    if not (with_duals and solution.dual_valid):
        return x, None, None
    return (x, np.asarray(solution.row_dual, dtype=np.float64),
            np.asarray(solution.col_dual, dtype=np.float64))
