"""``rackforge compare ID ID...``: rack designs side by side and what changed between generations."""

from __future__ import annotations

from pathlib import Path

import click

from rackforge.cli.common import console, echo_json, json_option, load


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
    from rackforge.cli.check_cmd import select_designs
    from rackforge.engineering.compare import COMPARED, display_value, generation_changes, ordered, side_by_side
    from rackforge.engineering.design_checks import check_programme
    from rackforge.errors import UsageError

    programme = load(path)
    ids = select_designs(programme, designs)
    if len(ids) < 2:
        raise UsageError("give two or more design ids to compare, e.g. 'rackforge compare gb200-nvl72 gb300-nvl72'")
    reports = ordered(check_programme(programme, ids))
    changes = generation_changes(reports)
    if as_json:
        echo_json({"designs": [r.design_id for r in reports], "metrics": side_by_side(reports),
                   "changes": changes, "status": {r.design_id: r.status.label for r in reports}})
        return
    from rich.table import Table

    out = console()
    table = Table(title="designs side by side", title_justify="left")
    table.add_column("metric")
    for r in reports:
        table.add_column(f"{r.design_id}\n{r.generation} · {r.year}", justify="right")
    for spec in COMPARED:
        table.add_row(spec.label, *(display_value(spec, r.metrics.get(spec.key)) for r in reports))
    table.add_row("checks", *(r.status.label for r in reports))
    out.print(table)
    for change in changes:
        out.print(" ".join(change["sentences"]), highlight=False)
        out.print()
