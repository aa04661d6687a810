"""One exception family for user errors.

Every user-facing mistake is a :class:`RackforgeError`. Input problems carry one or more
:class:`Problem` records naming the file, line, field and what would be valid, so the CLI
can print them all together without a traceback (exit status 2). Failed engineering or
business checks are :class:`ChecksFailed` (exit status 1).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One input mistake: where it is and what would be valid."""

    file: str
    line: int | None
    field: str
    message: str

    def render(self) -> str:
        """Format as ``file:line: field: message`` (the form editors jump to)."""
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        field = f" {self.field}:" if self.field else ""
        return f"{where}:{field} {self.message}"


class RackforgeError(Exception):
    """Base class of every error rackforge reports to a user without a traceback."""

    exit_code = 2


class InputError(RackforgeError):
    """Bad input: one or more problems, each with file, line, field and a hint."""

    exit_code = 2

    def __init__(self, problems: Iterable[Problem]):
        self.problems: tuple[Problem, ...] = tuple(problems)
        if not self.problems:
            raise ValueError("InputError needs at least one problem")
        super().__init__(self.render())

    def __reduce__(self) -> tuple[type[InputError], tuple[tuple[Problem, ...]]]:
        """Pickled with its problems (so an error raised in a cluster worker reaches the CLI whole)."""
        return type(self), (self.problems,)

    def render(self) -> str:
        """All problems, one per line, with a count when there are several."""
        lines = [p.render() for p in self.problems]
        if len(lines) > 1:
            lines.insert(0, f"{len(lines)} problems in the input:")
        return "\n".join(lines)


class UsageError(RackforgeError):
    """A command was called with options that cannot work together."""

    exit_code = 2


class ChecksFailed(RackforgeError):
    """Analyses ran, and at least one check failed (exit status 1)."""

    exit_code = 1


class SolverError(RackforgeError):
    """An optimisation could not be solved; the message explains why in domain words."""

    exit_code = 1


def did_you_mean(word: str, choices: Iterable[str], n: int = 3) -> str:
    """A ``did you mean ...?`` hint for an unknown name, or an empty string."""
    matches = difflib.get_close_matches(word, list(choices), n=n, cutoff=0.6)
    if not matches:
        return ""
    return " (did you mean " + " or ".join(repr(m) for m in matches) + "?)"


def valid_list(choices: Iterable[str], limit: int = 12) -> str:
    """A short ``valid: a, b, c`` list for error messages."""
    items = sorted(choices)
    shown = ", ".join(items[:limit])
    more = f", … ({len(items) - limit} more)" if len(items) > limit else ""
    return f"valid: {shown}{more}"
