"""HHI, single-source/-country parts, country exposure and lead-time paths against hand values."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rackforge.sourcing.analysis import analyse_sourcing
from rackforge.sourcing.concentration import grouped_hhi, hhi
from rackforge.sourcing.synthetic import make_programme


def test_hhi_known_values():
    assert hhi([1.0]) == pytest.approx(10_000)
    for n in range(1, 9):
        assert hhi([1.0 / n] * n) == pytest.approx(10_000 / n)
    assert hhi([0.5, 0.3, 0.2]) == pytest.approx(50**2 + 30**2 + 20**2)
    assert hhi([5, 3, 2]) == pytest.approx(3800)  # weights in any unit
    assert np.isnan(hhi([0, 0]))


def test_grouped_hhi_pools_rows_of_one_group():
    # part 0: two sites of one supplier (0.5 + 0.5) -> single supplier; part 1: four equal suppliers
    owner = np.array([0, 0, 1, 1, 1, 1])
    group = np.array([7, 7, 1, 2, 3, 4])
    share = np.array([0.5, 0.5, 0.25, 0.25, 0.25, 0.25])
    assert grouped_hhi(owner, group, share, 3)[:2].tolist() == pytest.approx([10_000, 2_500])
    assert np.isnan(grouped_hhi(owner, group, share, 3)[2])


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(0.01, 100.0), min_size=1, max_size=12))
def test_hhi_bounds(weights):
    """10,000/n ≤ HHI ≤ 10,000 for n positive shares."""
    value = hhi(weights)
    assert 10_000 / len(weights) - 1e-6 <= value <= 10_000 + 1e-6


def exposure_programme():
    """One rack: 1 × gpu (Taiwan 70% at 1000 USD, US 30% at 1000 USD), 2 × cable (Mexico only, 50 USD),
    1 × bracket (two Taiwanese suppliers), 1 × psu (no source, reference price 100). Lead times differ."""
    return make_programme(
        parts={"gpu": ("compute", None), "cable": ("cabling", None), "bracket": ("mechanical", None),
               "psu": ("power", 100.0)},
        assemblies={"tray": [("gpu", 1), ("bracket", 1)]},
        designs={"rack": [("tray", 1), ("cable", 2), ("psu", 1)]},
        sites={"tw1": "TW", "tw2": "TW", "us1": "US", "mx1": "MX"},
        sources=[
            {"part": "gpu", "site": "tw1", "price_usd": 1000.0, "share": 0.7, "lead_time_weeks": 26},
            {"part": "gpu", "site": "us1", "price_usd": 1000.0, "share": 0.3, "lead_time_weeks": 30},
            {"part": "cable", "site": "mx1", "price_usd": 50.0, "lead_time_weeks": 4},
            {"part": "bracket", "site": "tw1", "price_usd": 10.0, "lead_time_weeks": 2},
            {"part": "bracket", "site": "tw2", "price_usd": 10.0, "lead_time_weeks": 3,
             "qualification": "planned", "qualified_date": dt.date(2027, 6, 1)},
        ],
        build_plan={"2027Q1": {"rack": 1}, "2027Q4": {"rack": 1}},
    )


def test_country_exposure_and_single_source_parts():
    a = analyse_sourcing(exposure_programme())
    q = a.country_exposure[a.country_exposure["sources"] == "qualified"].set_index("country")
    total = 1000 + 100 + 10 + 100
    assert q["cost_per_rack_usd"].to_dict() == pytest.approx({"TW": 710.0, "US": 300.0, "MX": 100.0,
                                                             "unknown": 100.0})
    assert q.loc["TW", "share_of_rack_value"] == pytest.approx(710 / total)
    parts = a.parts[a.parts["sources"] == "qualified"].set_index("part")
    assert parts.loc["gpu", "hhi_supplier"] == pytest.approx(70**2 + 30**2)
    assert parts.loc["bracket", "hhi_supplier"] == pytest.approx(10_000)
    assert bool(parts.loc["psu", "unsourced"])
    single = set(a.single_source_parts()["part"])
    assert single == {"cable", "bracket", "psu"}
    # the bracket's planned second supplier is counted from its date
    assert parts.loc["bracket", "alternate_from"] == dt.date(2027, 6, 1)
    alternates = a.parts[a.parts["sources"] == "alternates"].set_index("part")
    assert alternates.loc["bracket", "hhi_supplier"] == pytest.approx(5_000)
    assert alternates.loc["bracket", "hhi_country"] == pytest.approx(10_000)  # both in Taiwan
    assert {"bracket", "cable"} <= set(a.single_country_parts("alternates")["part"])
    data = a.to_json()
    by_part = {p["part"]: p for p in data["single_source_parts"]}
    assert by_part["bracket"]["single_source_with_alternates"] is False
    assert by_part["cable"]["single_source_with_alternates"] is True
    # category concentration: compute spend 700 TW / 300 US by supplier
    cat = a.category_concentration.set_index(["sources", "category"])
    assert cat.loc[("qualified", "compute"), "hhi_country"] == pytest.approx(70**2 + 30**2)


def test_longest_lead_time_paths():
    a = analyse_sourcing(exposure_programme())
    paths = a.lead_time_paths
    # the gpu uses both sources: the longer (30 weeks, no lane so no transit) sets its lead time
    assert paths.iloc[0][["path", "part", "lead_time_weeks"]].tolist() == ["tray/gpu", "gpu", 30.0]
    assert paths["path"].tolist() == ["tray/gpu", "cable"]  # psu has no source, so no lead time


def test_json_has_the_documented_fields():
    data = analyse_sourcing(exposure_programme()).to_json()
    year = data["designs"][0]["years"][0]
    for key in ("domestic_content", "threshold", "meets_threshold", "by_category"):
        assert key in year
    assert 0.0 <= year["domestic_content"] <= 1.0
    assert year["domestic_content"] == pytest.approx(300 / 1210, abs=1e-6)
    assert set(year["by_category"]) == {"compute", "cabling", "mechanical", "power"}
    assert year["by_category"]["compute"] == pytest.approx(0.3)
    assert {"single_source_parts", "country_exposure"} <= set(data)
    tw = next(e for e in data["country_exposure"] if e["country"] == "TW")
    assert tw["share_of_rack_value"] == pytest.approx(710 / 1210, abs=1e-6)
