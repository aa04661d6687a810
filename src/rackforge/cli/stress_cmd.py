"""``rackforge stress [PATH]``: time to survive vs time to recover for every site, country and region."""

from __future__ import annotations

from pathlib import Path

import click

from rackforge.cli.common import console, echo_json, esc, json_option, load, money_cell, path_argument
from rackforge.resilience.defaults import STRESS_LEVEL_CHOICES, STRESS_LEVELS


@click.command()
@path_argument
@json_option
@click.option("--quarter", metavar="YYYYQn",
              help="Plan quarter whose build rate and shipping sources are stressed (default: the first).")
@click.option("--by", "levels", default=",".join(STRESS_LEVELS), show_default=True,
              help="Groups to take down, comma-separated: "
              f"{', '.join(STRESS_LEVEL_CHOICES)} (node: each supply-network node).")
def stress(path: Path | None, as_json: bool, quarter: str | None, levels: str) -> None:
    """Stress test: time to survive vs time to recover of every site, country and region.

    For each group taken down, the time to survive (TTS, weeks the build plan is still met from
    stock, pipeline, alternates and spare capacity) and, over its time to recover (TTR), the racks
    and value lost and the risk exposure index; groups with TTR > TTS are exposed. Linear programs
    of Simchi-Levi et al. (2015), solved with HiGHS. PATH is a programme folder (default: the
    built-in reference programme); recovery times and stock come from its 'scenarios:' section.
    """
    from rackforge import api

    chosen = tuple(x.strip() for x in levels.split(",") if x.strip())
    result = api.stress_test(load(path), quarter=quarter, levels=chosen)
    if as_json:
        echo_json(result.to_json())
        return
    from rich.table import Table

    out = console()
    table = Table(title=f"Stress test — {esc(result.demand_basis)}", title_justify="left")
    for col, justify in (("node", "left"), ("TTS weeks", "right"), ("TTR weeks", "right"), ("exposed", "center"),
                         ("racks lost", "right"), ("value lost", "right"), ("REI", "right")):
        table.add_column(col, justify=justify)  # type: ignore[arg-type]
    for n in result.nodes:
        tts = "∞" if n.tts_weeks == float("inf") else f"{n.tts_weeks:.1f}"
        table.add_row(esc(n.disruption.id), tts, f"{n.ttr_weeks:.1f}", "[red]yes[/]" if n.exposed else "no",
                      f"{sum(n.racks_lost.values()):.1f}", money_cell(n.value_lost_usd),
                      f"{n.risk_exposure_index:.2f}")
    out.print(table)
    exposed = sum(n.exposed for n in result.nodes)
    out.print(f"{exposed} of {len(result.nodes)} groups exposed (TTR > TTS); TTS ∞: the plan survives the loss.")
    for warning in result.warnings[:5]:
        short = warning if len(warning) <= 160 else warning[:157] + "…"
        out.print(f"[yellow]note:[/] {esc(short)}", markup=True, highlight=False)
    if len(result.warnings) > 5:
        out.print(f"[yellow]note:[/] … and {len(result.warnings) - 5} more (see --json)")
