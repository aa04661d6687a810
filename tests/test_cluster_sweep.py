"""``rackforge sweep``: the spec's errors, row inputs, per-row errors, resume, sensitivity indices
checked against analytic values, and ``--cluster`` errors (all in one process)."""

from __future__ import annotations

import builtins
import json
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

from rackforge.cli import cli
from rackforge.cluster.inputs import current_value, options_from, with_inputs
from rackforge.cluster.sensitivity import analyse, ishigami, ishigami_indices, sample
from rackforge.cluster.sweep import design_rows, load_spec, read_checkpoint, run_rows
from rackforge.core.parallel import running_on
from rackforge.errors import InputError
from rackforge.io.loader import load_programme

REFERENCE = Path(__file__).resolve().parents[1] / "src" / "rackforge" / "reference"


@pytest.fixture(scope="module")
def programme() -> Any:
    return load_programme(None)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "spec.yaml"
    path.write_text(text)
    return path


STRESS_SPEC = """\
sweep:
  inputs:
    - field: sources[nvidia-b300-gpu@amkor-peoria].capacity_per_quarter
      range: [1000, 9000]
      steps: 3
    - field: factory.stations[burn-in-bay].count
      values: [4, -1]
  run:
    stress: {}
  outputs:
    - stress.exposed
"""


def test_spec_errors_name_file_line_and_field(tmp_path: Path, programme: Any) -> None:
    bad = write(tmp_path, "sweep:\n  inputs:\n    - field: build_plan.scale\n      values: [1]\n      steps: 1\n"
                          "  run: {simulate: {}}\n  outputs: [simulate.summary.x]\n")
    with pytest.raises(InputError) as info:
        load_spec(bad, programme)
    assert info.value.problems[0].line == 5 and "steps" in info.value.problems[0].field
    unknown = write(tmp_path, "sweep:\n  inputs:\n    - field: scenarios.events[no-such-event].probability\n"
                              "      values: [0.1]\n  run: {simulate: {}}\n  outputs: [simulate.summary.x]\n")
    with pytest.raises(InputError) as info:
        load_spec(unknown, programme)
    problem = info.value.problems[0]
    assert (problem.line, problem.field) == (3, "sweep.inputs[0].field")
    assert "no-such-event" in problem.message and "taiwan-strait" in problem.message  # names what is there
    dates = write(tmp_path, "sweep:\n  inputs:\n    - field: build_plan.scale\n      range: [1, tomorrow]\n"
                            "  run: {simulate: {}}\n  outputs: [simulate.summary.x]\n")
    with pytest.raises(InputError, match="ISO date") as info:
        load_spec(dates, programme)
    assert info.value.problems[0].line == 4
    loose = write(tmp_path, "sweep:\n  design: sobol\n  inputs:\n    - field: build_plan.scale\n      values: [1]\n"
                            "  run: {simulate: {}}\n  outputs: [stress.x]\n")
    with pytest.raises(InputError, match="stress"):
        load_spec(loose, programme)


def test_row_inputs_set_the_named_fields_only(programme: Any) -> None:
    changed = with_inputs(programme, {"build_plan.scale": 0.8,
                                      "sources[nvidia-b300-gpu@amkor-peoria].capacity_per_quarter": 5000,
                                      "factory.stations[burn-in-bay].count": 9.0})
    assert changed.build_plan.quarters["2027Q1"] == {"gb200-nvl72": 32, "gb300-nvl72": 96,
                                                     "hgx-b200-air": 13}  # 40, 120, 16 × 0.8 (12.8 → 13)
    assert current_value(changed, "sources[nvidia-b300-gpu@amkor-peoria].capacity_per_quarter") == 5000
    assert current_value(changed, "factory.stations[burn-in-bay].count") == 9   # whole stations
    assert changed.scenarios == programme.scenarios and changed.catalog is programme.catalog
    assert current_value(programme, "factory.stations[burn-in-bay].count") == 6  # the original is untouched
    dated = with_inputs(programme, {"sources[nvidia-b300-gpu@amkor-peoria].qualified_date": "2027-10-01",
                                    "optimize.domestic_target": 0.6})
    assert str(current_value(dated, "sources[nvidia-b300-gpu@amkor-peoria].qualified_date")) == "2027-10-01"
    assert options_from({"optimize.domestic_target": 0.6, "build_plan.scale": 1.0}) == {
        "optimize": {"domestic_target": 0.6}}
    with pytest.raises(InputError, match="greater than 0") as info:
        with_inputs(programme, {"factory.stations[burn-in-bay].count": -1})
    assert info.value.problems[0].field == "factory.stations[burn-in-bay].count"


class CountingMap:
    """A serial task map that counts the rows it runs and can stop after ``stop`` of them."""

    def __init__(self, stop: int | None = None) -> None:
        self.ran = 0
        self.stop = stop

    @property
    def workers(self) -> int:
        return 1

    def map_ordered(self, fn: Callable[[Any, Any], Any], items: Sequence[Any], *, shared: Any) -> Iterator[Any]:
        for item in items:
            if self.stop is not None and self.ran >= self.stop:
                raise KeyboardInterrupt
            self.ran += 1
            yield fn(shared, item)


def test_bad_rows_are_recorded_and_an_interrupted_sweep_resumes(tmp_path: Path, programme: Any) -> None:
    spec = load_spec(write(tmp_path, STRESS_SPEC), programme)
    rows = design_rows(spec, programme)
    assert len(rows) == 6
    checkpoint = tmp_path / "rows.jsonl"
    first = CountingMap(stop=4)
    with running_on(first), pytest.raises(KeyboardInterrupt):
        list(run_rows(programme, spec, rows, checkpoint))
    assert len(read_checkpoint(checkpoint)) == 4
    second = CountingMap()
    with running_on(second):
        done = list(run_rows(programme, spec, rows, checkpoint))
    assert second.ran == 2 and len(read_checkpoint(checkpoint)) == 6
    assert [r["error"] is None for r in done] == [True, False] * 3     # a count of −1 stations is refused
    assert all("count" in r["error"] for r in done[1::2])
    assert all(isinstance(r["stress.exposed"], int) for r in done[::2])
    again = CountingMap()
    with running_on(again):
        assert list(run_rows(programme, spec, rows, checkpoint)) == done
    assert again.ran == 0


def test_sobol_indices_match_the_ishigami_function() -> None:
    bounds = [(-np.pi, np.pi)] * 3
    x = sample("sobol", bounds, 4096, seed=1)
    got = analyse("sobol", bounds, ["x1", "x2", "x3"], x, ishigami(x), seed=1)
    exact = ishigami_indices()
    for i, name in enumerate(("x1", "x2", "x3")):
        assert got[name]["S1"] == pytest.approx(exact["S1"][i], abs=0.03)
        assert got[name]["ST"] == pytest.approx(exact["ST"][i], abs=0.03)
    assert exact["S1"][0] == pytest.approx(0.3139, abs=1e-4) and exact["ST"][2] == pytest.approx(0.2437, abs=1e-4)


def test_morris_elementary_effects_of_a_linear_function_are_its_slopes() -> None:
    bounds = [(0.0, 1.0)] * 3
    x = sample("morris", bounds, 20, seed=2)
    y = 3.0 * x[:, 0] - 1.0 * x[:, 1] + 0.0 * x[:, 2]
    got = analyse("morris", bounds, ["a", "b", "c"], x, y)
    assert got["a"]["mu_star"] == pytest.approx(3.0) and got["b"]["mu_star"] == pytest.approx(1.0)
    assert got["c"]["mu_star"] == pytest.approx(0.0, abs=1e-12) and got["a"]["sigma"] == pytest.approx(0.0, abs=1e-9)


def test_sweep_command_writes_the_table_and_the_page(tmp_path: Path) -> None:
    spec = write(tmp_path, STRESS_SPEC)
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["sweep", str(REFERENCE), str(spec), "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert (data["rows"], data["failed_rows"]) == (6, 3)
    import pandas as pd

    table = pd.read_parquet(out / "rows.parquet")
    assert list(table.columns) == ["run", "sources[nvidia-b300-gpu@amkor-peoria].capacity_per_quarter",
                                   "factory.stations[burn-in-bay].count", "stress.exposed", "error"]
    assert table["sources[nvidia-b300-gpu@amkor-peoria].capacity_per_quarter"].tolist() == [
        1000.0, 1000.0, 5000.0, 5000.0, 9000.0, 9000.0]
    assert pd.read_csv(out / "rows.csv")["error"].notna().sum() == 3
    page = (out / "sweep.html").read_text()
    assert "<script src=" not in page and "Plotly" in page   # plotly.js inlined: works offline


def test_cluster_option_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["simulate", "-n", "10", "--cluster", "nowhere"])
    assert result.exit_code == 2 and "local:N" in result.output
    monkeypatch.setenv("RACKFORGE_CLUSTER", "local:0")
    result = runner.invoke(cli, ["simulate", "-n", "10"])
    assert result.exit_code == 2 and "RACKFORGE_CLUSTER" in result.output
    monkeypatch.delenv("RACKFORGE_CLUSTER")
    real_import = builtins.__import__

    def no_dask(name: str, *args: Any, **kwargs: Any) -> Any:
        if name.split(".")[0] in ("distributed", "dask"):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_dask)
    result = runner.invoke(cli, ["factory", "--cluster", "local:2"])
    assert result.exit_code == 2 and "pip install 'rackforge[dask]'" in result.output
