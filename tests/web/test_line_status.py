"""The line board's figures (rackforge.factory.line_status): by hand, and equal to the factory and
test-results modules' own figures for the same events."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from rackforge.factory.line_status import (
    LineEvent,
    LineModel,
    PlanRate,
    StationModel,
    line_board,
    line_model,
    plan_to_hour,
    station_status,
    takt_time_h,
)
from rackforge.factory.testresults import TestRecord, report
from rackforge.schema.factory import Calendar

MONDAY = dt.datetime(2027, 3, 1)
CAL = Calendar(shifts_per_day=2, hours_per_shift=8.0, days_per_week=5)  # 16 h a day, 80 h a week


def model() -> LineModel:
    """Two stations; 40 racks of design 'a' over four weeks through both (10 racks a week)."""
    stations = (StationModel("leak", "Leak rig", 2, CAL, ("a",), 0.9),
                StationModel("pack", "Pack", 1, CAL, ("a",), None))
    return LineModel(stations, (PlanRate("a", MONDAY, MONDAY + dt.timedelta(weeks=4), 40),), MONDAY)


def at(day: int, hour: float) -> dt.datetime:
    return MONDAY + dt.timedelta(days=day, hours=hour)


def test_takt_time_by_hand() -> None:
    assert takt_time_h(80.0, 10.0) == 8.0  # 80 open hours a week / 10 racks a week
    assert takt_time_h(80.0, 0.0) is None


def test_plan_to_this_hour_by_hand() -> None:
    m = model()
    # Wednesday 10:00: 10 of the day's 16 open hours gone; 10 racks/week over 80 open hours -> 1.25 racks
    assert abs(plan_to_hour(m, m.stations[0], at(2, 10)) - 1.25) < 1e-12
    # after the shifts (20:00) the whole day's 16 h are gone: 2 racks; Saturday is closed: 0
    assert abs(plan_to_hour(m, m.stations[0], at(2, 20)) - 2.0) < 1e-12
    assert plan_to_hour(m, m.stations[0], at(5, 12)) == 0.0
    # after the plan's period nothing is planned
    assert plan_to_hour(m, m.stations[0], at(30, 10)) == 0.0


def test_station_status_from_events() -> None:
    e = [LineEvent("leak", "start", at(0, 1), "S1")]
    assert station_status(e, 1) == "running"
    assert station_status(e, 0) == "idle"
    down = [*e, LineEvent("leak", "down", at(0, 2))]
    assert station_status(down, 1) == "down"
    assert station_status([*down, LineEvent("leak", "up", at(0, 3))], 1) == "running"
    assert station_status([*down, LineEvent("leak", "up", at(0, 3)), LineEvent("leak", "blocked", at(0, 4))],
                          0) == "blocked"


def test_board_counts_cycle_and_andon_by_hand() -> None:
    events = [
        LineEvent("leak", "start", at(2, 0), "S1"), LineEvent("leak", "finish", at(2, 3), "S1"),
        LineEvent("leak", "start", at(2, 1), "S2"), LineEvent("leak", "finish", at(2, 6), "S2"),
        LineEvent("leak", "start", at(2, 7), "S3"),
        LineEvent("leak", "start", at(1, 20), "S0"), LineEvent("leak", "finish", at(1, 23), "S0"),  # yesterday
        LineEvent("pack", "down", at(2, 5)),
    ]
    board = line_board(model(), events, [], at(2, 10))
    leak, pack = board.stations
    assert leak.in_process == ("S3",) and leak.status == "running"
    assert leak.done_today == 2  # S1 and S2; S0 finished yesterday
    # cycle over the last 24 h: visits of 3, 5 and 3 h, mean 11/3 h, two bays -> 11/6 h per rack
    assert abs(leak.cycle_h - 11 / 6) < 1e-9  # type: ignore[operator]
    assert leak.takt_h == 8.0
    assert not leak.behind  # 2 done >= 1.25 planned
    assert pack.status == "down" and pack.done_today == 0 and pack.behind  # 0 done, 1.25 planned
    assert board.andon == (("pack", "down"),)
    assert board.last_event == at(2, 7)
    # a board limited to one station; events after 'now' are not seen yet
    assert [s.id for s in line_board(model(), events, [], at(2, 10), stations=["pack"]).stations] == ["pack"]
    early = line_board(model(), events, [], at(2, 2)).stations[0]
    assert early.in_process == ("S1", "S2") and early.done_today == 0


def record(serial: str, station: str, attempt: int, passed: bool, mode: str | None, when: dt.datetime) -> TestRecord:
    return TestRecord(serial, "a", station, attempt, passed, mode, when, 1.0)


def test_yield_and_failure_modes_by_hand_and_equal_to_test_results() -> None:
    now = at(2, 12)
    tests = [
        record("S1", "leak", 1, True, None, at(2, 1)),
        record("S2", "leak", 1, False, "qd-leak", at(2, 2)), record("S2", "leak", 2, True, None, at(2, 4)),
        record("S3", "leak", 1, False, "qd-leak", at(2, 3)), record("S3", "leak", 2, False, "manifold", at(2, 5)),
        record("S4", "leak", 1, False, "hose", at(2, 6)), record("S4", "leak", 2, False, "qd-leak", at(2, 7)),
        record("S5", "leak", 1, False, "seal", at(2, 8)), record("S5", "leak", 2, False, "seal", at(2, 9)),
        record("S9", "leak", 1, False, "old", at(0, 1)),  # more than 24 h ago: not on the board
    ]
    leak = line_board(model(), [], tests, now).stations[0]
    assert leak.first_pass_yield == 1 / 5  # of five serials tested in the last 24 h only S1 passed first time
    assert leak.model_first_pass_yield == 0.9
    # failures: qd-leak 3, seal 2, manifold 1, hose 1 -> top three: qd-leak, seal, then one of the 1s
    assert leak.failure_modes[:2] == (("qd-leak", 3), ("seal", 2))
    assert leak.failure_modes[2][1] == 1 and len(leak.failure_modes) == 3
    recent = [t for t in tests if t.started >= now - dt.timedelta(hours=24)]
    rep = report(recent)
    assert leak.first_pass_yield == rep.by_station.loc["leak", "first_pass_yield"]
    expected = rep.pareto_stations.xs("leak", level="station")["failures"].head(3)
    assert leak.failure_modes == tuple((str(k), int(v)) for k, v in expected.items())


def test_reference_model_yield_is_plan_weighted_over_routes() -> None:
    from rackforge.factory.releases import build_line_plan
    from rackforge.io.loader import load_programme

    programme = load_programme()
    plan = build_line_plan(programme)
    m = line_model(programme, plan)
    factory = programme.factory
    assert factory is not None
    num = den = 0.0
    for design in plan.spec.designs:
        route = factory.route_of(design)
        assert route is not None
        for step in route.steps:
            if step.station == "leak-rig" and step.is_test:
                num += plan.planned(design) * step.first_pass_yield
                den += plan.planned(design)
    leak = m.station("leak-rig")
    assert leak is not None and den > 0
    assert abs(leak.first_pass_yield - num / den) < 1e-12  # type: ignore[operator]
    assert [s.id for s in m.stations] == [s.id for s in factory.stations]


serials = st.sampled_from(["A", "B", "C", "D"])
event_st = st.tuples(st.sampled_from(["leak", "pack"]), st.sampled_from(["start", "finish"]), serials,
                     st.integers(0, 48 * 60))


@settings(max_examples=30, deadline=None)
@given(st.lists(event_st, max_size=40),
       st.lists(st.tuples(serials, st.sampled_from(["leak", "pack"]), st.booleans(), st.integers(0, 24 * 60)),
                max_size=12, unique_by=lambda t: (t[0], t[1])))
def test_board_equals_its_definitions_on_random_streams(raw: list[tuple[str, str, str, int]],
                                                         raw_tests: list[tuple[str, str, bool, int]]) -> None:
    now = at(2, 0)
    events = [LineEvent(s, kind, MONDAY + dt.timedelta(minutes=m), serial) for s, kind, serial, m in raw]
    tests = [record(serial, station, 1, ok, None if ok else "qd-leak", now - dt.timedelta(minutes=m))
             for serial, station, ok, m in raw_tests]
    board = line_board(model(), events, tests, now)
    rep = report(tests) if tests else None
    for station in board.stations:
        mine = sorted((e for e in events if e.station == station.id), key=lambda e: e.time)
        # racks in process: started, and not finished since their last start
        last: dict[str, str] = {}
        for e in mine:
            last[e.serial] = e.status  # type: ignore[index]
        assert set(station.in_process) == {s for s, k in last.items() if k == "start"}
        if rep is not None and station.id in rep.by_station.index:
            assert station.first_pass_yield == rep.by_station.loc[station.id, "first_pass_yield"]
            fails = sum(1 for t in tests if t.station == station.id and not t.passed)
            assert sum(n for _, n in station.failure_modes) == fails  # one mode only: the top three hold all
        else:
            assert station.first_pass_yield is None
