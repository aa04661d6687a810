"""Monte Carlo results reduced on the fly: the streamed figures against the exact ones computed from
every scenario of a run small enough to keep them all, within the documented error bounds."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from rackforge.resilience.mc_results import VALUE_HISTOGRAM_BITS, WORST_KEPT, parts_histogram_bits
from rackforge.resilience.mc_stats import BlockSums, FloatHistogram, WorstScenarios
from rackforge.resilience.montecarlo import run, synthetic_model

VALUE_ERROR = 2.0 ** -(VALUE_HISTOGRAM_BITS + 1) + 2.0 ** -24   # bin half-width + float32 binning


def _exact_quantile(x: np.ndarray, q: float) -> float:
    return float(np.quantile(x, q, method="inverted_cdf"))


@settings(max_examples=40, deadline=None)
@given(values=st.lists(st.one_of(st.just(0.0), st.floats(1e-3, 1e5)), min_size=1, max_size=300),
       q=st.sampled_from([0.1, 0.5, 0.9, 0.95, 0.99]), bits=st.sampled_from([3, 7, 14]))
def test_histogram_quantile_within_its_bound(values: list[float], q: float, bits: int) -> None:
    x = np.array(values)
    h = FloatHistogram(1, -12, 18, bits)
    h.add(x[None, :])
    exact = _exact_quantile(x, q)
    estimate = h.quantile(0, q)
    assert abs(estimate - exact) <= (h.relative_error + 2.0 ** -24) * exact
    if exact == 0.0:
        assert estimate == 0.0
    # tail mean likewise
    tail = np.sort(x)[int(np.floor(q * x.size)):]
    assert abs(h.tail_mean(0, q) - tail.mean()) <= (h.relative_error + 2.0 ** -24) * tail.mean() + 1e-12


def test_histogram_clamps_outside_its_range() -> None:
    h = FloatHistogram(1, 0, 4, 4)
    h.add(np.array([[0.0, -1.0, 0.25, 1.0, 100.0]]))
    assert h.counts[0, 0] == 2 and h.counts[0, 1] == 1 and h.counts[0, -1] == 1
    assert h.quantile(0, 1.0) == 16.0        # the overflow bin stands for the upper edge
    assert h.quantile(0, 0.2) == 0.0


def test_block_sums_do_not_depend_on_chunks() -> None:
    x = np.random.default_rng(1).lognormal(0, 3, size=(3, 5000))
    whole = BlockSums(3, 1024)
    whole.add(0, x)
    split = BlockSums(3, 1024)
    for a in range(0, 5000, 2048):
        split.add(a, x[:, a:a + 2048])
    np.testing.assert_array_equal(split.total, whole.total)
    np.testing.assert_allclose(whole.total, x.sum(axis=1), rtol=1e-12)


def test_worst_scenarios_keep_the_largest_with_ties_by_index() -> None:
    values = np.array([3.0, 5.0, 5.0, 1.0, 5.0, 4.0, 0.0])
    w = WorstScenarios(4, 1)
    for a in range(0, 7, 3):
        w.add(a, values[a:a + 3], values[a:a + 3, None] * 10)
    np.testing.assert_array_equal(w.index, [1, 2, 4, 5])
    np.testing.assert_array_equal(w.detail[:, 0], [50.0, 50.0, 50.0, 40.0])


def test_parts_histograms_stay_small_with_many_parts() -> None:
    assert parts_histogram_bits(84) == 10
    assert parts_histogram_bits(840) == 7
    assert parts_histogram_bits(100_000) == 4
    for parts in (1, 84, 840, 4000):
        bits = parts_histogram_bits(parts)
        assert bits == 4 or parts * 20 * 2 ** bits * 8 <= 32 * 2**20


def test_streamed_figures_against_every_scenario() -> None:
    """A run that keeps every scenario: means, probabilities, event splits and the worst scenarios
    are exact; VaR, CVaR and parts' P90 within their bounds."""
    m = synthetic_model(21, designs=3, parts=12, quarters=8, events=5, lead_time_cv=0.3, capacity_margin=1.0)
    n = 5000
    result = run(m, n, seed=4, keep_scenarios=True)
    d = result.detail
    assert d is not None
    values = d.value_short_usd
    backlog = d.backlog.astype(np.float64)
    summary = result.summary()
    assert summary["expected_racks_short"] == {x: round(float(backlog[k].mean()), 4) for k, x in enumerate(m.designs)}
    assert summary["expected_value_short_usd"] == round(float(values.mean()), 2)
    short = backlog.sum(axis=0)
    assert summary["probability_of_shortfall"] == round(float((short > 0.5).mean()), 6)
    exact_var = _exact_quantile(values, 0.95)
    assert exact_var > 0
    assert abs(result.value_at_risk_usd(0.95) - exact_var) <= VALUE_ERROR * exact_var
    tail = np.sort(values)[int(np.floor(0.95 * n)):]
    assert abs(result.conditional_value_at_risk_usd(0.95) - tail.mean()) <= VALUE_ERROR * tail.mean()
    owed = d.parts_owed.astype(np.float64)
    parts_error = 2.0 ** -(parts_histogram_bits(len(m.parts)) + 1) + 2.0 ** -24
    by_part = {r["part"]: r for r in result.shortfall_by_part()}
    for k, part in enumerate(m.parts):
        row = by_part[part]
        assert abs(row["mean_units"] - owed[k].mean()) <= 5e-4
        assert row["probability"] == round(float((owed[k] > 0.5).mean()), 6)
        exact_p90 = _exact_quantile(owed[k], 0.9)
        assert abs(row["p90_units"] - exact_p90) <= parts_error * exact_p90 + 5e-4
    for row, e in zip(sorted(result.shortfall_by_event(), key=lambda r: r["event"]), range(len(m.events)),
                      strict=True):
        hit = d.occurs[e]
        assert row["occurred_share"] == round(float(hit.mean()), 6)
        assert abs(row["mean_value_short_usd_when_occurred"] - values[hit].mean()) <= 1e-6 * values.max()
        assert abs(row["mean_value_short_usd_otherwise"] - values[~hit].mean()) <= 1e-6 * values.max()
    worst = result.worst_scenarios(WORST_KEPT)
    order = np.argsort(-values, kind="stable")[:len(worst)]
    assert [r["scenario"] for r in worst] == order.tolist()
    for r in worst:
        i = r["scenario"]
        assert r["racks_short"] == {x: round(float(backlog[k, i])) for k, x in enumerate(m.designs)}
        assert [e["event"] for e in r["events"]] == [ev.id for j, ev in enumerate(m.events) if d.occurs[j, i]]
