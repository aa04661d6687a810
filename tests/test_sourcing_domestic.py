"""Domestic content against hand calculations (FAR 25.101 and rules given as data)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rackforge.core.bom import BomStructure
from rackforge.core.supply import SourceMode, SupplyView, resolve_order_shares
from rackforge.errors import InputError
from rackforge.io.loader import load_programme
from rackforge.schema import Rules
from rackforge.sourcing.domestic import (
    DomesticContentCalculator,
    content_share,
    programme_domestic_content,
)
from rackforge.sourcing.rules import builtin_rules

FAR = builtin_rules()["far-25.101"]


def two_part_programme(us_price=100.0, tw_price=300.0, lanes=True, integration_country="US", rules=None,
                       plan=None, extra_sources=(), parts_extra=None):
    """2 × part 'a' from a US site, 1 × part 'b' from Taiwan (5% freight, 10% duty on the TW→US lane)."""
    from rackforge.sourcing.synthetic import make_programme

    parts = {"a": ("cabling", None), "b": ("networking", None), **(parts_extra or {})}
    items = [("a", 2), ("b", 1), *[(p, 1) for p in (parts_extra or {})]]
    return make_programme(
        parts=parts, designs={"rack": items},
        sites={"us": "US", "tw": "TW", "mx-int": "MX"},
        sources=[{"part": "a", "site": "us", "price_usd": us_price},
                 {"part": "b", "site": "tw", "price_usd": tw_price}, *extra_sources],
        trade=[{"origin": "TW", "destination": "US", "freight_rate": 0.05, "duty_rate": 0.10}] if lanes else [],
        build_plan=plan or {"2027Q1": {"rack": 10}},
        integration_site="us-integration" if integration_country == "US" else "mx-int",
        rules=rules,
    )


def year_row(prog, year=2027, sources="qualified", rule=None):
    table = programme_domestic_content(prog, rule=rule).by_year
    return table[(table["year"] == year) & (table["sources"] == sources)].iloc[0]


def test_transport_and_duty_are_part_of_component_cost():
    # domestic 2 × 100 = 200; Taiwan 300 + 5% freight 15 + 10% duty 30 = 345
    row = year_row(two_part_programme())
    assert row["domestic_content"] == pytest.approx(200 / 545)
    assert row["component_cost_per_rack_usd"] == pytest.approx(545)
    # a rule without transport and duty: 200 / 500
    bare = FAR.model_copy(update={"include_transport": False, "include_duty": False})
    assert year_row(two_part_programme(), rule=bare)["domestic_content"] == pytest.approx(0.4)
    # the source's own overrides win over the lane: freight 50 USD, duty 0
    prog = two_part_programme(extra_sources=[])
    src = prog.sources[1].model_copy(update={"freight_usd": 50.0, "duty_rate": 0.0})
    prog = prog.model_copy(update={"sources": (prog.sources[0], src)})
    assert year_row(prog)["domestic_content"] == pytest.approx(200 / (200 + 350))


def test_exactly_at_threshold_does_not_exceed_it():
    # 2027: FAR needs more than 65%. 2 × 32.5 = 65 domestic of 100 (no lane: no freight, no duty)
    row = year_row(two_part_programme(us_price=32.5, tw_price=35.0, lanes=False))
    assert row["domestic_content"] == pytest.approx(0.65)
    assert row["threshold"] == 0.65
    assert not row["meets_threshold"]
    assert row["meets_fallback"]  # 65% > 55%
    # one cent more domestic cost passes
    assert year_row(two_part_programme(us_price=32.51, tw_price=35.0, lanes=False))["meets_threshold"]
    # an 'at-least' rule passes exactly at the threshold
    at_least = FAR.model_copy(update={"comparison": "at-least"})
    assert year_row(two_part_programme(us_price=32.5, tw_price=35.0, lanes=False), rule=at_least)["meets_threshold"]


def test_fallback_only_until_2030():
    # 60% domestic: below 75% (2029 on), above the 55% fallback, which ends 1 Jan 2030
    prog = two_part_programme(us_price=30.0, tw_price=40.0, lanes=False,
                              plan={"2029Q4": {"rack": 1}, "2030Q1": {"rack": 1}})
    r2029, r2030 = year_row(prog, 2029), year_row(prog, 2030)
    assert r2029["domestic_content"] == pytest.approx(0.6) == r2030["domestic_content"]
    assert (r2029["threshold"], r2029["fallback_threshold"]) == (0.75, 0.55)
    assert not r2029["meets_threshold"] and r2029["meets_fallback"]
    assert r2030["fallback_threshold"] is None or np.isnan(r2030["fallback_threshold"])
    assert not r2030["meets_fallback"]
    assert [FAR.threshold_for(y) for y in (2022, 2023, 2024, 2028, 2029, 2035)] == [0.6, 0.6, 0.65, 0.65, 0.75, 0.75]


def test_unknown_origin_counts_as_foreign_or_is_excluded():
    # part 'c' has no source: costed at its reference price 100, of unknown origin
    prog = two_part_programme(lanes=False, parts_extra={"c": ("power", 100.0)})
    row = year_row(prog)
    assert row["domestic_content"] == pytest.approx(200 / (200 + 300 + 100))
    excluded = FAR.model_copy(update={"unknown_origin": "excluded"})
    assert year_row(prog, rule=excluded)["domestic_content"] == pytest.approx(200 / 500)


def test_end_product_must_be_made_in_the_us():
    prog = two_part_programme(us_price=1000.0, integration_country="MX")
    row = year_row(prog)
    assert row["domestic_content"] > 0.65
    assert row["end_product_country"] == "MX"
    assert not row["meets_threshold"] and not row["meets_fallback"]


def test_alternates_count_from_their_qualification_date():
    # part b: Taiwan qualified (planned share 0.6) + US alternate qualifying on 2027-07-01 (share 0.4)
    alt = {"part": "b", "site": "us", "price_usd": 300.0, "share": 0.4, "qualification": "qualifying",
           "qualified_date": dt.date(2027, 7, 1)}
    prog = two_part_programme(lanes=False, extra_sources=[alt],
                              plan={"2027Q2": {"rack": 1}, "2027Q3": {"rack": 3}})
    prog = prog.model_copy(update={"sources": (prog.sources[0], prog.sources[1].model_copy(update={"share": 0.6}),
                                               prog.sources[2])})
    q = programme_domestic_content(prog).by_quarter.set_index(["sources", "quarter"])["domestic_content"]
    assert q[("qualified", "2027Q2")] == pytest.approx(200 / 500)
    assert q[("qualified", "2027Q3")] == pytest.approx(200 / 500)
    assert q[("alternates", "2027Q2")] == pytest.approx(200 / 500)  # not yet qualified on 1 April
    assert q[("alternates", "2027Q3")] == pytest.approx((200 + 120) / 500)
    # the year weighs quarters by racks built: (1 × 200 + 3 × 320) / (4 × 500)
    assert year_row(prog, sources="alternates")["domestic_content"] == pytest.approx((200 + 3 * 320) / 2000)


def test_share_resolution_rules():
    part = np.array([0, 0, 0, 1, 1, 2])
    planned = np.array([0.5, np.nan, np.nan, 0.3, 0.3, np.nan])
    active = np.array([True, True, True, True, False, False])
    shares = resolve_order_shares(part, planned, active, 3)
    # part 0: 0.5 kept, two open sources split the remaining 0.5; part 1: only active one -> 1.0; part 2: none
    assert shares.tolist() == pytest.approx([0.5, 0.25, 0.25, 1.0, 0.0, 0.0])


def test_rvc_formula_and_builtin_rules():
    # RVC = (TV − VNM)/TV with TV = 1.1 C: D = 40, C = 100 -> (40 + 10) / 110
    assert content_share(40.0, 100.0, 0.1) == pytest.approx(50 / 110)
    rules = builtin_rules()
    assert set(rules) >= {"far-25.101", "ira-adjusted-percentage", "usmca-rvc-tv"}
    usmca = rules["usmca-rvc-tv"]
    # Mexico counts as originating under the regional rule: a Mexican source lifts RVC
    prog = two_part_programme(lanes=False, extra_sources=[])
    mx = prog.sources[1].model_copy(update={"site": "mx-int"})
    prog = prog.model_copy(update={"sources": (prog.sources[0], mx)})
    row = year_row(prog, rule=usmca)
    assert row["domestic_content"] == pytest.approx(1.0)
    assert rules["ira-adjusted-percentage"].threshold_for(2026) == 0.5
    assert rules["ira-adjusted-percentage"].passes(0.5, 0.5)


def test_rules_section_loads_from_a_programme_file(tmp_path):
    (tmp_path / "rules.yaml").write_text("rules:\n  domestic_content: far-25.10\n")
    with pytest.raises(InputError) as err:
        load_programme(tmp_path, builtin_catalog=False)
    text = str(err.value)
    assert "rules.yaml:2" in text and "did you mean 'far-25.101'" in text
    assert Rules.model_validate({"domestic_content": "usmca-rvc-tv"}).rule.method == "regional-value-content"
    custom = Rules.model_validate({"domestic_content": {
        "id": "my-rule", "name": "mine", "source": "estimate: an internal target for this test",
        "thresholds": [{"from_year": 2025, "threshold": "50 %"}], "comparison": "at-least"}})
    assert custom.rule.threshold_for(2026) == 0.5


def test_linear_coefficients_reproduce_the_calculator():
    prog = two_part_programme(extra_sources=[{"part": "b", "site": "us", "price_usd": 320.0}])
    s = BomStructure.from_catalog(prog.catalog)
    net = SupplyView.from_programme(prog, s.part_ids)
    calc = DomesticContentCalculator.build(s, net, FAR)
    x = net.order_shares(dt.date(2027, 1, 1), SourceMode.QUALIFIED)
    dom, tot = calc.evaluate(x)
    domestic, total = calc.content_coefficients().per_rack(x)
    assert total[0] == pytest.approx(tot[0]) and domestic[0] == pytest.approx(dom[0])


@settings(max_examples=40, deadline=None)
@given(prices=st.lists(st.floats(1.0, 1e4), min_size=3, max_size=3),
       us_share=st.floats(0.0, 1.0), scale=st.floats(0.1, 100.0))
def test_invariants_bounds_scaling_and_monotonicity(prices, us_share, scale):
    """Content stays in [0, 1], does not change when every price scales, and never falls when
    more of a part moves to a US source."""
    part = np.array([0, 0, 1])
    cost = np.array(prices)
    dom_flag = np.array([True, False, False])
    q = np.array([[2, 3]])

    def share(x: float, c: np.ndarray) -> float:
        from rackforge.sourcing.domestic import part_origin_cost_usd, rack_origin_cost_usd

        d, k, u = part_origin_cost_usd(part, np.array([x, 1 - x, 1.0]), c, dom_flag, np.zeros(2))
        dd, cc = rack_origin_cost_usd(q, d, k, u)
        return float(content_share(dd, cc)[0])

    base = share(us_share, cost)
    assert 0.0 <= base <= 1.0
    assert share(us_share, cost * scale) == pytest.approx(base, rel=1e-9, abs=1e-12)
    assert share(min(1.0, us_share + 0.1), cost) >= base - 1e-12


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 4), st.one_of(st.none(), st.floats(0.0, 1.0)), st.booleans()),
                min_size=1, max_size=20))
def test_resolved_shares_sum_to_one_per_part_with_a_counting_source(rows):
    part = np.array([r[0] for r in rows])
    planned = np.array([np.nan if r[1] is None else r[1] for r in rows])
    active = np.array([r[2] for r in rows])
    shares = resolve_order_shares(part, planned, active, 5)
    assert (shares >= 0).all() and (shares[~active] == 0).all()
    for p in range(5):
        total = shares[part == p].sum()
        assert total == pytest.approx(1.0 if active[part == p].any() else 0.0)


def test_builtin_and_custom_rules_validate_against_the_file_schema():
    import jsonschema
    import yaml

    from rackforge.cli.schema_cmd import programme_file_schema
    from rackforge.sourcing.rules import RULES_DIR

    validator = jsonschema.Draft202012Validator(programme_file_schema())
    assert not list(validator.iter_errors({"rules": {"domestic_content": "far-25.101", "compare": ["usmca-rvc-tv"]}}))
    for path in RULES_DIR.glob("*.yaml"):
        rule = json_ready(yaml.safe_load(path.read_text())["rule"])
        assert not list(validator.iter_errors({"rules": {"domestic_content": rule}})), path.name
    assert list(validator.iter_errors({"rules": {"domestic_content": {"id": "x", "thresholds": [], "bogus": 1}}}))


def json_ready(data):
    import json

    return json.loads(json.dumps(data, default=str))
