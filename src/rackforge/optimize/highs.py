"""The sourcing optimiser's use of HiGHS: its solve options, and its :class:`LinearModel` solved through
:mod:`rackforge.core.lp` (where instances, options, passing the model, threads and the termination
status are handled for every analysis).

The termination status is always checked: only ``optimal`` (within the MIP gap) and ``feasible``
(a time or node limit hit with a plan in hand) carry a solution; everything else is reported as
what it is, never as a plan.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from rackforge.core import lp

if TYPE_CHECKING:
    import highspy
    from numpy.typing import NDArray

    from rackforge.optimize.model import LinearModel


PRESOLVE_OFF_ABOVE = 50_000
"""Columns above which HiGHS presolve is switched off by default."""


@dataclass(frozen=True)
class SolveOptions:
    """How hard to solve: relative MIP gap [fraction], time limit [s], threads, and HiGHS log on/off."""

    mip_rel_gap: float = 1e-3
    time_limit_s: float = 120.0
    threads: int | None = None
    log: bool = False
    random_seed: int = 0
    presolve: str = "auto"
    """HiGHS presolve: "on", "off", or "auto": off for models over :data:`PRESOLVE_OFF_ABOVE` columns (on the
    large sourcing MIPs HiGHS's presolve cost more than it saved: 361 s against 132 s to a 0.1 % gap on the
    2,000-part benchmark)."""


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


def solver_settings(options: SolveOptions, n_cols: int) -> lp.SolverSettings:
    """The HiGHS settings of ``options`` for a model of ``n_cols`` columns (presolve "auto" resolved)."""
    presolve = options.presolve
    if presolve == "auto":
        presolve = "off" if n_cols > PRESOLVE_OFF_ABOVE else "choose"
    return lp.SolverSettings(
        threads=options.threads or None, time_limit_s=float(options.time_limit_s),
        mip_rel_gap=float(options.mip_rel_gap), presolve="off" if presolve == "off" else "choose",
        random_seed=int(options.random_seed), log=bool(options.log))


def sparse_model(model: LinearModel, *, col_lower: NDArray[np.float64] | None = None,
                 col_upper: NDArray[np.float64] | None = None, integrality: NDArray[np.int8] | None = None
                 ) -> lp.SparseLinearModel:
    """``model`` as a minimisation in row-wise sparse arrays (bounds and integrality may be overridden)."""
    a = model.matrix()
    kinds = model.integrality if integrality is None else integrality
    return lp.SparseLinearModel(
        col_cost=model.col_cost.astype(np.float64),
        col_lower=model.col_lower if col_lower is None else col_lower,
        col_upper=model.col_upper if col_upper is None else col_upper,
        row_lower=model.row_lower, row_upper=model.row_upper,
        a_start=a.indptr.astype(np.int32), a_index=a.indices.astype(np.int32), a_value=a.data.astype(np.float64),
        integrality=kinds.astype(np.int32), rowwise=True)


def to_highs(model: LinearModel, options: SolveOptions, *, col_lower: NDArray[np.float64] | None = None,
             col_upper: NDArray[np.float64] | None = None, integrality: NDArray[np.int8] | None = None
             ) -> highspy.Highs:
    """A HiGHS instance holding ``model`` (bounds and integrality may be overridden), passed in one call."""
    from rackforge.errors import SolverError

    h = lp.new_highs(solver_settings(options, model.n_cols))
    try:
        lp.pass_model(h, sparse_model(model, col_lower=col_lower, col_upper=col_upper, integrality=integrality))
    except lp.ModelRejectedError as exc:
        raise SolverError("HiGHS rejected the sourcing model (bad bounds or matrix); this is a rackforge bug") from exc
    return h


def run(h: highspy.Highs, *, is_mip: bool) -> RawSolution:
    """Run HiGHS and classify the result (see :class:`RawSolution`)."""
    outcome = lp.solve(h)
    status = sourcing_status(outcome.termination)
    x = row_dual = col_dual = None
    if status in ("optimal", "feasible"):
        x, row_dual, col_dual = lp.solution_values(h, with_duals=not is_mip)
    gap = outcome.mip_gap if is_mip and x is not None else 0.0
    objective = outcome.objective if x is not None else float("nan")
    return RawSolution(status, outcome.model_status, x, row_dual, col_dual, objective, gap, outcome.solve_s)


def sourcing_status(termination: lp.Termination) -> str:
    """The optimiser's status of a termination: costs are non-negative and variables bounded below by 0,
    so a model that is "infeasible or unbounded" is infeasible."""
    return lp.INFEASIBLE if termination == lp.INFEASIBLE_OR_UNBOUNDED else termination


@dataclass(frozen=True)
class MipStart:
    """A starting point for a MIP solve: ``values`` of the model's columns ``columns`` (usually only the
    yes/no decisions; HiGHS completes the rest with an LP). ``origin`` says where it came from, for
    the timings and tests (e.g. ``"rounded LP relaxation"``, ``"plan"``)."""

    columns: NDArray[np.int64]
    values: NDArray[np.float64]
    origin: str = "plan"


def solve(model: LinearModel, options: SolveOptions, *, start: MipStart | None = None,
          **overrides: Any) -> RawSolution:
    """Pass ``model`` to HiGHS and run it, from ``start`` when given (a MIP only)."""
    kinds = overrides.get("integrality")
    is_mip = model.is_mip if kinds is None else bool(np.any(kinds != 0))
    h = to_highs(model, options, **overrides)
    if start is not None and is_mip and len(start.columns):
        lp.set_mip_start(h, start.columns, start.values)
    return run(h, is_mip=is_mip)
