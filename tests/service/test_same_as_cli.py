"""The API's results are the CLI's ``--json`` for the same files and options."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from factory_synth import write_programme
from rackforge.cli import cli
from rackforge.service.db import Database

from .helpers import MINI, add_user, bearer, drain, mini_files

CASES: list[tuple[str, dict[str, Any], tuple[str, ...]]] = [
    ("check", {}, ()),
    ("check", {"designs": ["mini-rack"]}, ("--design", "mini-rack")),
    ("sourcing", {}, ()),
    ("sourcing", {"rule": "ira-adjusted-percentage"}, ("--rule", "ira-adjusted-percentage")),
    ("stress", {"by": ["country", "site"]}, ("--by", "country,site")),
    ("simulate", {"scenarios": 3000, "seed": 7}, ("--scenarios", "3000", "--seed", "7")),
    ("optimize", {"domestic_target": "none", "critical_share": 1},
     ("--domestic-target", "none", "--critical-share", "1")),
    # mini reaches 4.5% domestic content at most: one point of four has a plan, so both exit 1
    ("optimize", {"sweep": True, "targets": [0.02, 0.3], "caps": [0.9], "scenarios": 50, "seed": 11},
     ("--sweep", "--targets", "0.02,0.3", "--caps", "0.9", "--scenarios", "50", "--seed", "11")),
]
"""(analysis, API options, the same options on the command line)."""

FACTORY_CASES: list[tuple[str, dict[str, Any], tuple[str, ...]]] = [
    ("factory", {"replications": 2, "seed": 3}, ("--replications", "2", "--seed", "3")),
    ("factory", {"plan_capacity": True, "replications": 2, "seed": 3, "max_utilisation": 0.8},
     ("--plan-capacity", "--replications", "2", "--seed", "3", "--max-utilisation", "0.8")),
]
"""The same on the synthetic factory programme (tests/factory_synth.py; the CLI in one process per CPU,
the service in one)."""


WALL_CLOCK = {"timings_s", "solve_time_s"}
"""Keys of the optimiser's JSON that hold how long it took [s]: never the same twice."""


def without_wall_clock(data: Any) -> Any:
    """``data`` without the :data:`WALL_CLOCK` keys, at any depth."""
    if isinstance(data, dict):
        return {k: without_wall_clock(v) for k, v in data.items() if k not in WALL_CLOCK}
    if isinstance(data, list):
        return [without_wall_clock(v) for v in data]
    return data


@functools.cache
def cli_json(analysis: str, arguments: tuple[str, ...], folder: Path = MINI) -> tuple[Any, int]:
    """``rackforge ANALYSIS FOLDER ARGUMENTS --json``: parsed stdout and exit status."""
    result = CliRunner().invoke(cli, [analysis, str(folder), *arguments, "--json"])
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout), result.exit_code


def assert_same_as_cli(client: Any, token: str, db: Database, files: dict[str, str], folder: Path,
                       cases: list[tuple[str, dict[str, Any], tuple[str, ...]]]) -> None:
    """Each case run by the service on ``files`` is done with the CLI's exit status and its ``--json``
    on ``folder`` (the same files) as results."""
    pid = client.post("/api/programmes", json={"name": folder.name, "files": files}, headers=bearer(token)).json()
    runs = [client.post(f"/api/programmes/{pid['id']}/runs", json={"analysis": analysis, "options": options},
                        headers=bearer(token)).json()["id"] for analysis, options, _ in cases]
    assert len(set(runs)) == len(cases)
    drain(db)
    for run_id, (analysis, _options, arguments) in zip(runs, cases, strict=True):
        state = client.get(f"/api/runs/{run_id}", headers=bearer(token)).json()
        expected, exit_status = cli_json(analysis, arguments, folder)
        assert (state["status"], state["exit_status"]) == ("done", exit_status), state
        results = client.get(f"/api/runs/{run_id}/results", headers=bearer(token)).json()
        assert without_wall_clock(results) == without_wall_clock(expected), arguments


def test_api_results_equal_cli_json(client: Any, db: Database) -> None:
    token = add_user(db, "alice")
    design_ids = {d["id"] for d in cli_json("check", ())[0]["designs"]}
    if "mini-rack" not in design_ids:
        pytest.fail(f"tests/data/mini's designs changed: {sorted(design_ids)}; update CASES")
    assert_same_as_cli(client, token, db, mini_files(), MINI, CASES)
    analysis, _options, arguments = CASES[-1]
    curve, exit_status = cli_json(analysis, arguments)
    assert exit_status == 1 and curve["infeasible_points"] == 3  # the case covers a sweep that exits 1


@pytest.fixture(scope="module")
def factory_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The synthetic factory programme with a plan that needs more than one burn-in bay."""
    return write_programme(tmp_path_factory.mktemp("factory") / "synthetic", plan={"2027Q1": {"syn-a": 250}})


def test_factory_results_equal_cli_json(client: Any, db: Database, factory_folder: Path) -> None:
    token = add_user(db, "alice")
    files = {p.name: p.read_text(encoding="utf-8") for p in sorted(factory_folder.glob("*.yaml"))}
    assert_same_as_cli(client, token, db, files, factory_folder, FACTORY_CASES)
    analysis, _options, arguments = FACTORY_CASES[1]
    plan = cli_json(analysis, arguments, factory_folder)[0]
    assert plan["max_utilisation"] == 0.8 and plan["replications"] == 2  # the options reached the planner
