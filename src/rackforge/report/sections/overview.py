"""Section: the programme at a glance — designs, build plan by quarter, integration site."""

from __future__ import annotations

from typing import Any

from rackforge.report.charts import figure
from rackforge.report.columns import ColumnSpec
from rackforge.report.format import short_name
from rackforge.report.framework import AssessContext, Chart, Section, SectionOutput, Table


def run(ctx: AssessContext) -> SectionOutput:
    """Designs in the plan and racks per quarter."""
    import pandas as pd
    import plotly.graph_objects as go

    p = ctx.programme
    plan = p.build_plan
    quarters = plan.quarter_list
    site = p.integration_site
    designs: list[dict[str, Any]] = [
        {"id": d.id, "name": d.name, "short_name": short_name(d.name), "generation": d.generation, "year": d.year,
         "status": d.status,
         "racks_planned": sum(plan.racks(d.id).values())} for d in p.planned_designs]
    racks_by_quarter: dict[str, dict[str, int]] = {
        q: {d["id"]: plan.racks(d["id"])[q] for d in designs} for q in quarters}
    total = sum(d["racks_planned"] for d in designs)
    data: dict[str, Any] = {
        "name": p.info.name,
        "description": p.info.description,
        "integration_site": {"id": site.id, "name": site.name, "country": site.country, "city": site.city},
        "designs": designs,
        "design_count": len(designs),
        "quarters": quarters,
        "racks_by_quarter": racks_by_quarter,
        "racks_total": total,
    }
    fig = figure(barmode="stack", xaxis_title="quarter", yaxis_title="racks")
    for d in designs:
        fig.add_trace(go.Bar(name=d["short_name"], x=quarters, y=[racks_by_quarter[q][d["id"]] for q in quarters]))
    frame = pd.DataFrame([{"quarter": q, **{d["id"]: racks_by_quarter[q][d["id"]] for d in designs},
                           "total_racks": sum(racks_by_quarter[q].values())} for q in quarters])
    plural = "s" if len(designs) != 1 else ""
    paragraphs = [f"{p.info.name}: {total:,} racks of {len(designs)} design{plural} from {quarters[0]} to "
                  f"{quarters[-1]}, "
                  f"integrated and tested at {site.name} ({site.city + ', ' if site.city else ''}{site.country})."]
    if p.info.description:
        paragraphs.insert(0, p.info.description)
    return SectionOutput(
        data=data, paragraphs=paragraphs,
        tables=[Table("build_plan", "Build plan: racks per quarter", frame,
                      columns={d["id"]: ColumnSpec(d["short_name"], "count", "racks") for d in designs})],
        charts=[Chart("build-plan", "Racks to build per quarter", fig)],
    )


SECTION = Section("programme", "The programme", run, question="What is being built, where and when?")
