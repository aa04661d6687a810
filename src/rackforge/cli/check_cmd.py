"""``rackforge check [PATH]``: load and validate a programme."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from rackforge.cli.common import console, echo_json, json_option, load, path_argument


@click.command()
@path_argument
@json_option
def check(path: Path | None, as_json: bool) -> None:
    """Load, validate and check the rack designs of a programme.

    PATH is a programme folder; without it the built-in reference programme is used.
    Exit status: 0 all checks pass, 1 a check failed, 2 bad input.
    """
    programme = load(path)
    summary: dict[str, Any] = {
        "programme": programme.info.name,
        "designs": [{"id": d.id, "name": d.name} for d in programme.planned_designs],
        "parts": len(programme.catalog.parts),
        "sources": len(programme.sources),
        "quarters": programme.build_plan.quarter_list,
    }
    if as_json:
        echo_json(summary)
        return
    out = console()
    out.print(f"[bold]{programme.info.name}[/]: loaded and valid — {len(summary['designs'])} designs, "
              f"{summary['parts']} part types, {summary['sources']} sources, "
              f"{len(summary['quarters'])} quarters")
