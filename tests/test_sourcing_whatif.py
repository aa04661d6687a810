"""What-if moves: hand-computed effects, incremental == full recomputation, ranking of parts to bring home."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rackforge.errors import UsageError
from rackforge.sourcing.analysis import analyse_sourcing
from rackforge.sourcing.synthetic import make_programme, synthetic_programme
from rackforge.sourcing.whatif import Move, WhatIfEngine, apply_moves


def small_programme():
    """Rack: 1 gpu (TW 1000), 4 cables (TW 20), 1 cdu (TW 200; a US source exists at 260, not qualified yet),
    2 psus (US 100). TW→US lane: 5% freight, 10% duty; US→US: nothing."""
    return make_programme(
        parts={"gpu": ("compute", None), "cable": ("cabling", None), "cdu": ("cooling", None), "psu": ("power", None)},
        designs={"rack": [("gpu", 1), ("cable", 4), ("cdu", 1), ("psu", 2)]},
        sites={"tw": "TW", "us": "US", "mx": "MX"},
        sources=[
            {"part": "gpu", "site": "tw", "price_usd": 1000.0},
            {"part": "cable", "site": "tw", "price_usd": 20.0},
            {"part": "cdu", "site": "tw", "price_usd": 200.0},
            {"part": "cdu", "site": "us", "price_usd": 260.0, "share": 0.0, "qualification": "planned",
             "qualified_date": "2030-01-01"},
            {"part": "psu", "site": "us", "price_usd": 100.0},
        ],
        trade=[{"origin": "TW", "destination": "US", "freight_rate": 0.05, "duty_rate": 0.10}],
        build_plan={"2027Q1": {"rack": 10}, "2027Q2": {"rack": 10}},
    )


def figures(result, year=2027, sources="qualified"):
    t = result.domestic_by_year
    return t[(t["year"] == year) & (t["sources"] == sources)].iloc[0]


def test_move_a_whole_part_home_by_hand():
    prog = small_programme()
    engine = WhatIfEngine(analyse_sourcing(prog))
    # before: domestic 200 of 1150 + 92 + 230 + 200 = 1672
    result = engine.evaluate([Move("cdu", "us")])
    row = figures(result)
    assert row["domestic_content_before"] == pytest.approx(200 / 1672)
    # the cdu now comes from the US source at 260 (no freight, no duty): +260 domestic, cost +30
    assert row["domestic_content_after"] == pytest.approx(460 / 1702)
    assert row["added_cost_per_rack_usd"] == pytest.approx(30.0)
    cooling = result.domestic_by_category.set_index(["sources", "category"]).loc[("qualified", "cooling")]
    assert (cooling["domestic_content_before"], cooling["domestic_content_after"]) == pytest.approx((0.0, 1.0))
    parts = result.parts.set_index(["sources", "part"])
    assert parts.loc[("qualified", "cdu"), "hhi_country_after"] == pytest.approx(10_000)


def test_move_a_share_to_a_new_site_uses_lanes_and_scales_the_rest():
    prog = small_programme()
    engine = WhatIfEngine(analyse_sourcing(prog))
    # 40% of cables to Mexico: new source priced as the current mean (20 USD), no MX lane -> no freight or duty
    result = engine.evaluate([Move("cable", "mx", 0.4)])
    row = figures(result)
    cable_after = 4 * (0.6 * 23.0 + 0.4 * 20.0)
    assert row["component_cost_per_rack_usd_after"] == pytest.approx(1672 - 92 + cable_after)
    exposure = result.country_exposure.set_index(["sources", "country"]).loc["qualified"]
    assert exposure.loc["MX", "cost_per_rack_usd_after"] == pytest.approx(4 * 0.4 * 20)
    assert exposure.loc["TW", "cost_per_rack_usd_after"] == pytest.approx(1150 + 230 + 4 * 0.6 * 23)
    hhi = result.parts.set_index(["sources", "part"]).loc[("qualified", "cable")]
    assert hhi["hhi_supplier_after"] == pytest.approx(60**2 + 40**2)


@settings(max_examples=30, deadline=None)
@given(part=st.integers(0, 199), site=st.integers(0, 39), share=st.floats(0.0, 1.0), seed=st.integers(0, 3))
def test_incremental_equals_full_recomputation(part, site, share, seed):
    """The engine's quick update equals re-running the whole analysis on the moved network."""
    prog = _synthetic(seed)
    analysis = analyse_sourcing(prog)
    engine = _engine(seed, analysis)
    move = Move(f"p{part:05d}", f"s{site:04d}", share)
    quick = engine.evaluate([move])
    full = analyse_sourcing(prog, network=apply_moves(prog, analysis.network, [move]))
    np.testing.assert_allclose(quick.domestic_after.by_year["domestic_content"],
                               full.domestic.by_year["domestic_content"], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(quick.domestic_after.by_category["component_cost_per_rack_usd"],
                               full.domestic.by_category["component_cost_per_rack_usd"], rtol=1e-9)
    ce = full.country_exposure.set_index(["design", "sources", "country"])["share_of_rack_value"]
    qe = quick.country_exposure.set_index(["design", "sources", "country"])["share_of_rack_value_after"]
    np.testing.assert_allclose(qe.reindex(ce.index).to_numpy(), ce.to_numpy(), atol=1e-9)
    fp = full.parts.set_index(["sources", "part"])
    for r in quick.parts.itertuples():
        assert r.hhi_supplier_after == pytest.approx(fp.loc[(r.sources, r.part), "hhi_supplier"], nan_ok=True)


_CACHE: dict[int, object] = {}


def _synthetic(seed):
    if seed not in _CACHE:
        _CACHE[seed] = synthetic_programme(n_parts=200, n_sources=600, n_designs=2, n_sites=40, seed=seed)
    return _CACHE[seed]


_ANALYSES: dict[int, object] = {}


def _analysis(seed):
    if seed not in _ANALYSES:
        _ANALYSES[seed] = analyse_sourcing(_synthetic(seed))
    return _ANALYSES[seed]


_ENGINES: dict[int, WhatIfEngine] = {}


def _engine(seed, analysis):
    if seed not in _ENGINES:
        _ENGINES[seed] = WhatIfEngine(analysis)
    return _ENGINES[seed]


def test_rank_parts_to_bring_home():
    prog = small_programme()
    engine = WhatIfEngine(analyse_sourcing(prog), price_premium=0.2)
    candidates, plan = engine.rank_domestic_moves("rack", 2027)
    c = candidates.set_index("part")
    # gpu: no US source -> a new one at the ex-works price 1000 × 1.2 = 1200 (no US lane: no freight, no duty)
    # replaces the landed 1150: +50 per rack, content (200 + 1200) / (1672 − 1150 + 1200)
    assert c.loc["gpu", "new_source"] and c.loc["gpu", "added_cost_per_rack_usd"] == pytest.approx(50.0)
    assert c.loc["gpu", "domestic_content_after"] == pytest.approx(1400 / 1722)
    assert c.loc["gpu", "passes_alone"]  # 81% > 65%
    # cdu: the existing US source (260) is used even though it is not qualified yet
    assert not c.loc["cdu", "new_source"] and c.loc["cdu", "domestic_site"] == "us"
    assert c.loc["cdu", "added_cost_per_rack_usd"] == pytest.approx(30.0)
    assert not c.loc["cdu", "passes_alone"]
    assert "psu" not in c.index  # already domestic
    assert candidates.iloc[0]["part"] == "gpu"  # the only one that passes alone
    assert plan["part"].tolist() == ["gpu"] and bool(plan.iloc[-1]["passes"])
    # applying the plan's moves through the what-if engine reproduces the ranked figure
    moves = [Move(r.part, "us" if r.domestic_site == "us" else "us-integration") for r in plan.itertuples()]
    after = figures(engine.evaluate(moves))
    assert after["domestic_content_after"] == pytest.approx(plan.iloc[-1]["domestic_content_after"])
    assert after["meets_threshold_after"]


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 3), premium=st.sampled_from([0.0, 0.1, 0.3]))
def test_cheapest_set_passes_when_applied_and_has_no_needless_costly_move(seed, premium):
    engine = WhatIfEngine(_analysis(seed), price_premium=premium)
    _, plan = engine.rank_domestic_moves("design-0", 2027)
    assert not plan.empty and bool(plan.iloc[-1]["passes"])
    moves = [Move(p, s) for p, s in zip(plan["part"], plan["domestic_site"], strict=True)]
    row = figures(engine.evaluate(moves))
    assert row["meets_threshold_after"]
    assert row["domestic_content_after"] == pytest.approx(plan.iloc[-1]["domestic_content_after"], rel=1e-9)
    assert row["added_cost_per_rack_usd"] == pytest.approx(plan["added_cost_per_rack_usd"].sum(), rel=1e-6, abs=1e-6)
    # dropping one of the costliest moves loses the threshold
    costly = plan[plan["added_cost_per_rack_usd"] > 0].nlargest(3, "added_cost_per_rack_usd")
    for part in costly["part"] if len(plan) > 1 else []:
        rest = [m for m in moves if m.part != part]
        assert not figures(engine.evaluate(rest))["meets_threshold_after"]


def test_bad_moves_are_usage_errors():
    prog = small_programme()
    engine = WhatIfEngine(analyse_sourcing(prog))
    with pytest.raises(UsageError, match="did you mean 'cable'"):
        engine.evaluate([Move("cabel", "us")])
    with pytest.raises(UsageError, match="no site"):
        engine.evaluate([Move("cable", "nowhere")])
    with pytest.raises(UsageError):
        Move.parse("cable-us")
    assert Move.parse("cable=mx@40%") == Move("cable", "mx", 0.4)
    with pytest.raises(UsageError, match="not in the build plan"):
        engine.rank_domestic_moves("rack", 2031)
