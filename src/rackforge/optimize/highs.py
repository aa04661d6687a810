"""Pass a :class:`LinearModel` to HiGHS in one call, run it, and read the answer with its status.

The termination status is always checked: only ``optimal`` (within the MIP gap) and ``feasible``
(a time or node limit hit with a plan in hand) carry a solution; everything else is reported as
what it is, never as a plan.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import highspy
    from numpy.typing import NDArray

    from rackforge.optimize.model import LinearModel


@dataclass(frozen=True)
class SolveOptions:
    """How hard to solve: relative MIP gap [fraction], time limit [s], threads, and HiGHS log on/off."""

    mip_rel_gap: float = 1e-3
    time_limit_s: float = 120.0
    threads: int | None = None
    log: bool = False
    random_seed: int = 0


@dataclass(frozen=True)
class RawSolution:
    """What HiGHS returned.

    ``status``: ``optimal`` | ``feasible`` (limit reached, plan found) | ``infeasible`` |
    ``unbounded`` | ``no-solution`` (limit reached without a plan) | ``error``.
    """

    status: str
    highs_status: str
    x: NDArray[np.float64] | None
    row_dual: NDArray[np.float64] | None
    col_dual: NDArray[np.float64] | None
    objective: float
    mip_gap: float
    solve_s: float


def to_highs(model: LinearModel, options: SolveOptions, *, col_lower: NDArray[np.float64] | None = None,
             col_upper: NDArray[np.float64] | None = None, integrality: NDArray[np.int8] | None = None
             ) -> highspy.Highs:
    """A HiGHS instance holding ``model`` (bounds and integrality may be overridden), passed in one call."""
    import highspy

    h = new_highs()
    h.setOptionValue("output_flag", bool(options.log))
    h.setOptionValue("mip_rel_gap", float(options.mip_rel_gap))
    h.setOptionValue("time_limit", float(options.time_limit_s))
    h.setOptionValue("random_seed", int(options.random_seed))
    if options.threads:
        h.setOptionValue("threads", int(options.threads))
    a = model.matrix()
    inf = highspy.kHighsInf

    def clip(values: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.clip(values, -inf, inf).astype(np.float64)

    lower = model.col_lower if col_lower is None else col_lower
    upper = model.col_upper if col_upper is None else col_upper
    kinds = model.integrality if integrality is None else integrality
    status = h.passModel(
        int(model.n_cols), int(model.n_rows), int(a.nnz), 2, int(highspy.ObjSense.kMinimize), 0.0,
        model.col_cost.astype(np.float64), clip(lower), clip(upper),
        clip(model.row_lower), clip(model.row_upper),
        a.indptr.astype(np.int32), a.indices.astype(np.int32), a.data.astype(np.float64),
        kinds.astype(np.int32),
    )
    if status == highspy.HighsStatus.kError:
        from rackforge.errors import SolverError

        raise SolverError("HiGHS rejected the sourcing model (bad bounds or matrix); this is a rackforge bug")
    return h


_banner_shown = False


def new_highs() -> highspy.Highs:
    """A fresh ``highspy.Highs`` without HiGHS's start-up banner on stdout.

    HiGHS prints its banner from C once per process when the first instance is made; that would
    break ``--json`` output, so the first construction runs with file descriptor 1 pointed at
    the null device (C buffers flushed before and after).
    """
    import highspy

    global _banner_shown
    if _banner_shown:
        return highspy.Highs()
    _banner_shown = True
    sys.stdout.flush()
    libc = _libc()
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        h = highspy.Highs()
        if libc is not None:
            libc.fflush(None)
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)
    return h


def _libc() -> Any:
    import ctypes
    import ctypes.util

    try:
        return ctypes.CDLL(ctypes.util.find_library("c"))
    except OSError:  # pragma: no cover - non-POSIX platforms
        return None


_LIMITS = ("kTimeLimit", "kIterationLimit", "kSolutionLimit", "kInterrupt", "kObjectiveBound",
           "kObjectiveTarget", "kMemoryLimit")


def run(h: highspy.Highs, *, is_mip: bool) -> RawSolution:
    """Run HiGHS and classify the result (see :class:`RawSolution`)."""
    import highspy

    t0 = time.perf_counter()
    h.run()
    solve_s = time.perf_counter() - t0
    model_status = h.getModelStatus()
    name = model_status.name
    info = h.getInfo()
    has_plan = info.primal_solution_status == highspy.SolutionStatus.kSolutionStatusFeasible
    if name == "kOptimal":
        status = "optimal"
    elif name in ("kInfeasible",):
        status = "infeasible"
    elif name == "kUnboundedOrInfeasible":
        status = "infeasible"  # costs are non-negative and bounded below by 0: never unbounded
    elif name == "kUnbounded":
        status = "unbounded"
    elif name in _LIMITS:
        status = "feasible" if has_plan else "no-solution"
    else:
        status = "error"
    x = row_dual = col_dual = None
    if status in ("optimal", "feasible"):
        sol = h.getSolution()
        x = np.asarray(sol.col_value, dtype=float)
        if not is_mip and sol.dual_valid:
            row_dual = np.asarray(sol.row_dual, dtype=float)
            col_dual = np.asarray(sol.col_dual, dtype=float)
    gap = float(info.mip_gap) if is_mip and x is not None else 0.0
    objective = float(info.objective_function_value) if x is not None else float("nan")
    return RawSolution(status, name, x, row_dual, col_dual, objective, gap, solve_s)


def solve(model: LinearModel, options: SolveOptions, **overrides: Any) -> RawSolution:
    """Pass ``model`` to HiGHS and run it."""
    kinds = overrides.get("integrality")
    is_mip = model.is_mip if kinds is None else bool(np.any(kinds != 0))
    return run(to_highs(model, options, **overrides), is_mip=is_mip)
