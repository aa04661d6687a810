"""The report's building blocks: a section runs one analysis and returns JSON, tables and charts.

Each analysis plugs into ``rackforge assess`` as one :class:`Section`, independently of the others:

- ``available()`` says whether the analysis it presents is installed (its module can be imported);
  a section whose analysis is missing is simply absent from the report and from results.json
  (listed under ``absent`` with the reason), never filled with placeholder numbers;
- ``applies(programme)`` says whether the programme has the data it needs (e.g. an ``evaluations:``
  section); ``check(programme)`` raises an input error (with file and line) before anything runs;
- ``run(context)`` returns a :class:`SectionOutput`: ``data`` for results.json, ``tables`` for the
  workbook and the HTML, ``charts`` (Plotly figures) for the HTML, and ``analyses`` it shares with
  later sections (e.g. domestic content per design for the evaluation's criteria).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rackforge.report.columns import ColumnSpec
from rackforge.resilience.defaults import MONTE_CARLO_SCENARIOS, MONTE_CARLO_SEED

if TYPE_CHECKING:
    import pandas as pd

    from rackforge.schema import Programme


@dataclass(frozen=True)
class Chart:
    """One interactive chart: a Plotly figure (``plotly.graph_objects.Figure``) with a caption."""

    id: str
    title: str
    figure: Any
    caption: str = ""


@dataclass(frozen=True)
class Table:
    """One table: shown in the HTML and written as a workbook sheet.

    Every row is in the HTML: the first ``max_html_rows`` shown, the rest behind a "show all" toggle; a
    table with ``html`` False (a long detail table) is collapsed whole behind its title
    (:mod:`rackforge.report.tablehtml`). Headers and cell formats come from the column names
    (:mod:`rackforge.report.columns`); ``columns`` overrides them for this table's own names
    (e.g. one column per design).
    """

    sheet: str
    title: str
    frame: pd.DataFrame
    html: bool = True
    max_html_rows: int = 25
    columns: dict[str, ColumnSpec] = field(default_factory=dict)


@dataclass
class SectionOutput:
    """What a section contributes to the report."""

    data: dict[str, Any]
    paragraphs: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    analyses: dict[str, Any] = field(default_factory=dict)


SECTION_BUDGET_S = 300.0
"""Default time budget of one report section [s]: a section still running after it is stopped and
listed as not assessed (the reference programme's slowest section takes a few seconds)."""


@dataclass(frozen=True)
class AssessOptions:
    """Options of one assessment run.

    ``scenarios``, ``seed``: Monte Carlo scenarios and seed (defaults: the Monte Carlo's own,
    :mod:`rackforge.resilience.defaults`, so ``rackforge simulate`` reproduces the report's figures).
    ``section_budget_s``: most any one section may run [s] (:data:`SECTION_BUDGET_S`); past it the section
    is stopped and listed as not assessed, and the rest of the report is written. The optimiser
    section's solver time limit derives from it (:func:`rackforge.optimize.policy.report_solve_options`).
    ``optimizer_gap``: relative MIP gap of the optimiser section's solves [fraction]; None for the
    optimiser's default. ``optimizer_time_limit_s``: time limit of each of its solves [s]; None to derive
    it from the budget.
    """

    scenarios: int = MONTE_CARLO_SCENARIOS
    seed: int = MONTE_CARLO_SEED
    section_budget_s: float = SECTION_BUDGET_S
    optimizer_gap: float | None = None
    optimizer_time_limit_s: float | None = None


@dataclass
class AssessContext:
    """What a section can read: the programme, options, earlier sections' outputs and shared analyses."""

    programme: Programme
    options: AssessOptions
    outputs: dict[str, SectionOutput] = field(default_factory=dict)
    analyses: dict[str, Any] = field(default_factory=dict)
    progress: Callable[[str], None] = field(default=lambda _text: None)
    """Sub-progress of the running section: a short text ("curve of 4 points: solve 9") for the progress bar."""


NO_SOURCES = "the programme has no sources"
"""Why the supply sections (sourcing, resilience, optimiser) are left out of a programme with no
``sources:``: with nothing to buy they have no figures to show (``rackforge check`` accepts such a
programme; the engineering, cost and factory sections still run)."""


def needs_sources(programme: Programme) -> str | None:
    """``applies`` of a supply section: :data:`NO_SOURCES` when the programme has no sources, else None."""
    return None if programme.sources else NO_SOURCES


def all_of(*conditions: Callable[[Programme], str | None]) -> Callable[[Programme], str | None]:
    """An ``applies`` that holds when every one of ``conditions`` does (the first reason otherwise)."""
    def applies(programme: Programme) -> str | None:
        return next((r for r in (c(programme) for c in conditions) if r is not None), None)
    return applies


@dataclass(frozen=True)
class Section:
    """One analysis as a report section (see the module docstring)."""

    key: str
    title: str
    run: Callable[[AssessContext], SectionOutput]
    requires: tuple[str, ...] = ()
    applies: Callable[[Programme], str | None] = lambda _p: None
    question: str = ""
    check: Callable[[Programme], None] = lambda _p: None
    """Raise :class:`~rackforge.errors.InputError` for bad input before any analysis runs."""

    def missing_modules(self) -> list[str]:
        """Modules this section needs that cannot be imported."""
        out = []
        for name in self.requires:
            try:
                found = importlib.util.find_spec(name) is not None
            except ModuleNotFoundError:
                found = False
            if not found:
                out.append(name)
        return out

    def absent_reason(self, programme: Programme) -> str | None:
        """Why this section is left out of the report, or None if it runs."""
        missing = self.missing_modules()
        if missing:
            return f"analysis not installed ({', '.join(missing)})"
        return self.applies(programme)
