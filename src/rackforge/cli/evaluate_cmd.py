"""``rackforge evaluate [PATH]``: score early-access systems and show where each option to buy stands."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from rackforge.cli.common import console, echo_json, esc, json_option, load, path_argument

if TYPE_CHECKING:
    from rackforge.evaluate.analysis import EvaluationResult


@click.command()
@path_argument
@json_option
@click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]),
              help="Date to judge option deadlines against (default: today, unless the programme's "
                   "evaluations section fixes one with 'as_of:'). The date used is printed.")
def evaluate(path: Path | None, as_json: bool, as_of: object) -> None:
    """Score early-access systems on weighted criteria and show the option decisions.

    PATH is a programme folder with an 'evaluations:' section; without it the built-in reference
    programme is used. Prints the scorecards, the ranking, the weight change that would flip the top
    choice for each criterion, and the decision record of each option to buy.
    """
    import datetime as dt

    from rackforge import api

    when = as_of.date() if isinstance(as_of, dt.datetime) else None
    result = api.evaluate(load(path), as_of=when)
    if as_json:
        echo_json({**result.to_json(), "as_of_basis": result.as_of_basis})
        return
    print_evaluation(result)


SHORT_LABELS = {"performance_per_watt": "perf/W", "tco_per_gpu_hour": "TCO/GPU-h", "domestic_content": "domestic",
                "test_yield": "yield", "readiness": "MRL", "risk": "risk"}


def format_value(value: float | None, unit: str) -> str:
    """A criterion value for a table cell."""
    if value is None:
        return "—"
    if unit == "fraction":
        return f"{value:.1%}"
    if unit.startswith("USD"):
        from rackforge.cli.common import money_cell

        return money_cell(value)
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def print_evaluation(result: EvaluationResult) -> None:
    """Rich tables: scorecards, weight sensitivity, options and decisions."""
    from rich.table import Table

    out = console()
    basis = {"today": "today; --as-of judges another date", "--as-of": "--as-of",
             "evaluations.as_of": "the programme's evaluations.as_of; --as-of judges another date"}[result.as_of_basis]
    out.print(f"[bold]Early-access evaluation[/] as of {result.as_of} ({esc(basis)}; {result.normalisation} "
              "normalisation)")
    used = result.used_criteria
    table = Table(title="Scorecards", title_justify="left")
    for col in ("rank", "system", "vendor", "score"):
        table.add_column(col, justify="right" if col in ("rank", "score") else "left", no_wrap=col == "system")
    for c in used:
        table.add_column(esc(f"{SHORT_LABELS.get(c.id, c.id)}\nw={c.weight:.0%}"), justify="right")
    for s in result.systems:
        table.add_row(str(s.rank), esc(s.id), esc(s.vendor), f"{s.score:.3f}",
                      *(esc(format_value(s.raw.get(c.id), c.unit)) for c in used))
    out.print(table)
    if result.sensitivity:
        sens = Table(title=f"What flips the top choice ({esc(result.top.id)})", title_justify="left")
        for col in ("criterion", "weight", "raise to", "then top", "lower to", "then top"):
            sens.add_column(col)
        for x in result.sensitivity:
            sens.add_row(esc(x.criterion), f"{x.weight:.1%}",
                         f"{x.raise_to:.1%}" if x.raise_to is not None else "never",
                         esc(x.raise_new_top or ""), f"{x.lower_to:.1%}" if x.lower_to is not None else "never",
                         esc(x.lower_new_top or ""))
        out.print(sens)
    options = Table(title="Options to buy", title_justify="left")
    for col in ("system", "exercise by", "days left", "status", "latest decision"):
        options.add_column(col)
    for o in result.options:
        options.add_row(esc(o.system), str(o.exercise_by or "—"),
                        "" if o.days_to_deadline is None else str(o.days_to_deadline), esc(o.status),
                        esc(f"{o.latest_action} on {o.latest_date}") if o.latest_action else "none")
    out.print(options)
    for d in result.decisions:
        out.print(f"• {d.date} [bold]{esc(d.action.value)}[/] {esc(d.system)} — {esc(d.by)}: {esc(d.rationale)}",
                  highlight=False)
    for note in result.notes:
        out.print(f"[yellow]note:[/] {esc(note)}", highlight=False)
