"""The API's results are the CLI's ``--json`` for the same files and options."""

from __future__ import annotations

import functools
import json
from typing import Any

import pytest
from click.testing import CliRunner

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
]
"""(analysis, API options, the same options on the command line)."""


@functools.cache
def cli_json(analysis: str, arguments: tuple[str, ...]) -> tuple[Any, int]:
    """``rackforge ANALYSIS tests/data/mini ARGUMENTS --json``: parsed stdout and exit status."""
    result = CliRunner().invoke(cli, [analysis, str(MINI), *arguments, "--json"])
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout), result.exit_code


def test_api_results_equal_cli_json(client: Any, db: Database) -> None:
    token = add_user(db, "alice")
    design_ids = {d["id"] for d in cli_json("check", ())[0]["designs"]}
    if "mini-rack" not in design_ids:
        pytest.fail(f"tests/data/mini's designs changed: {sorted(design_ids)}; update CASES")
    pid = client.post("/api/programmes", json={"name": "mini", "files": mini_files()}, headers=bearer(token)).json()
    runs = [client.post(f"/api/programmes/{pid['id']}/runs", json={"analysis": analysis, "options": options},
                        headers=bearer(token)).json()["id"] for analysis, options, _ in CASES]
    assert len(set(runs)) == len(CASES)
    drain(db)
    for run_id, (analysis, _options, arguments) in zip(runs, CASES, strict=True):
        state = client.get(f"/api/runs/{run_id}", headers=bearer(token)).json()
        expected, exit_status = cli_json(analysis, arguments)
        assert (state["status"], state["exit_status"]) == ("done", exit_status), state
        assert client.get(f"/api/runs/{run_id}/results", headers=bearer(token)).json() == expected, analysis
