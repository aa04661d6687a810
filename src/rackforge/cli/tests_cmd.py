"""``rackforge tests plan|import``: localized test plans and per-rack-serial test results."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from rackforge.cli.common import (
    console,
    deprecated_programme_option,
    echo_json,
    esc,
    json_option,
    load,
    money_cell,
    path_and_file,
    path_argument,
    warn_deprecated,
)


@click.group()
def tests() -> None:
    """Generate test plans and import per-rack test results."""


@tests.command("plan")
@path_argument
@json_option
def plan(path: Path | None, as_json: bool) -> None:
    """Test sequence, test time and failure coverage per design; origin vs. US testing.

    PATH is a programme folder; without it the built-in reference programme is used.
    """
    from rackforge import api

    plans, comparisons = api.factory_test_plans(load(path))
    if as_json:
        echo_json({"plans": [p.to_dict() for p in plans], "origin_vs_us": [c.to_dict() for c in comparisons]})
        return
    from rich.table import Table

    out = console()
    for p in plans:
        table = Table(title=f"{esc(p.design)} ({esc(p.generation)}): {p.test_h:.1f} h of test per rack",
                      title_justify="left")
        for col in ("step", "station kind", "hours", "basis"):
            table.add_column(col, justify="right" if col == "hours" else "left")
        for s in p.steps:
            table.add_row(esc(s.name), esc(s.station_kind), f"{s.duration_h:.2f}", esc(s.basis))
        out.print(table)
        cover = ", ".join(f"{k} {100 * v:.0f}%" for k, v in p.coverage.items())
        out.print(esc(f"  coverage: {cover}" + (f"; weak: {', '.join(p.weak)}" if p.weak else "")
                      + (f"; not applicable: {', '.join(p.not_applicable)}" if p.not_applicable else "")))
    table = Table(title="Testing at the origin vs. at the US site (per rack)", title_justify="left")
    for col in ("design", "origin", "origin days", "origin cost", "US days", "US cost", "US − origin"):
        table.add_column(col, justify="left" if col in ("design", "origin") else "right")
    for c in comparisons:
        d = c.to_dict()
        table.add_row(esc(c.design), esc(c.origin_country), f"{c.origin['days']:.1f}", money_cell(c.origin['cost_usd']),
                      f"{c.us['days']:.1f}", money_cell(c.us['cost_usd']),
                      money_cell(d['us_minus_origin_cost_usd']))
    out.print(table)


@tests.command("import")
@click.argument("operands", nargs=-1, required=True, metavar="[PATH] FILE")
@deprecated_programme_option()
@click.option("--into", "into", type=click.Path(path_type=Path),
              help="Save the validated results as CSV under INTO/test_results/ (e.g. the programme folder).")
@json_option
def import_(operands: tuple[str, ...], programme_option: Path | None, into: Path | None, as_json: bool) -> None:
    """Import per-rack-serial test results (CSV or JSON) and report yields.

    PATH is the programme folder whose designs and stations the rows are checked against; without
    it the rows are checked on their own (results come from your own line, not the reference one).
    Every row is checked first; any bad row is reported with file, line and column, and nothing
    is imported. The report gives yield, first-pass yield, failure Paretos by mode and by station,
    and the weekly trend. The format is in docs/factory.md; the reference programme ships a sample,
    test_results/houston-week10.csv ('rackforge init DIR' writes it too).
    """
    from rackforge import api
    from rackforge.errors import UsageError
    from rackforge.factory.testresults import write_normalised_csv

    programme_path, file = path_and_file(operands, "FILE, the results file (.csv or .json)")
    if programme_option is not None:
        if programme_path is not None:
            raise UsageError("two programme folders: give one, as PATH (--programme is deprecated)")
        warn_deprecated("--programme", "give the programme folder as PATH, the first argument")
        programme_path = programme_option

    if into is not None:
        from rackforge.io.files import check_output_file

        check_output_file(into / "test_results" / (file.stem + ".csv"))
    programme = load(programme_path) if programme_path is not None else None
    records, result = api.rack_test_results(file, programme)
    saved = None
    if into is not None:
        saved = into / "test_results" / (file.stem + ".csv")
        write_normalised_csv(records, saved)
    if as_json:
        data = result.to_dict()
        data["saved"] = None if saved is None else str(saved)
        echo_json(data)
        return
    _print_report(result, saved)


def _print_report(result: Any, saved: Path | None) -> None:
    from pandas.api.types import is_numeric_dtype
    from rich.table import Table

    out = console()
    out.print(f"[bold]{esc(result.file)}[/]: {result.serials} racks, {result.attempts} test attempts; yield "
              f"{100 * result.yield_:.1f}%, first-pass yield {100 * result.first_pass_yield:.1f}%")
    frames = (("By station", result.by_station), ("Failure Pareto by mode", result.pareto_modes),
              ("Failure Pareto by station and mode", result.pareto_stations), ("Weekly trend", result.weekly))
    for title, frame in frames:
        table = Table(title=title, title_justify="left")
        flat = frame.reset_index()
        for col in flat.columns:
            table.add_column(esc(col), justify="right" if is_numeric_dtype(flat[col]) else "left")
        for row in flat.itertuples(index=False):
            table.add_row(*(_cell(v) for v in row))
        out.print(table)
    if saved is not None:
        out.print(f"saved {esc(saved)}")


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return "–" if value != value else f"{value:.3f}"
    return esc(value)
