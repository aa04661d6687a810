"""Calendar arithmetic: work pauses outside open hours and resumes at the next shift."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rackforge.factory.sim import (
    LineSpec,
    ReleasePeriod,
    StationSpec,
    compile_steps,
    simulate_raw,
    station_finisher,
    summarise,
)
from rackforge.schema.factory import (
    Calendar,
    Distribution,
    Step,
    finish_time_h,
    open_hours_until,
    open_hours_until_array,
    time_at_open_hours,
)

calendars = st.builds(Calendar, shifts_per_day=st.integers(1, 3), hours_per_shift=st.sampled_from([6.0, 7.5, 8.0]),
                      days_per_week=st.integers(1, 7))
times = st.floats(0.0, 5000.0)
works = st.floats(0.0, 300.0)


def test_hand_cases():
    # one 8 h shift, Monday to Friday, open 00:00-08:00
    assert open_hours_until(6.0, 8.0, 5) == 6.0
    assert open_hours_until(30.0, 8.0, 5) == 8.0 + 6.0
    assert open_hours_until(168.0 + 1.0, 8.0, 5) == 40.0 + 1.0
    assert open_hours_until(5 * 24.0 + 3.0, 8.0, 5) == 40.0  # Saturday is closed
    # 10 h of work from Monday 06:00: 2 h Monday, 8 h Tuesday -> Tuesday 08:00
    assert finish_time_h(6.0, 10.0, 8.0, 5) == 32.0
    # work that starts on Saturday waits for Monday
    assert finish_time_h(5 * 24.0 + 1.0, 3.0, 8.0, 5) == 168.0 + 3.0
    # ending exactly at the close of a shift ends then
    assert finish_time_h(0.0, 8.0, 8.0, 5) == 8.0
    assert finish_time_h(0.0, 40.0, 8.0, 5) == 4 * 24.0 + 8.0


@settings(max_examples=50, deadline=None)
@given(calendars, times, works)
def test_finish_time_spends_exactly_the_work_in_open_hours(cal: Calendar, start: float, work: float):
    per_day, days = cal.open_h_per_day, cal.days_per_week
    end = finish_time_h(start, work, per_day, days)
    assert end >= start + work - 1e-9
    spent = open_hours_until(end, per_day, days) - open_hours_until(start, per_day, days)
    assert spent == pytest.approx(work, abs=1e-6)
    # it is the earliest such time: a moment earlier, less work is done
    if work > 1e-3:
        earlier = open_hours_until(end - 1e-3, per_day, days) - open_hours_until(start, per_day, days)
        assert earlier < work
    assert station_finisher(cal)(start, work) == pytest.approx(end, abs=1e-9)


@settings(max_examples=50, deadline=None)
@given(calendars, st.floats(0.0, 2000.0))
def test_inverse_and_vectorised(cal: Calendar, open_h: float):
    per_day, days = cal.open_h_per_day, cal.days_per_week
    t = time_at_open_hours(open_h, per_day, days)
    assert open_hours_until(t, per_day, days) == pytest.approx(open_h, abs=1e-6)
    grid = np.linspace(0.0, 1000.0, 97)
    scalar = [open_hours_until(x, per_day, days) for x in grid]
    assert open_hours_until_array(grid, per_day, days) == pytest.approx(scalar)


def test_simulated_utilisation_counts_open_hours_only():
    """One rack per 24 h, 4 h of work, station open 8 h on 5 days: busy 4/8 of open time on weekdays."""
    cal = Calendar(shifts_per_day=1, hours_per_shift=8.0, days_per_week=5)
    steps = compile_steps((Step(station="s", time=Distribution(dist="fixed", mean_h=4.0)),), {"s": 0}, "r")
    spec = LineSpec(stations=(StationSpec("s", 1, cal),), routes={"d": steps},
                    releases=(ReleasePeriod("d", 0.0, 4 * 168.0, 28),), release_process="even",
                    window_start_h=0.0, window_end_h=4 * 168.0, horizon_h=6 * 168.0)
    raw = simulate_raw(spec, 0, 0)
    summary = summarise(spec, raw)
    # 28 racks × 4 h = 112 h of work in 4 weeks; all done inside the window? releases at 12:00 each day,
    # the weekend's racks wait for Monday; open hours in 4 weeks = 160 h
    done_in_window = sum(1 for t in raw.visits[:, 3] if t <= 4 * 168.0)
    assert summary["stations"]["s"]["utilisation"] == pytest.approx(done_in_window * 4.0 / 160.0, abs=4.0 / 160)
    # no work happens outside the calendar
    for _, _, t0, t1 in raw.visits:
        assert open_hours_until(t1, 8.0, 5) - open_hours_until(t0, 8.0, 5) == pytest.approx(4.0)
