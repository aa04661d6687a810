"""Work that ends exactly at a shift's close ends then, not a rounding error later (issue 14).

A deterministic line (fixed process times, one server per station, a 2 × 8 h, 5-day calendar)
is simulated by the SimPy engine and replayed event by event in exact rational arithmetic
(:class:`fractions.Fraction`: every float input converted exactly, no rounding anywhere). Each
rack's exit time must agree to far better than a shift; before the tolerance, work whose end
fell on a close in exact arithmetic but a few ULPs past it in floats waited for the next shift.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rackforge.factory.sim import LineSpec, ReleasePeriod, StationSpec, compile_steps, simulate_raw
from rackforge.schema.factory import (
    CALENDAR_TOLERANCE_H,
    Calendar,
    Distribution,
    Step,
    finish_time_h,
    time_at_open_hours,
)

TWO_SHIFTS = Calendar(shifts_per_day=2, hours_per_shift=8.0, days_per_week=5)
DAY, WEEK = Fraction(24), Fraction(168)


def exact_finish(start: Fraction, work: Fraction, open_per_day: Fraction, days: int) -> Fraction:
    """End of ``work`` hours started at ``start``, walking the calendar one open day at a time (exact)."""
    t, left = start, work
    while True:
        week_start = (t // WEEK) * WEEK
        day = (t - week_start) // DAY
        day_start = week_start + day * DAY
        if day >= days:                      # weekend: next Monday
            t = week_start + WEEK
            continue
        close = day_start + open_per_day
        if t >= close:                       # after today's close: tomorrow's opening
            t = day_start + DAY
            continue
        if left == 0:
            return t
        if t + left <= close:
            return t + left
        left -= close - t
        t = close


def exact_replay(arrivals: list[Fraction], works: list[Fraction], cal: Calendar) -> list[Fraction]:
    """Exit times of racks walking a serial line of single FIFO servers, event by event (exact)."""
    per_day = Fraction(cal.open_h_per_day)
    free = [Fraction(0)] * len(works)
    exits = []
    for arrival in arrivals:
        t = arrival
        for s, work in enumerate(works):
            start = max(t, free[s])
            t = exact_finish(start, work, per_day, cal.days_per_week)
            free[s] = t
        exits.append(t)
    return exits


def _line(works_h: list[float], racks: int, release_h: int, run_h: float) -> LineSpec:
    stations = tuple(StationSpec(f"s{i}", 1, TWO_SHIFTS) for i in range(len(works_h)))
    steps = tuple(Step(station=f"s{i}", time=Distribution(dist="fixed", mean_h=w)) for i, w in enumerate(works_h))
    index = {s.id: i for i, s in enumerate(stations)}
    return LineSpec(stations=stations, routes={"d": compile_steps(steps, index, "d")},
                    releases=(ReleasePeriod("d", 0.0, float(release_h), racks),), release_process="even",
                    window_start_h=0.0, window_end_h=run_h, horizon_h=run_h, drain=True)


def _compare(works_h: list[float], racks: int, release_h: int, run_h: float) -> tuple[np.ndarray, list[Fraction]]:
    """Simulated exit times in release order and the exact replay's, with the times as written (decimal)."""
    spec = _line(works_h, racks, release_h, run_h)
    raw = simulate_raw(spec, 0, 0)
    slot = Fraction(release_h, racks)
    arrivals = [(k + Fraction(1, 2)) * slot for k in range(racks)]  # release_times' "even" slots, exactly
    exact = exact_replay(arrivals, [Fraction(str(w)) for w in works_h], TWO_SHIFTS)
    order = np.argsort(raw.entry_h, kind="stable")
    return np.asarray(raw.exit_h)[order], exact


def test_the_deterministic_line_matches_the_exact_replay_rack_by_rack() -> None:
    # 4,386 racks, one every 8 h (releases at 04:00, 12:00, 20:00), through a 1.1 h and a 2.9 h station: the
    # noon rack ends at 12 + 1.1 + 2.9 = 16:00, the close, exactly as written but a few ULPs past it in floats
    # (12 + 1.1 = 13.1 is 13.0999…9 or 13.100…01 depending on the day's offset). Before the tolerance, 545 of
    # these racks finished 8 h (or a weekend) late.
    racks = 4_386
    simulated, exact = _compare([1.1, 2.9], racks, racks * 8, racks * 8 + 1_000)
    assert len(simulated) == len(exact) == racks
    gaps = np.abs(simulated - np.array([float(e) for e in exact]))
    # no rack late by a shift (8 h) — or by anything above the accumulated rounding
    assert int(np.count_nonzero(gaps > 1e-6)) == 0, f"{np.count_nonzero(gaps > 1e-6)} racks off, worst {gaps.max()} h"
    # the case is exercised: the replay ends many racks exactly on the 16:00 close
    assert sum(1 for e in exact if e % DAY == 16) > 500


@settings(max_examples=40, deadline=None)
@given(works=st.lists(st.sampled_from([0.1, 0.3, 0.7, 1.3, 2.2, 2.9, 3.3, 5.9]), min_size=1, max_size=3),
       racks=st.integers(20, 200))
def test_random_deterministic_lines_match_the_exact_replay(works: list[float], racks: int) -> None:
    simulated, exact = _compare(works, racks, 84, racks * sum(works) * 3 + 1_000)
    assert np.max(np.abs(simulated - np.array([float(e) for e in exact]))) < 1e-6


def test_work_ending_a_rounding_error_past_the_close_ends_at_the_close() -> None:
    # Monday of week 2, 00:18 + 15.7 h of work = 16:00, the close (184 h). In floats the open hours
    # 80 + 0.3 + 15.7 come to 96.00000000000001, one ULP past the close: without the tolerance the work
    # "ended" at Tuesday 00:00 (192 h), 8 h late.
    assert 80.0 + (168.3 - 168.0) + 15.7 > 96.0
    assert finish_time_h(168.3, 15.7, 16.0, 5) == pytest.approx(184.0, abs=1e-9)
    # a week's worth of open hours plus a rounding error ends on Friday's close, not Monday's opening
    assert time_at_open_hours(80.0 + 1e-13, 16.0, 5) == pytest.approx(4 * 24.0 + 16.0)
    # genuine work past the close (well above the tolerance) still carries over to the next shift
    assert finish_time_h(168.3, 15.7 + 1e-6, 16.0, 5) == pytest.approx(192.0 + 1e-6)


def test_the_tolerance_is_far_below_any_process_time() -> None:
    # a millisecond is 1/3,600,000 h; the tolerance must be orders of magnitude below any real step yet well
    # above the float rounding of a time of ~10⁵ h (ULP ~1.5e-11 h)
    assert np.spacing(1e5) < CALENDAR_TOLERANCE_H < 1.0 / 3_600_000
