"""Section: how ready is each part for US manufacturing (manufacturing readiness levels)?

Presents :func:`rackforge.api.readiness` and :func:`rackforge.api.design_readiness` (the MRL of the
least ready assessed part or assembly of each design, which the evaluation's readiness criterion uses).
"""

from __future__ import annotations

from typing import Any

from rackforge.report.charts import figure
from rackforge.report.framework import AssessContext, Chart, Section, SectionOutput, Table
from rackforge.schema import Programme


def applies(programme: Programme) -> str | None:
    """The section needs a ``readiness:`` section in the programme."""
    return None if programme.readiness is not None else "the programme has no 'readiness:' section"


def run(ctx: AssessContext) -> SectionOutput:
    """Score the readiness assessments and draw the heat map of levels by thread."""
    import pandas as pd
    import plotly.graph_objects as go

    from rackforge import api

    p = ctx.programme
    result = api.readiness(p)
    data: dict[str, Any] = result.to_dict()
    rows = data["assessments"]
    data["design_mrl"] = api.design_readiness(p, result)
    data["assessed"] = len(rows)
    data["gap_count"] = len(data["gaps"])
    if rows:
        low = min((r for r in rows if r["mrl"] is not None), key=lambda r: r["mrl"], default=None)
        data["lowest"] = low
    heat = data["heatmap"]
    threads = heat["threads"]
    labels = heat["rows"]
    z = [[*levels, mrl] for levels, mrl in zip(heat["levels"], heat["mrl"], strict=True)]
    fig = figure(height=max(320, 90 + 26 * len(labels)), margin={"l": 260, "r": 20, "t": 30, "b": 80})
    fig.add_trace(go.Heatmap(
        x=[*threads, "MRL"], y=labels, z=z, zmin=1, zmax=10, colorscale="RdYlGn",
        text=[["N/A" if v is None else str(v) for v in row] for row in z], texttemplate="%{text}",
        colorbar={"title": "MRL"}, hovertemplate="%{y} · %{x}: MRL %{z}<extra></extra>"))
    fig.update_yaxes(autorange="reversed")
    gaps = pd.DataFrame(data["gaps"], columns=["part", "site", "thread", "level", "criterion", "text", "action",
                                               "status"])
    assessments = pd.DataFrame([{k: (", ".join(v) if isinstance(v, list) else v) for k, v in r.items()
                                 if k != "levels"} for r in rows])
    unassessed = pd.DataFrame(data["unassessed"], columns=["part", "site"])
    tables = [Table("readiness", "Assessments: MRL per part and site", assessments),
              Table("readiness_gaps", "Gaps to the target MRL and the actions that close them", gaps,
                    max_html_rows=20),
              Table("readiness_unassessed", "US sources nobody has assessed", unassessed)]
    paragraphs = [f"{len(rows)} part-site pairs assessed on the MRL Deskbook threads; {len(data['gaps'])} gaps "
                  "to the target level, each with the action that closes it."]
    return SectionOutput(data=data, paragraphs=paragraphs, tables=tables,
                         charts=[Chart("readiness-heatmap", "Readiness heat map: level per thread (MRL = lowest)",
                                       fig, "Manufacturing readiness levels 1-10 (DoD MRL Deskbook); "
                                            "N/A: thread not applicable.")],
                         analyses={"readiness": result})


SECTION = Section("readiness", "How ready is US manufacturing? Readiness levels", run, applies=applies,
                  requires=("rackforge.readiness.scoring",),
                  question="How ready is each part and site for US production, and what closes the gaps?")
