"""docs/service.md covers every route, every run option and every option of the service commands."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from rackforge.answers import OPTIONS
from rackforge.cli import cli
from rackforge.service.app import create_app
from rackforge.service.settings import Settings
from rackforge.service.worker import AssessRunOptions

DOC = (Path(__file__).parents[2] / "docs" / "service.md").read_text(encoding="utf-8")


def _documented_route(method: str, path: str) -> bool:
    pattern = re.escape(path).replace(r"\{programme_id\}", r"\{id\}").replace(r"\{run_id\}", r"\{id\}")
    pattern = pattern.replace(r"\{number\}", r"\{n\}").replace(r"\{user_name\}", r"\{user\}")
    return re.search(rf"`{method} {pattern}[`?]", DOC) is not None


def test_every_route_is_documented() -> None:
    app = create_app(Settings(db_url="sqlite://", workers=0))
    paths = app.openapi()["paths"]
    missing = [f"{m.upper()} {p}" for p, ops in paths.items() for m in ops if not _documented_route(m.upper(), p)]
    assert not missing


def test_every_run_option_is_documented() -> None:
    rows = {line.split("|")[1].strip(" `"): line for line in DOC.splitlines() if line.startswith("| `")}
    for analysis, model in {**OPTIONS, "assess": AssessRunOptions}.items():
        assert analysis in rows, analysis
        for name in model.model_fields:
            assert f"`{name}`" in rows[analysis], f"{analysis}.{name}"


@pytest.mark.parametrize("command", [("serve",), ("db", "upgrade"), ("users", "add"), ("tokens", "create")])
def test_every_command_option_is_documented(command: tuple[str, ...]) -> None:
    group = cli.get_command(None, command[0])  # type: ignore[arg-type]
    assert group is not None
    target = group if len(command) == 1 else group.commands[command[1]]  # type: ignore[attr-defined]
    for param in target.params:
        for opt in param.opts:
            if opt.startswith("--") and opt not in ("--help", "--password-stdin"):
                assert opt in DOC, f"rackforge {' '.join(command)} {opt}"
