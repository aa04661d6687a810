"""``rackforge buffers [PATH|TREE_FILE]``: strategic safety stock by the guaranteed-service model."""

from __future__ import annotations

from pathlib import Path

import click

from rackforge.cli.common import FiniteFloat, console, echo_json, esc, json_option, load


@click.command()
@click.argument("path", required=False, type=click.Path(path_type=Path))
@json_option
@click.option("--design", "designs", multiple=True, help="Design to place buffers for (repeatable; default: "
              "every planned design).")
@click.option("--service-level", type=FiniteFloat(0.5, 0.9999), help="Override the service level.")
def buffers(path: Path | None, as_json: bool, designs: tuple[str, ...], service_level: float | None) -> None:
    """Strategic safety stock: optimal service times and buffers on a supply tree.

    The guaranteed-service model of Graves & Willems (2000), solved exactly by dynamic
    programming. PATH is a programme folder (default: the built-in reference programme: one tree
    per planned design, from its bill of materials and sources, in weeks) or a supply-tree file
    (.yaml with 'supply_tree:' or .csv; see docs/resilience.md) for any supply chain.
    """
    from rackforge import api
    from rackforge.errors import UsageError

    if path is not None and path.is_file():
        if designs:
            raise UsageError("--design applies to a programme folder, not to a supply-tree file")
        results = api.buffers_for_tree(path, service_level)
        in_usd = False
    else:
        results = api.buffers(load(path), designs, service_level)
        in_usd = True
    if as_json:
        echo_json({"trees": [r.to_json() for r in results]})
        return
    from rich.table import Table

    out = console()
    for r in results:
        prefix = f"{r.tree.name}/"
        under = f" (stages under {esc(prefix)})" if any(s.stage.id.startswith(prefix) for s in r.stages) else ""
        table = Table(title=f"{esc(r.tree.name)}: service level {r.tree.service_level:.1%}, "
                            f"times in {esc(r.tree.period)}s{under}",
                      title_justify="left")
        for col in column_headers(r.tree.period, in_usd):
            if col == "stage":
                table.add_column(col, overflow="fold")
            else:  # name over unit, values never wrapped
                table.add_column(col.replace(" (", "\n("), justify="right", no_wrap=True)
        for s in r.stages:
            if s.safety_stock <= 0 and len(r.stages) > 25:
                continue
            stage = s.stage.id.removeprefix(prefix)
            table.add_row(esc(stage), str(s.stage.processing_periods), str(s.inbound_service_time),
                          str(s.service_time), str(s.net_replenishment_time), f"{s.demand_sigma_per_period:,.2f}",
                          f"{s.safety_stock:,.1f}", _cost(s.holding_cost, in_usd, cell=True))
        out.print(table)
        out.print(LEGEND.format(period=esc(r.tree.period)))
        hidden = sum(1 for s in r.stages if s.safety_stock <= 0) if len(r.stages) > 25 else 0
        note = f" ({hidden} stages without stock not shown)" if hidden else ""
        total = _cost(r.total_cost, in_usd, cell=False)
        out.print(f"total holding cost of safety stock: {total} per {esc(r.tree.period)}{note}")


def column_headers(period: str, in_usd: bool) -> tuple[str, ...]:
    """The buffers table's headers, each with its unit (times in the tree's ``period``; holding cost in USD
    for a programme's trees, in the file's own cost unit for a tree file); :data:`LEGEND` names the symbols."""
    unit = f"{period}s"
    cost = f"holding cost ($/{period})" if in_usd else f"holding cost (per {period})"
    return ("stage", f"T ({unit})", f"SI ({unit})", f"S ({unit})", f"τ ({unit})", f"σ (units/{period})",
            "safety stock (units)", cost)


LEGEND = ("T processing time, SI inbound service time (the longest S of its suppliers), S outbound service time "
          "quoted, τ = SI + T − S net replenishment time, σ standard deviation of demand per {period}; holding cost "
          "of the safety stock per {period}")
"""The symbols of the buffers table (Graves & Willems 2000), printed under it."""


def _cost(value: float, in_usd: bool, cell: bool) -> str:
    """A holding cost: money as a table cell or in a line when the tree's costs are in USD, else a number."""
    from rackforge.cli.common import money_cell, money_text

    if not in_usd:
        return f"{value:,.2f}"
    return money_cell(value) if cell else money_text(value)
