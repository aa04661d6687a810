"""``rackforge check [PATH] [--design ID] [--json]``: engineering checks of a programme's rack designs."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from rackforge.cli.common import console, echo_json, esc, json_option, load, path_argument

if TYPE_CHECKING:
    from rackforge.engineering.design_checks import DesignReport

STATUS_STYLE = {"pass": "green", "warn": "yellow", "fail": "bold red"}


def _number(value: Any, unit: str) -> str:
    if value is None:
        return ""
    number = float(value)
    digits = 0 if abs(number) >= 100 or number.is_integer() else (1 if abs(number) >= 10 else 2)
    return f"{number:,.{digits}f} {unit}".strip()


def print_reports(programme_name: str, reports: list[DesignReport]) -> None:
    """Findings of each design as a Rich table, then a one-line summary."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    out = console()
    for report in reports:
        status = report.status.label
        table = Table(title=f"{esc(report.design_id)} — {esc(report.name)} [{STATUS_STYLE[status]}]{status.upper()}[/]",
                      title_justify="left", show_lines=False, expand=True, box=box.SIMPLE_HEAD, padding=(0, 1))
        table.add_column("", no_wrap=True, width=4)
        table.add_column("check", no_wrap=True)
        table.add_column("value", justify="right", no_wrap=True)
        table.add_column("limit", justify="right", no_wrap=True)
        table.add_column("margin", justify="right", no_wrap=True)
        table.add_column("explanation", ratio=1, overflow="fold")
        for f in report.findings:
            label = f.status_enum.label
            margin = "" if f.margin is None else f"{float(f.margin):+.0%}" if abs(float(f.margin)) < 100 else ""
            table.add_row(Text(label.upper(), style=STATUS_STYLE[label]), esc(f.check), esc(_number(f.value, f.unit)),
                          esc(_number(f.limit, "")), margin, esc(f.message))
        out.print(table)
        m = report.metrics
        out.print(f"  {m['gpus']} GPUs, {m['cpus']} CPUs · {m['it_power_kw']:,.1f} kW IT, "
                  f"{m['rack_input_kw']:,.1f} kW at the rack, {m['facility_power_kw']:,.1f} kW with PUE · "
                  f"liquid {m['liquid_heat_fraction']:.0%} · {m['coolant_flow_lpm']:,.0f} L/min · "
                  f"{m['mass_kg']:,.0f} kg · {m['scale_up_cables']:,} scale-up cables\n", highlight=False)
    failed = [r for r in reports if r.failed]
    warned = sum(1 for r in reports for f in r.findings if f.status_enum.label == "warn")
    verdict = "[bold red]FAIL[/]" if failed else "[green]PASS[/]"
    plural = "s" if len(reports) != 1 else ""
    failing = sum(len(r.failed) for r in reports)
    out.print(f"{esc(programme_name)}: {len(reports)} design{plural} checked, {failing} failing findings, "
              f"{warned} warnings — {verdict}")


@click.command()
@path_argument
@click.option("--design", "designs", multiple=True, metavar="ID",
              help="Check only this design (repeatable); default: the designs in the build plan and the "
                   "programme's own files.")
@json_option
def check(path: Path | None, designs: tuple[str, ...], as_json: bool) -> None:
    """Load, validate and check the rack designs of a programme.

    Runs the engineering checks (power, cooling, network and cabling, mechanics, pods) on each
    design and prints its findings: value, limit, margin and the formula behind it.
    PATH is a programme folder; without it the built-in reference programme is used.
    Exit status: 0 all checks pass (warnings allowed), 1 a check failed, 2 bad input.
    """
    from rackforge import api
    from rackforge.errors import ChecksFailed

    programme = load(path)
    reports = api.check_designs(programme, designs)
    failing = [f"{r.design_id}: {f.check}" for r in reports for f in r.failed]
    if as_json:
        from rackforge.answers import check_json

        echo_json(check_json(programme.info.name, reports))
    else:
        print_reports(programme.info.name, reports)
    if failing:
        raise ChecksFailed(f"{len(failing)} check(s) failed: {', '.join(failing)}")
