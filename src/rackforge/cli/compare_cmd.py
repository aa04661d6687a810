"""``rackforge compare ID ID...``: rack designs side by side and what changed between generations."""

from __future__ import annotations

from pathlib import Path

import click

from rackforge.cli.common import console, echo_json, esc, json_option, load


@click.command()
@click.argument("designs", nargs=-1, metavar="[ID]...")
@click.option("-p", "--programme", "path", type=click.Path(path_type=Path), default=None,
              help="Programme folder whose facility and designs to use (default: the built-in reference programme).")
@json_option
def compare(designs: tuple[str, ...], path: Path | None, as_json: bool) -> None:
    """Show rack designs side by side and what changed between generations.

    Give two or more design ids (none: every design the programme checks). Columns are in
    generation order (by year); sentences say what changed from each design to the next.
    """
    from rackforge import api
    from rackforge.engineering.compare import COMPARED, display_value

    comparison = api.compare_designs(load(path), designs)
    if as_json:
        echo_json(comparison.to_json())
        return
    reports, changes = comparison.reports, comparison.changes
    from rich.table import Table

    out = console()
    table = Table(title="designs side by side", title_justify="left")
    table.add_column("metric")
    for r in reports:
        table.add_column(esc(f"{r.design_id}\n{r.generation} · {r.year}"), justify="right")
    for spec in COMPARED:
        table.add_row(esc(spec.label), *(esc(display_value(spec, r.metrics.get(spec.key))) for r in reports))
    table.add_row("checks", *(r.status.label for r in reports))
    out.print(table)
    for change in changes:
        out.print(" ".join(change["sentences"]), highlight=False, markup=False)
        out.print()
