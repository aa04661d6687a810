"""``rackforge compare [PATH] [ID]...``: rack designs side by side and what changed between generations."""

from __future__ import annotations

from pathlib import Path

import click

from rackforge.cli.common import (
    console,
    deprecated_programme_option,
    echo_json,
    esc,
    json_option,
    load,
    split_path_operands,
)


@click.command()
@click.argument("operands", nargs=-1, metavar="[PATH] [ID]...")
@click.option("--design", "design_options", multiple=True, metavar="ID",
              help="A design to compare (repeatable; the same as giving its ID after PATH).")
@deprecated_programme_option()
@json_option
def compare(operands: tuple[str, ...], design_options: tuple[str, ...], programme_option: Path | None,
            as_json: bool) -> None:
    """Show rack designs side by side and what changed between generations.

    PATH is a programme folder (the first argument, when it is a folder); without it the built-in
    reference programme is used. Give two or more design ids (none: every design the programme
    checks). Columns are in generation order (by year); sentences say what changed from each design
    to the next.
    """
    from rackforge import api
    from rackforge.engineering.compare import COMPARED, display_value

    path, ids = split_path_operands(operands, programme_option)
    designs = (*ids, *design_options)
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
