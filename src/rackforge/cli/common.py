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
    from rackforge.answers import json_default  # one definition for the CLI and the service

    return json_default(value)


def console(stderr: bool = False) -> Console:
    """A Rich console (imported lazily to keep start-up fast)."""
    from rich.console import Console

    return Console(stderr=stderr, soft_wrap=False, width=None if sys.stdout.isatty() else 120)


def esc(value: object) -> str:
    """``value`` as text safe to print through Rich: its brackets are shown, never read as markup.

    Every user string (names, notes, free text from programme files) goes through this before it is
    interpolated into a Rich markup string or a table cell; ids are safe by their syntax but may be
    escaped too.
    """
    from rich.markup import escape

    return escape(str(value))


class FiniteFloat(click.ParamType):
    """A click type for float options that must be finite, optionally within ``[low, high]``.

    ``nan``, ``inf`` and ``1e400`` are refused as usage errors (exit 2) naming the option, instead of
    flowing into an analysis as a value no figure can be computed from.
    """

    name = "number"

    def __init__(self, low: float | None = None, high: float | None = None, *, low_open: bool = False) -> None:
        self.low = low
        self.high = high
        self.low_open = low_open

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> float:
        """The option's value as a finite float in range, or a click usage error."""
        import math

        try:
            number = float(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a number", param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        if self.low is not None and (number < self.low or (self.low_open and number == self.low)):
            self.fail(f"{value!r} is out of range: {self._range()}", param, ctx)
        if self.high is not None and number > self.high:
            self.fail(f"{value!r} is out of range: {self._range()}", param, ctx)
        return number

    def _range(self) -> str:
        low = "" if self.low is None else f"{self.low:g} {'<' if self.low_open else '<='} "
        high = "" if self.high is None else f" <= {self.high:g}"
        return f"{low}x{high}"

    def __repr__(self) -> str:
        return f"FiniteFloat({self.low}, {self.high})"


FINITE_FLOAT = FiniteFloat()
"""Any finite float (see :class:`FiniteFloat` for a bounded one)."""
