"""The reference programme against a plain-Python re-implementation of the domestic-content rule.

The production code is vectorised (matrices over source rows and part types); this test walks the
model objects record by record, as a reader of FAR 25.101 would, and must agree for every planned
design, quarter and source view.
"""

from __future__ import annotations

import datetime as dt

import pytest

from rackforge.calendar import quarter_start
from rackforge.core.bom import explode
from rackforge.io.loader import load_programme
from rackforge.schema import Programme, Qualification
from rackforge.sourcing.analysis import analyse_sourcing


@pytest.fixture(scope="module")
def reference() -> Programme:
    return load_programme(None)


def counts(source, when: dt.date, view: str, programme: Programme) -> bool:
    site = programme.catalog.sites[source.site]
    if site.operational_from is not None and site.operational_from > when:
        return False
    if view == "qualified" and source.qualification is not Qualification.QUALIFIED:
        return False
    if source.qualification is Qualification.DISQUALIFIED:
        return False
    if source.qualification is not Qualification.QUALIFIED:
        return source.qualified_date is not None and source.qualified_date <= when
    return source.qualified_date is None or source.qualified_date <= when


def shares_of(sources, when, view, programme) -> dict[int, float]:
    active = [i for i, s in enumerate(sources) if counts(s, when, view, programme)]
    given = {i: sources[i].share for i in active if sources[i].share is not None}
    open_ = [i for i in active if sources[i].share is None]
    rest = max(0.0, 1.0 - sum(given.values()))
    raw = {**given, **{i: rest / len(open_) for i in open_}}
    total = sum(raw.values())
    if total > 0:
        return {i: v / total for i, v in raw.items()}
    return {i: 1.0 / len(active) for i in active}


def by_hand(programme: Programme, design: str, quarter: str, view: str) -> tuple[float, float]:
    """(domestic, total) component cost of one rack [USD]: price + freight + duty, unknown origin foreign."""
    when = quarter_start(quarter)
    dest = programme.integration_site.country
    lanes = {(t.origin, t.destination): t for t in programme.trade}
    domestic = total = 0.0
    for part, qty in explode(programme.catalog, design).items():
        sources = programme.sources_by_part.get(part, ())
        shares = shares_of(sources, when, view, programme)
        covered = 0.0
        for i, share in shares.items():
            s = sources[i]
            country = programme.catalog.sites[s.site].country
            lane = lanes.get((country, dest))
            freight = s.freight_usd if s.freight_usd is not None else s.price_usd * (lane.freight_rate if lane else 0)
            duty_rate = s.duty_rate if s.duty_rate is not None else (lane.duty_rate if lane else 0.0)
            cost = s.price_usd + freight + s.price_usd * duty_rate
            total += qty * share * cost
            covered += share
            if country == "US":
                domestic += qty * share * cost
        if covered < 1 - 1e-12:
            ref = programme.catalog.parts[part].reference_price_usd
            if ref is None:
                costs = []
                for s in sources:
                    lane = lanes.get((programme.catalog.sites[s.site].country, dest))
                    f = s.freight_usd if s.freight_usd is not None else s.price_usd * (lane.freight_rate if lane else 0)
                    d = s.duty_rate if s.duty_rate is not None else (lane.duty_rate if lane else 0.0)
                    costs.append(s.price_usd + f + s.price_usd * d)
                ref = sum(costs) / len(costs) if costs else 0.0
            total += qty * (1 - covered) * ref
    return domestic, total


def test_vectorised_domestic_content_matches_a_record_by_record_walk(reference):
    analysis = analyse_sourcing(reference)
    table = analysis.domestic.by_quarter
    assert len(table) == 2 * len(reference.build_plan.designs) * len(reference.build_plan.quarter_list)
    for row in table.itertuples():
        domestic, total = by_hand(reference, row.design, row.quarter, row.sources)
        assert row.component_cost_per_rack_usd == pytest.approx(total, rel=1e-9)
        assert row.domestic_cost_per_rack_usd == pytest.approx(domestic, rel=1e-9, abs=1e-6)
        assert row.domestic_content == pytest.approx(domestic / total, rel=1e-9, abs=1e-12)


def test_reference_figures_are_consistent(reference):
    analysis = analyse_sourcing(reference)
    data = analysis.to_json()
    assert data["rule"]["id"] == "far-25.101"
    assert {d["design"] for d in data["designs"]} == set(reference.build_plan.designs)
    for d in data["designs"]:
        # the BOM's cost per rack equals the flat BOM lines and the category roll-up
        bom = analysis.bom(d["design"])
        cats = analysis.cost_by_category(d["design"])
        assert bom["cost_per_rack_usd"].sum() == pytest.approx(d["cost_per_rack_usd"], rel=1e-9)
        assert cats["cost_per_rack_usd"].sum() == pytest.approx(d["cost_per_rack_usd"], rel=1e-9)
        for y in d["years"]:
            assert 0.0 <= y["domestic_content"] <= 1.0
            assert y["threshold"] == (0.65 if y["year"] < 2029 else 0.75)
            assert y["meets_threshold"] == (y["domestic_content"] > y["threshold"])
    # exposure shares of each design sum to 1
    exposure = analysis.country_exposure
    sums = exposure.groupby(["design", "sources"])["share_of_rack_value"].sum()
    assert sums.to_numpy() == pytest.approx(1.0)
