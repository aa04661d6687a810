"""``rackforge bom [PATH] [--design ID]``: bills of materials with landed costs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from rackforge.cli.common import console, echo_json, json_option, load, path_argument


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
    from rackforge.errors import UsageError, did_you_mean
    from rackforge.sourcing.analysis import analyse_sourcing
    from rackforge.sourcing.bom import indented_bom

    programme = load(path)
    analysis = analyse_sourcing(programme)
    planned = analysis.planned
    if design is not None and design not in planned:
        raise UsageError(f"design {design!r} is not in the build plan{did_you_mean(design, planned)}; "
                         f"planned: {', '.join(planned)}")
    designs = [design] if design else planned

    def unit(d: str) -> dict[str, float]:
        return dict(zip(analysis.structure.part_ids, analysis.design_unit_cost_usd(d, mode).tolist(), strict=True))

    tables = {
        "bom": analysis.bom(design, mode),
        "cost_by_category": analysis.cost_by_category(design, mode),
        "cost_by_assembly": analysis.cost_by_assembly(design, mode),
        "plan_cost": analysis.plan_cost(mode),
        "bom_tree": _concat_trees([indented_bom(programme.catalog, d, unit(d)) for d in designs], designs),
    }
    _write_outputs(tables, xlsx, csv_dir)
    if as_json:
        echo_json(_bom_json(tables, designs, mode))
        return
    _print_bom(tables, designs, tree, mode)


def _concat_trees(frames: list[Any], designs: list[str]) -> Any:
    import pandas as pd

    for frame, d in zip(frames, designs, strict=True):
        frame.insert(0, "design", d)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def _write_outputs(tables: dict[str, Any], xlsx: Path | None, csv_dir: Path | None) -> None:
    from rackforge.io.exchange import write_tables

    for target in (xlsx, csv_dir):
        if target is not None:
            for written in write_tables(tables, target):
                click.echo(f"wrote {written}", err=True)


def _records(frame: Any) -> list[dict[str, Any]]:
    from rackforge.sourcing.analysis import _records as records

    return records(frame)


def _bom_json(tables: dict[str, Any], designs: list[str], mode: str) -> dict[str, Any]:
    out = []
    for d in designs:
        flat = tables["bom"][tables["bom"]["design"] == d]
        cats = tables["cost_by_category"][tables["cost_by_category"]["design"] == d]
        asms = tables["cost_by_assembly"][tables["cost_by_assembly"]["design"] == d]
        out.append({
            "design": d,
            "cost_per_rack_usd": round(float(flat["cost_per_rack_usd"].sum()), 2),
            "parts": _records(flat.drop(columns=["design"]).round({"unit_cost_usd": 4, "cost_per_rack_usd": 2,
                                                                    "share_of_rack": 6})),
            "by_category": {r["category"]: round(r["cost_per_rack_usd"], 2) for r in _records(cats)},
            "assemblies": _records(asms.drop(columns=["design"]).round({"unit_cost_usd": 2, "cost_per_rack_usd": 2,
                                                                         "share_of_rack": 6})),
        })
    plan = tables["plan_cost"]
    return {"sources": mode, "designs": out,
            "plan_cost": _records(plan[plan["design"].isin(designs)].round(2))}


def _print_bom(tables: dict[str, Any], designs: list[str], tree: bool, mode: str) -> None:
    from rich.table import Table

    out = console()
    for d in designs:
        if tree:
            frame = tables["bom_tree"][tables["bom_tree"]["design"] == d]
            table = Table(title=f"{d}: indented BOM ({mode} sources)", title_justify="left")
            for col, justify in (("item", "left"), ("kind", "left"), ("qty/parent", "right"),
                                 ("qty/rack", "right"), ("unit cost", "right"), ("cost/rack", "right")):
                table.add_column(col, justify=justify)  # type: ignore[arg-type]
            for r in frame.itertuples():
                table.add_row("  " * (int(r.level) - 1) + str(r.ref), str(r.kind), str(r.quantity_per_parent),
                              str(r.quantity_per_rack), _usd(r.unit_cost_usd), _usd(r.cost_per_rack_usd))
            out.print(table)
        else:
            frame = tables["bom"][tables["bom"]["design"] == d].sort_values("cost_per_rack_usd", ascending=False)
            table = Table(title=f"{d}: bill of materials per rack ({mode} sources)", title_justify="left")
            for col, justify in (("part", "left"), ("category", "left"), ("qty", "right"), ("unit cost", "right"),
                                 ("cost/rack", "right"), ("share", "right")):
                table.add_column(col, justify=justify)  # type: ignore[arg-type]
            for r in frame.itertuples():
                table.add_row(str(r.part), str(r.category), str(r.quantity_per_rack), _usd(r.unit_cost_usd),
                              _usd(r.cost_per_rack_usd), f"{r.share_of_rack:.1%}")
            table.add_row("[bold]total[/]", "", "", "", f"[bold]{_usd(frame['cost_per_rack_usd'].sum())}[/]", "")
            out.print(table)
        cats = tables["cost_by_category"][tables["cost_by_category"]["design"] == d] \
            .sort_values("cost_per_rack_usd", ascending=False)
        out.print("  by category: " + ", ".join(f"{r.category} {_usd(r.cost_per_rack_usd)} ({r.share_of_rack:.0%})"
                                                for r in cats.itertuples()))
    plan = tables["plan_cost"]
    plan = plan[plan["design"].isin(designs)]
    if not plan.empty:
        per_quarter = plan.groupby("quarter", sort=False)[["racks", "cost_usd"]].sum()
        out.print("build plan: " + ", ".join(f"{q} {int(r.racks)} racks {_usd(r.cost_usd)}"
                                             for q, r in per_quarter.iterrows()))


def _usd(value: float) -> str:
    value = float(value)
    if abs(value) >= 1e6:
        return f"${value / 1e6:,.2f}M"
    if abs(value) >= 1e4:
        return f"${value / 1e3:,.1f}k"
    return f"${value:,.2f}"
