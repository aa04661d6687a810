"""core/lp.py: the one way every analysis solves a model with HiGHS.

Small models with answers worked out by hand, every termination the analyses translate, a model
HiGHS rejects, the banner kept off stdout, and thread counts that change between solves.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import pytest

from rackforge.core import lp
from rackforge.errors import SolverError

INF = np.inf


def model(rows: Sequence[Sequence[float]], row_lower: list[float], row_upper: list[float], cost: list[float], *,
          col_lower: list[float] | None = None, col_upper: list[float] | None = None,
          integer: list[int] | None = None, maximize: bool = False, rowwise: bool = False) -> lp.SparseLinearModel:
    """A :class:`SparseLinearModel` from a dense matrix (by columns, or by rows with ``rowwise``)."""
    dense = np.array(rows, dtype=float).reshape(len(row_lower), len(cost))
    r, c = np.nonzero(dense)
    if rowwise:
        order = np.lexsort((c, r))
        starts = np.searchsorted(r[order], np.arange(dense.shape[0] + 1)).astype(np.int32)
        a_start, a_index, a_value = starts, c[order].astype(np.int32), dense[r, c][order]
    else:
        a_start, a_index, a_value = lp.columnwise_matrix(r.astype(np.int64), c.astype(np.int64), dense[r, c],
                                                         dense.shape[1])
    n = len(cost)
    return lp.SparseLinearModel(
        col_cost=np.array(cost, dtype=float),
        col_lower=np.array(col_lower if col_lower is not None else [0.0] * n, dtype=float),
        col_upper=np.array(col_upper if col_upper is not None else [INF] * n, dtype=float),
        row_lower=np.array(row_lower, dtype=float), row_upper=np.array(row_upper, dtype=float),
        a_start=a_start, a_index=a_index, a_value=a_value,
        integrality=None if integer is None else np.array(integer, dtype=np.int32),
        maximize=maximize, rowwise=rowwise)


def two_products(*, rowwise: bool = False) -> lp.SparseLinearModel:
    """max x + y  s.t.  x + 2y ≤ 4,  3x + y ≤ 6,  x, y ≥ 0: optimum x = 8/5, y = 6/5, value 14/5;
    row duals 2/5 and 1/5."""
    return model([[1, 2], [3, 1]], [-INF, -INF], [4, 6], [1, 1], maximize=True, rowwise=rowwise)


def solved(m: lp.SparseLinearModel, settings: lp.SolverSettings | None = None) -> tuple[Any, lp.SolveOutcome]:
    h = lp.new_highs(settings)
    lp.pass_model(h, m)
    return h, lp.solve(h)


@pytest.fixture(autouse=True)
def fresh_scheduler() -> Iterator[None]:
    """Each test starts (and leaves) HiGHS without a thread scheduler."""
    lp.release_thread_scheduler()
    yield
    lp.release_thread_scheduler()


@pytest.mark.parametrize("rowwise", [False, True])
def test_a_small_lp_reaches_its_known_optimum(rowwise: bool) -> None:
    h, outcome = solved(two_products(rowwise=rowwise))
    assert outcome.termination == lp.OPTIMAL and outcome.has_solution
    assert outcome.model_status == "kOptimal"
    assert outcome.objective == pytest.approx(14 / 5)
    assert outcome.simplex_iterations >= 0 and outcome.solve_s >= 0
    x, row_dual, col_dual = lp.solution_values(h, with_duals=True)
    assert x == pytest.approx([8 / 5, 6 / 5])
    assert row_dual is not None and col_dual is not None
    assert np.abs(row_dual) == pytest.approx([2 / 5, 1 / 5])
    assert lp.solution_values(h)[1] is None


def test_a_small_mip_reaches_its_known_optimum() -> None:
    """max 5a + 4b + 3c  s.t.  2a + 3b + c ≤ 5,  4a + b + 2c ≤ 11,  3a + 4b + 2c ≤ 8,  integers in [0, 10]:
    the LP optimum (2, 0, 1) is integral, value 13; with c ≤ 0 the best integer point is a = 2, value 10."""
    rows = [[2, 3, 1], [4, 1, 2], [3, 4, 2]]
    m = model(rows, [-INF] * 3, [5, 11, 8], [5, 4, 3], col_upper=[10, 10, 10], integer=[1, 1, 1], maximize=True)
    assert m.is_mip
    h, outcome = solved(m, lp.SolverSettings(mip_rel_gap=0.0, time_limit_s=10.0, random_seed=1))
    assert outcome.termination == lp.OPTIMAL and outcome.objective == pytest.approx(13)
    capped = model(rows, [-INF] * 3, [5, 11, 8], [5, 4, 3], col_upper=[10, 10, 0], integer=[1, 1, 1],
                   maximize=True)
    h, outcome = solved(capped, lp.SolverSettings(mip_rel_gap=0.0))
    assert outcome.termination == lp.OPTIMAL and outcome.objective == pytest.approx(10)
    assert outcome.mip_gap == pytest.approx(0.0, abs=1e-9)
    assert lp.solution_values(h)[0] == pytest.approx([2, 0, 0])


@pytest.mark.parametrize("presolve", ["off", "choose"])
def test_an_infeasible_model_is_reported_as_infeasible(presolve: Any) -> None:
    """x ≥ 2 and x ≤ 1 cannot both hold."""
    m = model([[1], [1]], [2, -INF], [INF, 1], [1])
    _, outcome = solved(m, lp.SolverSettings(presolve=presolve))
    assert outcome.termination in (lp.INFEASIBLE, lp.INFEASIBLE_OR_UNBOUNDED)
    assert not outcome.has_solution and np.isnan(outcome.objective)
    if presolve == "off":
        assert outcome.termination == lp.INFEASIBLE


def test_an_unbounded_model_is_reported_as_unbounded() -> None:
    """max x + y  s.t.  x − y ≤ 1: y (and x with it) grows without limit."""
    _, outcome = solved(model([[1, -1]], [-INF], [1], [1, 1], maximize=True), lp.SolverSettings(presolve="off"))
    assert outcome.termination == lp.UNBOUNDED and not outcome.has_solution


def test_terminations_in_neutral_words() -> None:
    assert lp.classify("kOptimal", True) == lp.OPTIMAL
    assert lp.classify("kTimeLimit", True) == lp.FEASIBLE
    assert lp.classify("kTimeLimit", False) == lp.NO_SOLUTION
    assert lp.classify("kIterationLimit", False) == lp.NO_SOLUTION
    assert lp.classify("kUnboundedOrInfeasible", False) == lp.INFEASIBLE_OR_UNBOUNDED
    assert lp.classify("kSolveError", True) == lp.ERROR
    assert lp.classify("kModelEmpty", False) == lp.ERROR


def test_a_model_highs_rejects_raises_a_solver_error() -> None:
    bad = model([[1, 1]], [-INF], [1], [1, 1])
    bad = lp.SparseLinearModel(**{**bad.__dict__, "a_index": np.array([0, 7], dtype=np.int32)})  # row 7 of 1
    h = lp.new_highs()
    with pytest.raises(lp.ModelRejectedError, match="2 variables, 1 constraints") as err:
        lp.pass_model(h, bad)
    assert isinstance(err.value, SolverError)


def test_settings_reach_highs() -> None:
    h = lp.new_highs(lp.SolverSettings(threads=1, time_limit_s=7.5, mip_rel_gap=0.02, presolve="off",
                                       random_seed=3))
    assert lp.requested_threads(h) == 1
    assert h.getOptionValue("time_limit")[1] == 7.5
    assert h.getOptionValue("mip_rel_gap")[1] == 0.02
    assert h.getOptionValue("presolve")[1] == "off"
    assert h.getOptionValue("random_seed")[1] == 3
    assert h.getOptionValue("output_flag")[1] is False
    assert lp.requested_threads(lp.new_highs()) == 0


@pytest.mark.parametrize("sequence", [(2, 1), (1, 2), (2, None, 1), (1, None, 2, 2, 1)])
def test_thread_counts_may_change_between_solves(sequence: tuple[int | None, ...]) -> None:
    """HiGHS alone refuses a run asking for another thread count than the scheduler in force
    (see the next test); through :func:`lp.solve` every run gets an answer."""
    for threads in sequence:
        _, outcome = solved(two_products(), lp.SolverSettings(threads=threads))
        assert outcome.termination == lp.OPTIMAL, f"threads={threads} in {sequence}"
        assert outcome.objective == pytest.approx(14 / 5)


def test_fitting_the_scheduler_lets_a_run_with_another_thread_count_start() -> None:
    """After a 2-thread solve, fitting the scheduler for 1 thread lets HiGHS start a 1-thread run
    (no retry involved: the run goes straight to highspy)."""
    _, outcome = solved(two_products(), lp.SolverSettings(threads=2))
    assert outcome.termination == lp.OPTIMAL
    h = lp.new_highs(lp.SolverSettings(threads=1))
    lp.pass_model(h, two_products())
    lp.fit_thread_scheduler(1)
    h.run()
    assert h.getModelStatus().name == "kOptimal"


def test_highs_alone_refuses_a_second_thread_count_and_lp_recovers() -> None:
    """The failure :func:`lp.solve` guards against, started behind its back by direct highspy use; its
    retry releases the scheduler and solves."""
    import highspy

    def direct(threads: int) -> object:
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        h.setOptionValue("threads", threads)
        h.addVar(0, 10)
        h.changeColCost(0, -1.0)
        h.run()
        return h.getModelStatus()

    highspy.Highs.resetGlobalScheduler(True)
    assert direct(2) == highspy.HighsModelStatus.kOptimal
    assert direct(1) == highspy.HighsModelStatus.kNotset  # refused: a 2-thread scheduler is in force
    _, outcome = solved(two_products(), lp.SolverSettings(threads=1))
    assert outcome.termination == lp.OPTIMAL


def test_the_highs_banner_stays_off_stdout() -> None:
    code = ("from rackforge.core import lp\n"
            "h = lp.new_highs()\n"
            "lp.new_highs()\n"
            "print('only this')\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert out.stdout == "only this\n"
