"""The early-access evaluation end to end: scores against a hand calculation, options, decisions,
located input errors, and the ``rackforge evaluate`` command."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from rackforge.cli import cli
from rackforge.errors import InputError, UsageError
from rackforge.evaluate.analysis import evaluate
from rackforge.io.loader import load_programme

DATA = Path(__file__).parent / "data"


@pytest.fixture
def evalmini(tmp_path: Path) -> Path:
    """The mini programme plus two test designs and an evaluations section."""
    dest = tmp_path / "evalmini"
    shutil.copytree(DATA / "mini", dest)
    for f in (DATA / "evaluate").glob("*.yaml"):
        shutil.copy(f, dest / f.name)
    return dest


def _tco_per_gpu_hour(capital: float, power_w: float, gpus: int) -> float:
    """Hand TCO: 5 years, 0.08 USD/kWh, PUE 1.2, 40 USD/kW-year cooling, 8%/year maintenance."""
    energy = power_w / 1000 * 8760 * 0.08 * 5
    return (capital + energy * 1.2 + 40 * power_w / 1000 * 5 + 0.08 * capital * 5) / (gpus * 8760 * 5)


@pytest.fixture
def no_engineering(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rack power from the parts (Σ power × utilisation / chain efficiency), as without the engineering model."""
    import rackforge.evaluate.criteria as criteria

    monkeypatch.setattr(criteria, "engineering_power_w", lambda *_args: None)


def test_scores_match_a_hand_calculation(evalmini: Path, no_engineering: None) -> None:
    result = evaluate(load_programme(evalmini))
    perf = {"sys-a": 10_000 / (8 * 2700), "sys-b": 12_000 / (12 * 2700 / 0.97), "sys-c": 12_000 / (12 * 2700 / 0.97)}
    bom_b = 12 * 60_000 + 24 * 300 + 2 * 9_000
    tco = {"sys-a": _tco_per_gpu_hour(600_000, 8 * 2700 * 0.8, 16),
           "sys-b": _tco_per_gpu_hour(bom_b, 12 * 2700 * 0.7 / 0.97, 24),
           "sys-c": _tco_per_gpu_hour(700_000, 12 * 2700 * 0.7 / 0.97, 24)}
    yield_ = {"sys-a": 0.90, "sys-b": 0.95, "sys-c": 0.85}
    risk = {"sys-a": 0.3, "sys-b": 0.2, "sys-c": 0.5}

    def mm(values: dict[str, float], higher: bool) -> dict[str, float]:
        lo, hi = min(values.values()), max(values.values())
        return {k: (v - lo) / (hi - lo) if higher else (hi - v) / (hi - lo) for k, v in values.items()}

    n_perf, n_tco, n_yield, n_risk = mm(perf, True), mm(tco, False), mm(yield_, True), mm(risk, False)
    expected = {s: 0.3 * n_perf[s] + 0.3 * n_tco[s] + 0.2 * n_yield[s] + 0.2 * n_risk[s] for s in perf}
    got = {s.id: s.score for s in result.systems}
    assert got == pytest.approx(expected)
    assert [s.id for s in result.systems] == sorted(expected, key=lambda s: -expected[s])
    by_id = {s.id: s for s in result.systems}
    assert by_id["sys-a"].raw["tco_per_gpu_hour"] == pytest.approx(tco["sys-a"])
    assert by_id["sys-a"].origin["test_yield"] == "data"
    assert by_id["sys-a"].origin["performance_per_watt"].startswith("computed")


def test_power_comes_from_the_engineering_model_when_installed(evalmini: Path) -> None:
    pytest.importorskip("rackforge.engineering.design_checks")
    from rackforge.engineering.design_checks import check_rack_design

    programme = load_programme(evalmini)
    result = evaluate(programme)
    for s in result.systems:
        m = check_rack_design(programme.catalog.designs[s.design], programme.catalog, programme.facility).metrics
        assert s.tco.it_power_w == pytest.approx(m["rack_input_kw"] * 1000 * m["it_power_at_utilisation_kw"]
                                                 / m["it_power_kw"])
        pflops = programme.catalog.designs[s.design].performance.fp8_pflops  # type: ignore[union-attr]
        assert s.raw["performance_per_watt"] == pytest.approx(pflops * 1000 / (m["rack_input_kw"] * 1000))


def test_sensitivity_flips_are_real(evalmini: Path) -> None:
    result = evaluate(load_programme(evalmini))
    top = result.top.id
    used = result.used_criteria
    rows = {s.id: s for s in result.systems}
    for sens in result.sensitivity:
        for new_weight, new_top in ((sens.raise_to, sens.raise_new_top), (sens.lower_to, sens.lower_new_top)):
            if new_weight is None:
                continue
            step = 1e-6 if new_weight > sens.weight else -1e-6
            t = new_weight + step
            rest = 1 - sens.weight
            weights = {c.id: (t if c.id == sens.criterion else c.weight * (1 - t) / rest) for c in used}
            scores = {s: sum(weights[c] * rows[s].normalised[c] for c in weights) for s in rows}
            assert max(scores, key=lambda s: scores[s]) == new_top != top


def test_options_and_decisions(evalmini: Path) -> None:
    result = evaluate(load_programme(evalmini))
    status = {o.system: o for o in result.options}
    assert status["sys-a"].status == "deferred" and status["sys-a"].days_to_deadline == 17  # Jan 15 -> Feb 1
    assert status["sys-b"].status == "open"
    assert status["sys-c"].status == "lapsed"
    assert any("sys-a" in n and "17 days" in n for n in result.notes)
    later = evaluate(load_programme(evalmini), as_of=dt.date(2027, 3, 1))
    assert {o.system: o.status for o in later.options}["sys-a"] == "lapsed"


def test_exercising_a_system_that_does_not_rank_first_is_noted(evalmini: Path) -> None:
    path = evalmini / "evaluations.yaml"
    path.write_text(path.read_text() + "    - {system: sys-c, action: exercise, date: 2027-01-12, by: T. Tester,\n"
                                       "       rationale: price agreed before the deadline lapsed}\n")
    result = evaluate(load_programme(evalmini))
    assert {o.system: o.status for o in result.options}["sys-c"] == "exercised"
    assert any("after the deadline" in n for n in result.notes)
    assert any("exercised on sys-c" in n for n in result.notes)


def test_criterion_without_values_is_left_out_with_a_note(evalmini: Path) -> None:
    path = evalmini / "evaluations.yaml"
    path.write_text(path.read_text().replace("- {id: risk, weight: 2}", "- {id: risk, weight: 2}\n"
                                             "    - {id: readiness, weight: 5}"))
    result = evaluate(load_programme(evalmini))
    readiness = next(c for c in result.criteria if c.id == "readiness")
    assert not readiness.used and readiness.weight == 0
    assert sum(c.weight for c in result.used_criteria) == pytest.approx(1.0)
    assert any("readiness" in n for n in result.notes)


def test_unknown_design_and_decision_system_are_located(evalmini: Path) -> None:
    path = evalmini / "evaluations.yaml"
    text = path.read_text().replace("design: eval-b\n      vendor: Other", "design: eval-bb\n      vendor: Other")
    text = text.replace("- system: sys-a", "- system: sys-x")
    path.write_text(text)
    with pytest.raises(InputError) as err:
        evaluate(load_programme(evalmini))
    rendered = err.value.render()
    lines = path.read_text().splitlines()
    design_line = next(i for i, ln in enumerate(lines, 1) if "eval-bb" in ln)
    system_line = next(i for i, ln in enumerate(lines, 1) if "sys-x" in ln)
    assert f"evaluations.yaml:{design_line}: evaluations.systems[2].design" in rendered
    assert "did you mean 'eval-b'" in rendered
    assert f"evaluations.yaml:{system_line}: evaluations.decisions[0].system" in rendered


def test_schema_errors_in_the_section_come_from_the_loader(evalmini: Path) -> None:
    path = evalmini / "evaluations.yaml"
    path.write_text(path.read_text().replace("action: defer", "action: postpone"))
    with pytest.raises(InputError) as err:
        load_programme(evalmini)
    assert "decisions[0].action" in err.value.render()


def test_programme_without_evaluations_is_a_usage_error(mini: Path) -> None:
    with pytest.raises(UsageError, match="evaluations"):
        evaluate(load_programme(mini))


def test_cli_json_prints_only_json(evalmini: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "rackforge", "evaluate", str(evalmini), "--json"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    scores = [s["score"] for s in data["systems"]]
    assert scores == sorted(scores, reverse=True)
    assert data["ranking"][0] == data["top"]
    assert sum(c["weight"] for c in data["criteria"]) == pytest.approx(1.0)


def test_cli_table_and_exit_codes(evalmini: Path, mini: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["evaluate", str(evalmini), "--as-of", "2027-01-20"])
    assert result.exit_code == 0, result.output
    assert "Scorecards" in result.output and "What flips the top choice" in result.output
    assert re.search(r"sys-a\s*│\s*2027-02-01\s*│\s*12\s*│", result.output)  # days left on 2027-01-20
    bad = subprocess.run([sys.executable, "-m", "rackforge", "evaluate", str(mini)],
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "evaluations" in bad.stderr and "Traceback" not in bad.stderr


def test_reference_programme_evaluation_uses_every_criterion() -> None:
    programme = load_programme(None)
    result = evaluate(programme)
    assert all(c.used for c in result.criteria)
    for s in result.systems:
        assert s.origin["performance_per_watt"].startswith("computed")
        assert s.origin["tco_per_gpu_hour"].startswith("computed")
        assert s.origin["domestic_content"].startswith("computed")
        assert 0 <= s.raw["domestic_content"] <= 1
    # systems with an agreed price per rack are costed at it, the others from the bill of materials
    ev = programme.evaluations
    assert ev is not None
    for system in ev.systems:
        tco = next(s.tco for s in result.systems if s.id == system.id)
        priced = system.option is not None and system.option.price_per_rack_usd is not None
        assert tco.capital_basis == ("option-price" if priced else "bom")
        # every stated figure carries a source or a reasoned estimate
        assert system.source
