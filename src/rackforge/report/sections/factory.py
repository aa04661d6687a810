"""Section: can the US factory integrate and test the racks at the planned rate?

Presents :func:`rackforge.api.factory` (SimPy, replications with 95 % confidence intervals; the
programme's replications and the report's seed, so ``assess --seed N`` shows ``factory --seed N``'s
figures). Capacity planning (``factory --plan-capacity``) is not part of the report: it simulates
several station configurations and would cost more than the rest of the factory section. Shares its
result with the evaluation, whose test-yield criterion reads each design's first-pass rack-test yield
from it.
"""

from __future__ import annotations

from typing import Any

from rackforge.report.charts import PALETTE, figure
from rackforge.report.columns import ColumnSpec
from rackforge.report.framework import AssessContext, Chart, Section, SectionOutput, Table
from rackforge.schema import Programme


def applies(programme: Programme) -> str | None:
    """The section needs a ``factory:`` section in the programme."""
    return None if programme.factory is not None else "the programme has no 'factory:' section"


def material_cover(data: dict[str, Any]) -> dict[str, Any]:
    """Racks in the build plan, racks material allows and whether material limits the plan, as the
    analysis states them (``material_limit``: :func:`rackforge.factory.results.material_limit`, the facts
    :meth:`~rackforge.factory.results.FactoryResult.headline` words) [racks], with the released share
    [fraction]."""
    stated = data["material_limit"]
    planned, released = float(stated["planned_racks"]), float(stated["released_racks"])
    return {"planned_racks": planned, "released_racks": released, "short_racks": float(stated["short_racks"]),
            "material_limited": bool(stated["limited"]),
            "released_share": released / planned if planned > 0 else 1.0}


def factory_wording(data: dict[str, Any]) -> str:
    """The factory's verdict in words: the analysis's own headline
    (:meth:`~rackforge.factory.results.FactoryResult.headline`, as ``rackforge factory`` prints it; the
    material limit first when there is one), then throughput and the bottleneck [text]."""
    limited = data["material_cover"]["material_limited"]
    return (f"{data['headline']}. The line ships {data['racks_per_week_total']:.1f} racks per week against "
            f"{data['planned_racks_per_week_total']:.1f} {'released' if limited else 'planned'}; the bottleneck is "
            f"{data['bottleneck']} at {data['bottleneck_utilisation']:.0%} utilisation")


def run(ctx: AssessContext) -> SectionOutput:
    """Simulate the line over the build plan and chart throughput, utilisation and the bottleneck."""
    import datetime as dt

    import pandas as pd
    import plotly.graph_objects as go

    from rackforge import api

    p = ctx.programme
    result = api.factory(p, seed=ctx.options.seed)
    target = api.factory_confidence_target(p)
    data: dict[str, Any] = result.to_dict()
    data["confidence_target"] = target
    data["headline"] = result.headline(target)
    designs = data["designs"]
    stations = data["stations"]
    data["racks_per_week_total"] = sum(d["racks_per_week"] for d in designs.values())
    data["planned_racks_per_week_total"] = sum(d["planned_racks_per_week"] for d in designs.values())
    data["bottleneck_utilisation"] = stations[data["bottleneck"]]["utilisation"]
    data["material_cover"] = material_cover(data)
    names = {d.id: d.name.split(" (", 1)[0] for d in p.catalog.designs.values()}
    ids = list(designs)
    throughput = figure(barmode="group", yaxis_title="racks per week (mean over the window)")
    throughput.add_trace(go.Bar(name="planned", x=[names.get(d, d) for d in ids],
                                y=[designs[d]["planned_racks_per_week"] for d in ids], marker_color="#b8c4ce"))
    throughput.add_trace(go.Bar(name="simulated", x=[names.get(d, d) for d in ids],
                                y=[designs[d]["racks_per_week"] for d in ids],
                                error_y={"type": "data", "array": [designs[d]["racks_per_week_ci95"] for d in ids]}))
    station_ids = sorted(stations, key=lambda s: -stations[s]["utilisation"])
    colours = ["#c44e52" if s == data["bottleneck"] else PALETTE[0] for s in station_ids]
    top = max((stations[s]["utilisation"] + (stations[s]["utilisation_ci95"] or 0.0) for s in station_ids),
              default=1.0)
    utilisation = figure(yaxis_title="utilisation", yaxis_tickformat=".0%", yaxis_range=[0, max(1.05, top * 1.15)],
                         showlegend=False)
    utilisation.add_trace(go.Bar(
        x=[f"{s} ×{stations[s]['count']}" for s in station_ids], y=[stations[s]["utilisation"] for s in station_ids],
        error_y={"type": "data", "array": [stations[s]["utilisation_ci95"] for s in station_ids]},
        marker_color=colours, text=[f"{stations[s]['utilisation']:.0%}" for s in station_ids], textposition="outside",
        hovertemplate="%{x}: %{y:.1%} busy, mean wait %{customdata:.1f} h<extra></extra>",
        customdata=[stations[s]["mean_wait_h"] for s in station_ids]))
    charts = [
        Chart("factory-throughput", "Throughput: simulated vs planned racks per week", throughput,
              f"Means over {result.replications} replications with 95% confidence intervals."),
        Chart("factory-utilisation", f"Station utilisation (bottleneck: {data['bottleneck']}, red)", utilisation),
    ]
    weekly = data.get("weekly_shipped") or {}
    if any(weekly.values()):
        start = dt.date.fromisoformat(str(data["window"]["time_zero"])[:10])
        shipped = figure(yaxis_title="racks shipped per week", xaxis_title="week")
        for d, series in weekly.items():
            weeks = [(start + dt.timedelta(weeks=i)).isoformat() for i in range(len(series))]
            shipped.add_trace(go.Scatter(x=weeks, y=series, mode="lines", name=names.get(d, d)))
        charts.append(Chart("factory-weekly", "Racks shipped per week (mean over replications)", shipped))
    failures = pd.DataFrame(data["failures"], columns=["design", "step", "mode", "category", "failures", "escapes"])
    tables = [
        Table("factory_designs", "Per design: throughput, cycle time, yield", result.designs_frame().reset_index()),
        Table("factory_stations", "Per station: utilisation and waiting", result.stations_frame().reset_index(),
              columns={"count": ColumnSpec("Stations", "count")}),
        Table("factory_failures", "Test failures per rack by step and mode", failures, max_html_rows=15),
    ]
    paragraphs = [factory_wording(data) + "."]
    return SectionOutput(data=data, paragraphs=paragraphs, charts=charts, tables=tables, notes=list(result.notes),
                         analyses={"factory": result})


SECTION = Section("factory", "Can the factory keep up? Integration and test line", run, applies=applies,
                  requires=("rackforge.factory.results",),
                  question="Can the US factory integrate and test the racks at the planned rate, and where is "
                           "the bottleneck?")
