"""Section: can the US factory integrate and test the racks at the planned rate?

Presents :func:`rackforge.api.factory` (SimPy, replications with 95 % confidence intervals, the same
seed and replications as ``rackforge factory``: the programme's). Shares its result with the evaluation,
whose test-yield criterion reads each design's first-pass rack-test yield from it.
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


MATERIAL_TOLERANCE_RACKS = 0.5
"""Racks released below the build plan before the report says material limits the plan [racks]."""


def material_cover(data: dict[str, Any]) -> dict[str, Any]:
    """Racks in the build plan, racks material allows (released, mean over replications) and whether
    material limits the plan. Uses the analysis's ``material_limit`` (racks ``released`` of ``planned``)
    when the result has one, else sums the designs' ``planned_racks`` and ``released``."""
    stated = data.get("material_limit")
    if isinstance(stated, dict) and stated.get("planned_racks") is not None and stated.get("released_racks") \
            is not None:
        planned, released = float(stated["planned_racks"]), float(stated["released_racks"])
    else:
        designs = data["designs"].values()
        planned = float(sum(d.get("planned_racks") or 0 for d in designs))
        released = float(sum(d.get("released") or 0.0 for d in designs))
    return {"planned_racks": planned, "released_racks": released,
            "material_limited": released < planned - MATERIAL_TOLERANCE_RACKS,
            "released_share": released / planned if planned > 0 else 1.0}


def plan_capacity_block(data: dict[str, Any]) -> tuple[list[str], Table | None]:
    """Paragraph and table for a capacity plan's risk, if the result has one (``plan_capacity``: a list
    of stations with their planned ``count``, ``utilisation`` [fraction] and the plan's ``confidence``
    [fraction]); ([], None) otherwise."""
    import pandas as pd

    rows = data.get("plan_capacity")
    if isinstance(rows, dict):
        rows = rows.get("stations")
    if not rows:
        return [], None
    frame = pd.DataFrame([{k: v for k, v in r.items() if not isinstance(v, dict | list)} for r in rows])
    hot = [r for r in rows if (r.get("utilisation") or 0.0) >= HOT_UTILISATION]
    text = (f"The capacity plan sets {len(rows)} station counts; "
            + (f"{len(hot)} run at {HOT_UTILISATION:.0%} utilisation or more "
               f"({', '.join(str(r.get('station', '?')) for r in hot)}), where queues grow fast and a "
               "breakdown or a yield dip delays the plan." if hot else
               f"none runs at {HOT_UTILISATION:.0%} utilisation or more."))
    return [text], Table("plan_capacity", "Capacity plan: stations, utilisation and the plan's confidence", frame)


HOT_UTILISATION = 0.85
"""Utilisation above which a capacity plan's station is called out as running hot [fraction]."""


def factory_wording(data: dict[str, Any], cover: dict[str, Any]) -> str:
    """The factory's verdict in words, material limit first when there is one (the executive summary
    says the same from the same fields) [text]."""
    limited = cover["material_limited"]
    text = ""
    if limited:
        text = (f"material covers only {cover['released_racks']:,.0f} of the {cover['planned_racks']:,.0f} racks in "
                "the build plan; for those, ")
    return text + (f"the line ships {data['racks_per_week_total']:.1f} racks per week against "
                   f"{data['planned_racks_per_week_total']:.1f} {'released' if limited else 'planned'}; the "
                   f"bottleneck is {data['bottleneck']} at {data['bottleneck_utilisation']:.0%} utilisation; "
                   f"{'the released racks ship on time' if limited else 'the plan is met'} in "
                   f"{data['plan_met_share']:.0%} of replications")


def run(ctx: AssessContext) -> SectionOutput:
    """Simulate the line over the build plan and chart throughput, utilisation and the bottleneck."""
    import datetime as dt

    import pandas as pd
    import plotly.graph_objects as go

    from rackforge import api

    p = ctx.programme
    result = api.factory(p)
    data: dict[str, Any] = result.to_dict()
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
    wording = factory_wording(data, data["material_cover"])
    paragraphs = [wording[:1].upper() + wording[1:] + "."]
    more, capacity = plan_capacity_block(data)
    paragraphs.extend(more)
    if capacity is not None:
        tables.insert(0, capacity)
    return SectionOutput(data=data, paragraphs=paragraphs, charts=charts, tables=tables, notes=list(result.notes),
                         analyses={"factory": result})


SECTION = Section("factory", "Can the factory keep up? Integration and test line", run, applies=applies,
                  requires=("rackforge.factory.results",),
                  question="Can the US factory integrate and test the racks at the planned rate, and where is "
                           "the bottleneck?")
