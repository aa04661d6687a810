"""Section: early-access evaluation — scorecards, weight sensitivity, options to buy, decision record."""

from __future__ import annotations

from rackforge.report.charts import figure
from rackforge.report.format import short_name
from rackforge.report.framework import AssessContext, Chart, Section, SectionOutput, Table
from rackforge.schema import Programme


def applies(programme: Programme) -> str | None:
    """The section needs an ``evaluations:`` section in the programme."""
    return None if programme.evaluations is not None else "the programme has no 'evaluations:' section"


def check(programme: Programme) -> None:
    """Cross-references of the evaluations section (designs, decisions), located at file and line."""
    from rackforge.evaluate.checks import check_evaluations

    if programme.evaluations is not None:
        check_evaluations(programme, programme.evaluations)


def run(ctx: AssessContext) -> SectionOutput:
    """Score the evaluated systems with the analyses computed so far."""
    import pandas as pd
    import plotly.graph_objects as go

    from rackforge import api

    result = api.evaluate(ctx.programme, shared=ctx.analyses)
    data = {**result.to_json(), "system_count": len(result.systems)}
    used = result.used_criteria
    systems = list(reversed(result.systems))  # best at the top of a horizontal bar chart
    scorecard = figure(barmode="stack", xaxis_title="weighted score (0-1)", xaxis_range=[0, 1.02],
                       height=max(260, 90 + 60 * len(systems)))
    for c in used:
        scorecard.add_trace(go.Bar(name=f"{c.id} ({c.weight:.0%})", orientation="h",
                                   y=[f"{s.id} ({s.vendor})" for s in systems],
                                   x=[s.contribution[c.id] for s in systems]))
    charts = [Chart("evaluation-scorecards", "Scorecards: weighted contribution of each criterion", scorecard,
                    "Each bar segment is weight × normalised value (1 = best of the systems evaluated).")]
    if result.sensitivity:
        sens = figure(xaxis_title="weight of the criterion", xaxis_range=[-0.03, 1.03], xaxis_tickformat=".0%",
                      showlegend=False,
                      height=max(260, 90 + 50 * len(result.sensitivity)))
        labels = [x.criterion for x in result.sensitivity]
        lo = [x.lower_to if x.lower_to is not None else 0.0 for x in result.sensitivity]
        hi = [x.raise_to if x.raise_to is not None else 1.0 for x in result.sensitivity]
        sens.add_trace(go.Bar(orientation="h", y=labels, base=lo, x=[h - lw for h, lw in zip(hi, lo, strict=True)],
                              marker_color="#c9dcea", name=f"{result.top.id} stays first",
                              hovertemplate="%{y}: top unchanged for weights %{base:.0%}–%{x:.0%}<extra></extra>"))
        sens.add_trace(go.Scatter(mode="markers", y=labels, x=[x.weight for x in result.sensitivity],
                                  marker={"symbol": "diamond", "size": 11, "color": "#1f5f8b"}, name="current weight"))
        charts.append(Chart("evaluation-sensitivity", f"Weights over which {result.top.id} stays first", sens,
                            "Shaded: the range of one criterion's weight (others rescaled in proportion) over "
                            "which the top choice does not change; the diamond is the current weight."))
    tables = [
        Table("evaluation_scores", "Scorecards", result.scorecard_frame()),
        Table("evaluation_weights", "What flips the top choice", pd.DataFrame([{
            "criterion": x.criterion, "weight": x.weight, "raise_to": x.raise_to, "then_top": x.raise_new_top,
            "lower_to": x.lower_to, "then_top_if_lowered": x.lower_new_top, "smallest_change": x.smallest_change,
        } for x in result.sensitivity])) if result.sensitivity else None,
        Table("options", "Options to buy", pd.DataFrame([{
            "system": o.system, "exercise_by": o.exercise_by, "days_to_deadline": o.days_to_deadline,
            "status": o.status, "latest_action": o.latest_action, "latest_date": o.latest_date,
        } for o in result.options]).astype({"days_to_deadline": "Int64"})),
        Table("decisions", "Decision record", pd.DataFrame([{
            "date": d.date, "system": d.system, "action": d.action.value, "by": d.by, "rationale": d.rationale,
        } for d in result.decisions], columns=["date", "system", "action", "by", "rationale"])),
    ]
    top = result.top
    paragraphs = [f"{len(result.systems)} systems evaluated on {len(used)} criteria as of {result.as_of}; "
                  f"{top.id} ({top.vendor}, {short_name(top.design_name)}) ranks first with a score of "
                  f"{top.score:.3f}."]
    return SectionOutput(data=data, paragraphs=paragraphs, tables=[t for t in tables if t is not None],
                         charts=charts, notes=list(result.notes))


SECTION = Section("evaluation", "Early-access evaluation and the option to buy", run, applies=applies, check=check,
                  question="Which early-access system should we take the option on, and how firm is that choice?")
