"""``rackforge simulate [PATH]``: Monte Carlo of racks delivered under the disruption library."""

from __future__ import annotations

from pathlib import Path

import click

from rackforge.cli.cluster_option import cluster_option
from rackforge.cli.common import (
    console,
    echo_json,
    esc,
    json_option,
    load,
    money_cell,
    money_text,
    path_argument,
    seed_option,
)
from rackforge.resilience.defaults import MONTE_CARLO_MEMORY_BUDGET_BYTES, MONTE_CARLO_SCENARIOS


@click.command()
@path_argument
@json_option
@click.option("--scenarios", "-n", default=MONTE_CARLO_SCENARIOS, show_default=True,
              type=click.IntRange(1, 10_000_000), help="Number of scenarios.")
@seed_option
@click.option("--precision", type=click.Choice(["single", "double"]), default="single", show_default=True,
              help="Kernel arithmetic: single (float32, faster) or double (float64).")
@click.option("--memory-budget", "memory_budget_mb", default=MONTE_CARLO_MEMORY_BUDGET_BYTES // 2**20,
              show_default=True, type=click.IntRange(1),
              help="Working memory of a chunk of scenarios [MiB] (memory only; results do not depend on it; "
              "results add a fixed few MB whatever the number of scenarios).")
@click.option("--chunk", default=None, type=click.IntRange(1),
              help="Scenarios per chunk instead of --memory-budget, rounded up to whole blocks of 1,024 (memory "
              "only; results do not depend on it).")
@cluster_option
def simulate(path: Path | None, as_json: bool, scenarios: int, seed: int, precision: str, memory_budget_mb: int,
             chunk: int | None) -> None:
    """Monte Carlo of racks delivered per design and quarter under the disruption library.

    Each scenario draws the events of the programme's 'scenarios:' section (probability, start,
    duration) and stochastic lead times, then builds racks quarter by quarter from the parts on
    hand, alternates and the allocation rule. Prints P10/P50/P90 of racks delivered, expected
    shortfall and value at risk, shortfall by part and by event, and the worst scenarios.
    """
    from rackforge import api

    programme = load(path)
    err = console(stderr=True)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(TextColumn("simulating"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=err, transient=True, disable=not err.is_terminal or scenarios < 20_000) as bar:
        task = bar.add_task("scenarios", total=scenarios)
        result = api.simulate(programme, scenarios, seed, chunk=chunk, memory_budget_bytes=memory_budget_mb * 2**20,
                              precision="double" if precision == "double" else "single",
                              progress=lambda k: bar.advance(task, k))
    if as_json:
        echo_json(result.to_json())
        return
    from rich.table import Table

    out = console()
    table = Table(title=f"Racks delivered per quarter ({scenarios:,} scenarios, seed {seed})", title_justify="left")
    for col in ("design", "quarter", "plan", "P10", "P50", "P90", "mean"):
        table.add_column(col, justify="left" if col in ("design", "quarter") else "right")
    for design, rows in result.delivered_table().items():
        for i, r in enumerate(rows):
            style = "red" if r["p50"] < r["plan"] else None
            table.add_row(esc(design) if i == 0 else "", r["quarter"], str(r["plan"]), str(r["p10"]), str(r["p50"]),
                          str(r["p90"]), f"{r['mean']:.1f}", style=style, end_section=i == len(rows) - 1)
    out.print(table)
    summary = result.summary()
    out.print("expected racks short at the end: "
              + ", ".join(f"{esc(d)} {v:.1f}" for d, v in summary["expected_racks_short"].items()))
    out.print(f"probability of any shortfall {summary['probability_of_shortfall']:.1%}, of one above 1 % of the "
              f"plan {summary['probability_of_shortfall_over_1pct']:.1%}; expected value short "
              f"{money_text(summary['expected_value_short_usd'])}; "
              f"VaR95 {money_text(summary['value_at_risk_95_usd'])}; "
              f"CVaR95 {money_text(summary['conditional_value_at_risk_95_usd'])}")
    events = Table(title="Shortfall by event", title_justify="left")
    for col in ("event", "P(in plan)", "occurred", "mean value short if it occurred", "otherwise"):
        events.add_column(col, justify="left" if col == "event" else "right")
    for row in result.shortfall_by_event():
        hit, miss = row["mean_value_short_usd_when_occurred"], row["mean_value_short_usd_otherwise"]
        events.add_row(esc(row["event"]), f"{row['probability']:.1%}", f"{row['occurred_share']:.1%}",
                       money_cell(hit), money_cell(miss))
    out.print(events)
    parts = Table(title="Parts still owed at the end (top 8 by value)", title_justify="left")
    for col in ("part", "mean units", "P90 units", "P(short)", "mean value"):
        parts.add_column(col, justify="left" if col == "part" else "right")
    for row in result.shortfall_by_part()[:8]:
        parts.add_row(esc(row["part"]), f"{row['mean_units']:,.0f}", f"{row['p90_units']:,.0f}",
                      f"{row['probability']:.1%}", money_cell(row['mean_value_usd']))
    out.print(parts)
    for row in result.worst_scenarios(3):
        what = ", ".join(f"{e['event']} (week {e['start_week']:.0f}, {e['duration_weeks']:.0f} wk)"
                         for e in row["events"]) or "lead-time slips only"
        out.print(f"worst #{row['scenario']}: {money_text(row['value_short_usd'])} short — {esc(what)}")
