"""The line simulation against queueing theory: M/M/c (Erlang C), Jackson networks, Little's law.

The analytic formulas are written out here from the textbook (Kleinrock, Queueing Systems I,
§3.5; Jackson 1957), independently of rackforge's code. Each simulated estimate must hold the
analytic value inside its 99% confidence interval over independent replications.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rackforge.factory.sim import (
    LineSpec,
    ReleasePeriod,
    StationSpec,
    compile_steps,
    mean_ci,
    run_replications,
    simulate_raw,
    summarise,
)
from rackforge.schema.factory import Distribution, FailureMode, Step


def erlang_c_mmc(arrival_per_h: float, service_mean_h: float, servers: int) -> tuple[float, float]:
    """(mean number in system L, mean time in system W [h]) of an M/M/c queue."""
    a = arrival_per_h * service_mean_h  # offered load [Erlang]
    rho = a / servers
    assert rho < 1
    top = a**servers / math.factorial(servers) / (1 - rho)
    wait_probability = top / (sum(a**k / math.factorial(k) for k in range(servers)) + top)
    lq = wait_probability * rho / (1 - rho)
    mean_in_system = lq + a
    return mean_in_system, mean_in_system / arrival_per_h


def exp(mean_h: float) -> Distribution:
    return Distribution(dist="exponential", mean_h=mean_h)


def line(stations: list[tuple[str, int]], steps: tuple[Step, ...], arrival_per_h: float, horizon_h: float,
         warmup_h: float) -> LineSpec:
    index = {name: i for i, (name, _) in enumerate(stations)}
    return LineSpec(
        stations=tuple(StationSpec(name, count) for name, count in stations),
        routes={"d": compile_steps(steps, index, "r")},
        releases=(ReleasePeriod("d", 0.0, horizon_h, round(arrival_per_h * horizon_h)),),
        release_process="poisson", window_start_h=warmup_h, window_end_h=horizon_h,
        horizon_h=horizon_h + 200.0,
    )


def within_ci(values: list[float], expected: float, level: float = 0.99) -> tuple[bool, float, float]:
    mean, half = mean_ci(values, level)
    return abs(mean - expected) <= half, mean, half


def test_mmc_matches_erlang_c():
    spec = line([("bay", 3)], (Step(station="bay", time=exp(2.0)),), 1.0, 4000.0, 100.0)
    runs = run_replications(spec, replications=8, seed=11, workers=1)
    wip_expected, cycle_expected = erlang_c_mmc(1.0, 2.0, 3)
    ok, mean, half = within_ci([r["wip_mean"] for r in runs], wip_expected)
    assert ok, (mean, half, wip_expected)
    ok, mean, half = within_ci([r["designs"]["d"]["cycle_time_h"] for r in runs], cycle_expected)
    assert ok, (mean, half, cycle_expected)
    ok, mean, half = within_ci([r["stations"]["bay"]["utilisation"] for r in runs], 2.0 / 3.0)
    assert ok, (mean, half)
    # Little's law in the measurement window: L ≈ λ W in every replication (boundary effects only)
    for r in runs:
        assert r["wip_mean"] == pytest.approx(1.0 * r["designs"]["d"]["cycle_time_h"], rel=0.05)
    # the interval is informative: a wrong server count would be far outside it
    assert abs(mean_ci([r["wip_mean"] for r in runs])[0] - erlang_c_mmc(1.0, 2.0, 4)[0]) > 5 * half


def test_jackson_network_with_rework_loop():
    """Assembly -> test (fails 1/4, reworked at a bench, retested) -> pack: a Jackson network.

    Traffic equations: λ_test = λ / y, λ_rework = λ (1 - y) / y; each node is M/M/c at its own
    rate and the network's mean WIP is the sum of the nodes' (Jackson's theorem); W = L / λ.
    """
    arrival, y = 1.0, 0.75
    steps = (
        Step(station="assembly", time=exp(1.5)),
        Step(station="test", time=exp(1.0), first_pass_yield=y, rework_station="bench", rework_time=exp(2.0)),
        Step(station="pack", time=exp(0.6)),
    )
    spec = line([("assembly", 2), ("test", 2), ("bench", 1), ("pack", 1)], steps, arrival, 4000.0, 100.0)
    runs = run_replications(spec, replications=8, seed=5, workers=1)
    rates = {"assembly": arrival, "test": arrival / y, "bench": arrival * (1 - y) / y, "pack": arrival}
    nodes = {"assembly": (1.5, 2), "test": (1.0, 2), "bench": (2.0, 1), "pack": (0.6, 1)}
    wip_expected = sum(erlang_c_mmc(rates[n], m, c)[0] for n, (m, c) in nodes.items())
    ok, mean, half = within_ci([r["wip_mean"] for r in runs], wip_expected)
    assert ok, (mean, half, wip_expected)
    ok, mean, half = within_ci([r["designs"]["d"]["cycle_time_h"] for r in runs], wip_expected / arrival)
    assert ok, (mean, half, wip_expected / arrival)
    for name, (m, c) in nodes.items():
        node_l = erlang_c_mmc(rates[name], m, c)[0]
        ok, mean, half = within_ci([r["stations"][name]["mean_racks_present"] for r in runs], node_l)
        assert ok, (name, mean, half, node_l)
    # reworks per rack: geometric, (1 - y) / y
    ok, mean, half = within_ci([r["designs"]["d"]["reworks_per_rack"] for r in runs], (1 - y) / y)
    assert ok, (mean, half)


def test_results_do_not_depend_on_the_number_of_processes():
    spec = line([("bay", 2)], (Step(station="bay", time=exp(1.0), first_pass_yield=0.9, rework_time=exp(1.0)),),
                1.2, 300.0, 10.0)
    one = run_replications(spec, replications=3, seed=3, workers=1)
    two = run_replications(spec, replications=3, seed=3, workers=2)
    assert one == two
    assert one[0] != one[1]  # replications are independent draws


modes = st.lists(st.tuples(st.floats(0.05, 1.0), st.floats(0.3, 1.0), st.floats(0.0, 0.5)), min_size=1, max_size=3)


@st.composite
def random_lines(draw: st.DrawFn) -> tuple[LineSpec, bool]:
    n_stations = draw(st.integers(1, 3))
    stations = [(f"s{i}", draw(st.integers(1, 3))) for i in range(n_stations)]
    steps = []
    for _ in range(draw(st.integers(1, 4))):
        station = f"s{draw(st.integers(0, n_stations - 1))}"
        time = Distribution(dist=draw(st.sampled_from(["exponential", "fixed"])), mean_h=draw(st.floats(0.1, 3.0)))
        if draw(st.booleans()):
            raw = draw(modes)
            total = sum(w for w, _, _ in raw)
            fm = tuple(FailureMode(id=f"m{k}", share=w / total, coverage=c, scrap_fraction=s)
                       for k, (w, c, s) in enumerate(raw))
            shares = [m.share for m in fm]
            fm = (*fm[:-1], fm[-1].model_copy(update={"share": 1.0 - sum(shares[:-1])}))
            yield_ = draw(st.floats(0.5, 0.99))
            if sum((1 - yield_) * m.share / m.coverage for m in fm) > 1:
                yield_ = 0.99
            steps.append(Step(station=station, time=time, first_pass_yield=yield_, failure_modes=fm,
                              rework_station=f"s{draw(st.integers(0, n_stations - 1))}", rework_time=exp(0.5),
                              max_attempts=draw(st.sampled_from([None, 1, 2, 3]))))
        else:
            steps.append(Step(station=station, time=time))
    horizon = draw(st.floats(20.0, 200.0))
    drain = draw(st.booleans())
    index = {name: i for i, (name, _) in enumerate(stations)}
    spec = LineSpec(
        stations=tuple(StationSpec(n, c) for n, c in stations), routes={"d": compile_steps(tuple(steps), index, "r")},
        releases=(ReleasePeriod("d", 0.0, horizon, draw(st.integers(1, 60))),),
        release_process=draw(st.sampled_from(["even", "poisson"])), window_start_h=0.0, window_end_h=horizon,
        horizon_h=horizon, drain=drain)
    return spec, drain


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_lines(), st.integers(0, 2**16))
def test_littles_law_and_rack_balance_on_every_run(case: tuple[LineSpec, bool], seed: int):
    spec, drain = case
    raw = simulate_raw(spec, seed, 0)
    summary = summarise(spec, raw)
    # Little's law on the sample path: ∫ WIP dt (event counter) = Σ time in system (rack records)
    entered = ~np.isnan(raw.entry_h)
    sojourns = np.where(np.isnan(raw.exit_h), raw.end_h, raw.exit_h)[entered] - raw.entry_h[entered]
    assert raw.area_end == pytest.approx(sojourns.sum(), rel=1e-9, abs=1e-9)
    assert summary["little_law_gap"] < 1e-9
    # balance: every rack started is shipped, still in process (incl. rework), or scrapped
    started = summary["racks_started"]
    assert started == summary["racks_shipped"] + summary["racks_scrapped"] + summary["wip_end"]
    assert summary["wip_end"] == int((entered & np.isnan(raw.exit_h)).sum())
    if drain:
        assert summary["wip_end"] == 0
    d = summary["designs"]["d"]
    assert d["released"] == d["shipped"] + d["scrapped"] + d["in_process"]
    # a rack never scraps at a step whose failure modes cannot scrap and which allows unlimited attempts
    scrap_possible = any(s.step.is_test and (s.step.mean_scrap_fraction > 0 or s.step.max_attempts)
                         for s in spec.routes["d"])
    if not scrap_possible:
        assert d["scrapped"] == 0
    for station in summary["stations"].values():
        assert 0.0 <= station["utilisation"] <= 1.0 + 1e-9


def test_yield_and_scrap_match_the_step_expectations():
    """Scrap share and reworks per rack match step_visit_expectations within the CI."""
    from rackforge.schema.factory import step_visit_expectations

    step = Step(station="t", time=exp(0.2), first_pass_yield=0.7, retest_yield=0.8, rework_time=exp(0.1),
                max_attempts=3, failure_modes=(FailureMode(id="a", share=0.6, scrap_fraction=0.25),
                                               FailureMode(id="b", share=0.4)))
    attempts, reworks, scrap = step_visit_expectations(step)
    # by hand: s = 0.15, f1 = 0.3, fr = 0.2; reach2 = 0.3·0.85 = 0.255, reach3 = 0.255·0.2·0.85 = 0.04335
    assert attempts == pytest.approx(1 + 0.255 + 0.04335)
    assert scrap == pytest.approx(0.3 * 0.15 + 0.255 * 0.2 * 0.15 + 0.04335 * 0.2)
    spec = line([("t", 4)], (step,), 5.0, 400.0, 0.0)
    runs = run_replications(spec, replications=6, seed=2, workers=1)
    shares = [r["racks_scrapped"] / (r["racks_shipped"] + r["racks_scrapped"]) for r in runs]
    ok, mean, half = within_ci(shares, scrap)
    assert ok, (mean, half, scrap)
    ok, mean, half = within_ci([r["designs"]["d"]["reworks_per_rack"] for r in runs], reworks)
    assert ok, (mean, half, reworks)


def test_escapes_follow_coverage():
    """With coverage c the escape probability per rack is (1 - y) s (1 - c) / c."""
    step = Step(station="t", time=exp(0.1), first_pass_yield=0.8, rework_time=exp(0.1),
                failure_modes=(FailureMode(id="leak", share=1.0, coverage=0.5),))
    spec = line([("t", 4)], (step,), 5.0, 400.0, 0.0)
    runs = run_replications(spec, replications=6, seed=9, workers=1)
    # each attempt escapes w.p. 0.2 (= 0.2·0.5/0.5); a rack escapes on its passing attempt:
    # P(escape | pass) = 0.2 / (0.2 + 0.6) = 0.25
    ok, mean, half = within_ci([r["designs"]["d"]["escape_rate"] for r in runs], 0.25)
    assert ok, (mean, half)
