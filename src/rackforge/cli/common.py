"""Options and output helpers shared by the subcommands."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from rackforge.seeds import DEFAULT_SEED

if TYPE_CHECKING:
    from rich.console import Console

    from rackforge.schema import Programme

path_argument = click.argument(
    "path", required=False, type=click.Path(path_type=Path),
)
"""PATH: a programme folder; omitted means the built-in reference programme."""

json_option = click.option("--json", "as_json", is_flag=True, help="Print only JSON on stdout.")

seed_option = click.option(
    "--seed", type=click.IntRange(0), default=DEFAULT_SEED, show_default=True,
    help="Random seed: the same seed gives the same numbers; every command and the report default to the same one.")
"""``--seed``: one name and one default (:data:`rackforge.seeds.DEFAULT_SEED`) in every command that draws random
numbers (``factory`` takes the programme's ``factory.simulation.seed``, whose default is the same)."""


def deprecated_programme_option(help_text: str = "Deprecated: give the programme folder as PATH, the first "
                                "argument.") -> Any:
    """``-p/--programme PATH``, kept hidden for old scripts: the programme is the first argument, PATH, now."""
    return click.option("-p", "--programme", "programme_option", type=click.Path(path_type=Path), default=None,
                        hidden=True, help=help_text)


def is_programme_folder(operand: str) -> bool:
    """Whether a command-line operand names a programme folder (an existing directory), not an id or a file."""
    return Path(operand).is_dir()


def split_path_operands(operands: tuple[str, ...], programme_option: Path | None = None) -> tuple[Path | None,
                                                                                                  list[str]]:
    """(PATH, the other operands) of a command written ``[PATH] OPERAND...``: the first operand is PATH when it
    is a folder (:func:`is_programme_folder`); ``-p/--programme`` (deprecated) gives it too, not both."""
    from rackforge.errors import UsageError

    rest = list(operands)
    path = Path(rest.pop(0)) if rest and is_programme_folder(rest[0]) else None
    if programme_option is not None:
        if path is not None:
            raise UsageError(f"two programme folders: {path} (PATH) and {programme_option} (--programme); give one, "
                             "as PATH")
        warn_deprecated("-p/--programme", "give the programme folder as PATH, the first argument")
        path = programme_option
    return path, rest


FILE_SUFFIXES = (".xlsx", ".csv", ".json")
"""Suffixes of the files commands read or write next to a programme (spreadsheets, test results)."""


def _looks_like_file(operand: str) -> bool:
    return Path(operand).suffix.lower() in FILE_SUFFIXES and not is_programme_folder(operand)


def path_and_file(operands: tuple[str, ...], file_meaning: str, *, path_required: bool = False) -> tuple[Path | None,
                                                                                                         Path]:
    """(PATH, FILE) of a command written ``[PATH] FILE``. Written the old way round (``FILE PATH``: FILE not a
    folder and PATH one, or FILE named like a spreadsheet or results file and PATH not), the two are swapped
    with a warning."""
    from rackforge.errors import UsageError

    if len(operands) == 1 and not path_required:
        return None, Path(operands[0])
    if len(operands) != 2:
        need = "PATH and " if path_required else "[PATH] "
        raise UsageError(f"give {need}{file_meaning} ({len(operands)} arguments given)")
    first, second = operands
    old_order = (not is_programme_folder(first) and is_programme_folder(second)) or (
        _looks_like_file(first) and not _looks_like_file(second))
    if old_order:
        warn_deprecated(f"'{first} {second}'", f"write the programme folder first: '{second} {first}'")
        first, second = second, first
    return Path(first), Path(second)


def warn_deprecated(what: str, instead: str) -> None:
    """One line on stderr: ``what`` still works but is deprecated; ``instead`` says the current form."""
    click.echo(f"warning: {what} is deprecated; {instead}", err=True)


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
    """A Rich console (imported lazily to keep start-up fast). Output cut off by its reader (``| head``)
    ends the command quietly with status 0, as for click's output (:func:`rackforge.cli.silence_stdout`),
    not with Rich's status 1."""
    from rich.console import Console

    from rackforge.cli import silence_stdout

    class PipeConsole(Console):
        def on_broken_pipe(self) -> None:
            self.quiet = True
            silence_stdout()
            raise SystemExit(0)

    return PipeConsole(stderr=stderr, soft_wrap=False, width=None if sys.stdout.isatty() else 120)


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


def money_text(value: float | None) -> str:
    """A dollar amount in a CLI line or headline, as the report's headlines and sentences write it
    (:func:`rackforge.report.format.money_compact`, e.g. ``$9.17 B``, ``$4.46 k``); ``-`` for none."""
    if value is None:
        return "-"
    from rackforge.report.format import money_compact

    return money_compact(float(value))


def money_cell(value: float | None) -> str:
    """A dollar amount in a CLI table cell, as the report's tables write it
    (:func:`rackforge.report.format.money`: whole dollars, ``$4,460``, ``−$15,120``; cents under $100,
    ``$2.16``); ``-`` for none."""
    if value is None:
        return "-"
    from rackforge.report.format import money

    return money(float(value))
