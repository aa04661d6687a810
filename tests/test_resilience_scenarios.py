"""The scenarios: section (scenario library): loading, units, cross-references with file and line,
the reference library's sources, and the Monte Carlo built from a programme."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rackforge.core.bom import explode
from rackforge.errors import InputError
from rackforge.io.loader import load_programme
from rackforge.resilience.scenarios import check_scenarios
from rackforge.schema.scenarios import DisruptionEvent, ScenarioLibrary


@pytest.fixture(scope="module")
def reference():  # type: ignore[no-untyped-def]
    return load_programme(None)


def write(folder: Path, text: str) -> Path:
    path = folder / "scenarios.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_reference_library_is_typed_and_every_figure_has_a_source(reference) -> None:  # type: ignore[no-untyped-def]
    lib = reference.scenarios
    assert isinstance(lib, ScenarioLibrary)
    ids = {e.id for e in lib.events}
    assert {"taiwan-strait", "fab-earthquake", "export-control-optics-cn", "port-closure-houston",
            "supplier-failure-vertiv", "us-ramp-delay"} <= ids
    for record in (*lib.events, *lib.stock, *lib.recovery, lib.lead_time, lib.safety_stock):
        assert record is not None and (record.source.startswith("estimate:") or "http" in record.source
                                       or len(record.source) > 20)
    assert not check_scenarios(reference)


def test_probability_over_the_plan_horizon() -> None:
    event = DisruptionEvent.model_validate({
        "id": "x", "name": "x", "annual_probability": 0.02, "duration": "3 months",
        "affects": {"countries": ["TW"]}, "source": "estimate: a test value"})
    # two years: 1 − 0.98² = 0.0396
    assert event.horizon_probability(2 * 52.1775) == pytest.approx(0.0396)
    assert event.duration.mean_weeks == pytest.approx(3 * 52.1775 / 12)


def test_bad_event_is_reported_with_file_and_line(mini: Path) -> None:
    path = write(mini, """\
scenarios:
  events:
    - id: both
      name: both probabilities
      annual_probability: 0.1
      probability: 0.2
      duration: 2 weeks
      affects: {countries: [TW]}
      source: "estimate: test event with two probabilities"
    - id: muddled
      name: muddled duration and no target
      probability: 0.2
      duration: {low_weeks: 4, mode_weeks: 2, high_weeks: 8}
      affects: {}
      source: "estimate: test event with mistakes"
    - id: units
      name: wrong unit
      probability: 0.2
      duration: 3 kg
      affects: {countries: [TW]}
      source: "estimate: test event with a wrong unit"
""")
    with pytest.raises(InputError) as info:
        load_programme(mini)
    text = info.value.render()
    assert f"{path}:3" in text and "exactly one of annual_probability" in text
    assert f"{path}:13" in text and "low_weeks ≤ mode_weeks" in text
    assert f"{path}:14" in text and "give at least one of sites" in text
    assert f"{path}:19" in text and "not a unit of this quantity" in text


def test_unknown_references_are_reported_where_they_are(mini: Path) -> None:
    path = write(mini, """\
scenarios:
  events:
    - id: quake
      name: quake
      annual_probability: 0.1
      duration: 2 weeks
      affects: {sites: [mini-acme-hsinchuu]}
      source: "estimate: test event with a typo"
  stock:
    - {ref: mini-gpu-board, site: mini-acme-austin, on_hand_units: 3, source: "estimate: test stock at a wrong site"}
""")
    with pytest.raises(InputError) as info:  # found on loading, so 'rackforge check' reports it
        load_programme(mini)
    rendered = [p.render() for p in info.value.problems]
    assert any(f"{path}:7" in r and "mini-acme-hsinchu" in r and "did you mean" in r for r in rendered)
    assert any(f"{path}:10" in r and "no source of 'mini-gpu-board' at 'mini-acme-austin'" in r for r in rendered)


def test_simulation_model_from_the_reference_programme(reference) -> None:  # type: ignore[no-untyped-def]
    from rackforge.resilience.montecarlo import simulation_model

    m = simulation_model(reference)
    periods, designs, parts, _ = m.shape
    assert periods == len(reference.build_plan.quarter_list) and designs == 4
    # bill of materials equals the catalog's explosion
    for d, design in enumerate(m.designs):
        exploded = explode(reference.catalog, design)
        assert {m.parts[k]: m.bom[d, k] for k in np.flatnonzero(m.bom[d])} == exploded
    # shares sum to one over each part's shipping sources, every quarter
    totals = np.zeros((periods, parts))
    np.add.at(totals, (slice(None), m.source_part), m.share)
    assert np.allclose(totals[m.need > 0], 1.0)
    # the Taiwan event hits exactly the sources in Taiwan
    tw = next(e for e in m.events if e.id == "taiwan-strait")
    in_taiwan = {i for i, s in enumerate(m.sources)
                 if reference.catalog.sites[s.split("@")[1]].country == "TW"}
    assert set(tw.sources) == in_taiwan
    ramp = next(e for e in m.events if e.id == "us-ramp-delay")
    assert ramp.kind == "ramp_delay" and 0 < ramp.probability <= 1


def test_expected_shortfall_responds_to_the_sourcing_mix(reference) -> None:  # type: ignore[no-untyped-def]
    """All 12-high HBM3e from Micron Taichung (51,000 a quarter for a 69,120+ need) must fall short
    more than the programme's own split, on the same random numbers."""
    from rackforge.resilience.montecarlo import expected_shortfall, simulation_model

    model = simulation_model(reference)
    base = expected_shortfall(reference, scenarios=400, seed=4, model=model)
    narrow = expected_shortfall(reference, {"hbm3e-12hi-36gb@micron-taichung": 1.0}, scenarios=400, seed=4,
                                model=model)
    assert narrow.expected_value_short_usd > base.expected_value_short_usd
    assert sum(narrow.expected_racks_short.values()) > sum(base.expected_racks_short.values())
    again = expected_shortfall(reference, scenarios=400, seed=4, model=model)
    assert again == base


def test_schema_accepts_both_forms_of_a_duration() -> None:
    import jsonschema

    from rackforge.cli.schema_cmd import programme_file_schema

    validator = jsonschema.Draft202012Validator(programme_file_schema())
    event = {"id": "x", "name": "x", "probability": 0.1, "affects": {"countries": ["TW"]},
             "source": "estimate: a test value"}
    for duration in (12, "3 months", {"low_weeks": 1, "mode_weeks": 2, "high_weeks": 4}):
        assert not list(validator.iter_errors({"scenarios": {"events": [{**event, "duration": duration}]}}))
    bad = {"scenarios": {"events": [{**event, "duration": {"low_weeks": 1}}]}}
    assert list(validator.iter_errors(bad))
