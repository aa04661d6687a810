"""``rackforge bom [PATH] [--design ID]``: bills of materials with landed costs."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from rackforge.cli.common import console, echo_json, esc, json_option, load, path_argument

if TYPE_CHECKING:
    from rackforge.sourcing.bill_of_materials import BillOfMaterials


@click.command()
@path_argument
@click.option("--design", "design", metavar="ID", help="Only this design (default: every design in the build plan).")
@click.option("--tree", is_flag=True, help="Show the indented BOM (assemblies and their parts).")
@click.option("--sources", "mode", type=click.Choice(["qualified", "alternates"]), default="qualified",
              show_default=True, help="Cost parts with qualified sources only, or with alternates as qualified "
              "at the end of the plan.")
@json_option
@click.option("--xlsx", "xlsx", type=click.Path(path_type=Path), metavar="FILE",
              help="Also write the BOM tables to this Excel workbook.")
@click.option("--csv", "csv_dir", type=click.Path(path_type=Path), metavar="DIR",
              help="Also write the BOM tables as CSV files into this folder.")
def bom(path: Path | None, design: str | None, tree: bool, mode: str, as_json: bool, xlsx: Path | None,
        csv_dir: Path | None) -> None:
    """Explode rack designs into parts and roll up their cost.

    Quantities multiply through nested assemblies; each part is costed at the share-weighted
    landed cost of its sources (price + freight + duty to the integration site) as on the first
    day of the design's first build quarter (--sources alternates: its last build quarter).
    Costs are per rack; the build plan's cost per quarter, with each quarter's own sources, is
    in the 'plan_cost' table of --xlsx/--csv and the JSON.
    """
    from rackforge import api
    from rackforge.io.spreadsheets import check_tables_target

    for target in (xlsx, csv_dir):
        if target is not None:
            check_tables_target(target)
    bill = api.bill_of_materials(load(path), design, "alternates" if mode == "alternates" else "qualified")
    _write_outputs(bill.tables, xlsx, csv_dir)
    if as_json:
        echo_json(bill.to_json())
        return
    _print_bom(bill, tree)


def _write_outputs(tables: dict[str, Any], xlsx: Path | None, csv_dir: Path | None) -> None:
    from rackforge.io.spreadsheets import write_tables

    for target in (xlsx, csv_dir):
        if target is not None:
            for written in write_tables(tables, target):
                click.echo(f"wrote {written}", err=True)


def _print_bom(bill: BillOfMaterials, tree: bool) -> None:
    from rich.table import Table

    out = console()
    tables: dict[str, Any] = bill.tables
    mode = bill.sources
    for d in bill.designs:
        if tree:
            frame = tables["bom_tree"][tables["bom_tree"]["design"] == d]
            table = Table(title=f"{d}: indented BOM ({mode} sources)", title_justify="left")
            for col, justify in (("item", "left"), ("kind", "left"), ("qty/parent", "right"),
                                 ("qty/rack", "right"), ("unit cost", "right"), ("cost/rack", "right")):
                table.add_column(col, justify=justify)  # type: ignore[arg-type]
            for r in frame.itertuples():
                table.add_row("  " * (int(r.level) - 1) + esc(r.ref), esc(r.kind), str(r.quantity_per_parent),
                              str(r.quantity_per_rack), _cell(r.unit_cost_usd), _cell(r.cost_per_rack_usd))
            out.print(table)
        else:
            frame = tables["bom"][tables["bom"]["design"] == d].sort_values("cost_per_rack_usd", ascending=False)
            table = Table(title=f"{d}: bill of materials per rack ({mode} sources)", title_justify="left")
            for col, justify in (("part", "left"), ("category", "left"), ("qty", "right"), ("unit cost", "right"),
                                 ("cost/rack", "right"), ("share", "right")):
                table.add_column(col, justify=justify)  # type: ignore[arg-type]
            for r in frame.itertuples():
                table.add_row(esc(r.part), esc(r.category), str(r.quantity_per_rack), _cell(r.unit_cost_usd),
                              _cell(r.cost_per_rack_usd), f"{r.share_of_rack:.1%}")
            table.add_row("[bold]total[/]", "", "", "", f"[bold]{_cell(frame['cost_per_rack_usd'].sum())}[/]", "")
            out.print(table)
        cats = tables["cost_by_category"][tables["cost_by_category"]["design"] == d] \
            .sort_values("cost_per_rack_usd", ascending=False)
        out.print("  by category: " + ", ".join(f"{esc(r.category)} {_usd(r.cost_per_rack_usd)} ({r.share_of_rack:.0%})"
                                                for r in cats.itertuples()))
    plan = bill.plan_cost()
    if not plan.empty:
        per_quarter = plan.groupby("quarter", sort=False)[["racks", "cost_usd"]].sum()
        out.print("build plan: " + ", ".join(f"{q} {int(r.racks)} racks {_usd(r.cost_usd)}"
                                             for q, r in per_quarter.iterrows()))


def _usd(value: float) -> str:
    from rackforge.cli.common import money_text

    return money_text(value)


def _cell(value: float) -> str:
    from rackforge.cli.common import money_cell

    return money_cell(value)
