"""Options and output helpers shared by the subcommands."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from rich.console import Console

    from rackforge.schema import Programme

path_argument = click.argument(
    "path", required=False, type=click.Path(path_type=Path),
)
"""PATH: a programme folder; omitted means the built-in reference programme."""

json_option = click.option("--json", "as_json", is_flag=True, help="Print only JSON on stdout.")


def load(path: Path | None) -> Programme:
    """Load a programme folder, or the built-in reference programme when ``path`` is None."""
    from rackforge.io.loader import load_programme

    return load_programme(path)


def echo_json(data: Any) -> None:
    """Print ``data`` as JSON (the only thing on stdout in --json mode)."""
    click.echo(json.dumps(data, indent=2, default=_default, ensure_ascii=False))


def _default(value: Any) -> Any:
    import datetime as dt

    if isinstance(value, dt.date):
        return value.isoformat()
    if hasattr(value, "tolist"):
        return value.tolist()
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"cannot serialise {type(value).__name__}")


def console(stderr: bool = False) -> Console:
    """A Rich console (imported lazily to keep start-up fast)."""
    from rich.console import Console

    return Console(stderr=stderr, soft_wrap=False, width=None if sys.stdout.isatty() else 120)
