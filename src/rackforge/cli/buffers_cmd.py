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
    else:
        results = api.buffers(load(path), designs, service_level)
    if as_json:
        echo_json({"trees": [r.to_json() for r in results]})
        return
    from rich.table import Table

    out = console()
    for r in results:
        table = Table(title=f"{esc(r.tree.name)}: service level {r.tree.service_level:.1%}, "
                            f"times in {esc(r.tree.period)}s",
                      title_justify="left")
        for col in ("stage", "T", "SI", "S", "τ", "σ", "safety stock", "cost/period"):
            table.add_column(col, justify="left" if col == "stage" else "right")
        for s in r.stages:
            if s.safety_stock <= 0 and len(r.stages) > 25:
                continue
            table.add_row(esc(s.stage.id), str(s.stage.processing_periods), str(s.inbound_service_time),
                          str(s.service_time), str(s.net_replenishment_time), f"{s.demand_sigma_per_period:,.2f}",
                          f"{s.safety_stock:,.1f}", f"{s.holding_cost:,.2f}")
        out.print(table)
        hidden = sum(1 for s in r.stages if s.safety_stock <= 0) if len(r.stages) > 25 else 0
        note = f" ({hidden} stages without stock not shown)" if hidden else ""
        out.print(f"total holding cost of safety stock: {r.total_cost:,.2f} per {esc(r.tree.period)}{note}")
