"""Section: which sourcing mix meets the plan at least cost, and what does resilience cost?

Presents :func:`rackforge.api.optimize_sweep` (the sourcing optimiser, a mixed-integer program solved
with HiGHS, under its default policy, :mod:`rackforge.optimize.policy`): the least-cost plan at the foot
of the cost-of-resilience curve, and the curve: least cost as the domestic-content target tightens, with
each plan's expected shortfall from the resilience Monte Carlo and the knee of the curve. The policy, its
relaxations and the summary curve's size are decided in the optimize package; this module lays them out.
"""

from __future__ import annotations

from typing import Any

from rackforge.report.charts import PALETTE, figure
from rackforge.report.columns import ColumnSpec
from rackforge.report.format import usd
from rackforge.report.framework import AssessContext, Chart, Section, SectionOutput, Table, needs_sources


def significant_knee(points: list[dict[str, Any]], knee_target: float | None,
                     gap_usd: float | None) -> dict[str, Any] | None:
    """The knee point of the cost-of-resilience curve, or None when there is none to mark: no knee was
    found, or its extra cost over the least-cost plan is within the solver's optimality gap [USD] (then
    the bend is solver noise, and the chart, notes and summary all say there is no knee)."""
    if knee_target is None:
        return None
    point = next((p for p in points if p["target"] == knee_target and p["cost_usd"] is not None), None)
    if point is None:
        return None
    if gap_usd is not None and abs(point["extra_cost_usd"]) <= gap_usd:
        return None
    return point


def largest_extra_cost(points: list[dict[str, Any]]) -> float | None:
    """The largest extra cost of any feasible point of the curve over the least-cost plan [USD]."""
    extras = [p["extra_cost_usd"] for p in points if p.get("extra_cost_usd") is not None]
    return max(extras) if extras else None


def relaxations_of(result: dict[str, Any]) -> list[dict[str, Any]]:
    """The optimiser's ways out of an infeasible plan in a result's JSON (``explanation.relaxations``:
    :meth:`rackforge.optimize.relaxations.Relaxation.to_dict`, each with its ``changes``, the relaxed
    plan's ``cost_usd`` [USD] and its ``message``); [] when the result has none."""
    explanation = result.get("explanation") or {}
    return list(explanation.get("relaxations") or [])


RELAXATION_COLUMNS = {
    "way_out": ColumnSpec("Way out", "text"), "target": ColumnSpec("Target changed", "text"),
    "asked": ColumnSpec("Asked", "percent"), "relaxed_to": ColumnSpec("Relaxed to", "text"),
    "cost_usd": ColumnSpec("Least cost with this change", "money"),
}
"""Headers of the ways-out table (``relaxed_to`` is text: a share, or "off")."""


def relaxations_block(result: dict[str, Any]) -> tuple[list[str], Table | None]:
    """A paragraph and a table of the smallest relaxations that make an infeasible plan feasible
    (:func:`relaxations_of`; each re-solved by the optimiser), or ([], None) when the result has none.

    The paragraph quotes each relaxation's own ``message`` (the analysis words it once); the table has
    one row per changed target: which way out it belongs to, the target, what was asked, what it is
    relaxed to [fraction, or "off"] and the relaxed plan's least cost [USD].
    """
    import pandas as pd

    from rackforge.report.format import percent

    items = relaxations_of(result)
    if not items:
        return [], None
    lead = "A plan exists with " + ("any one of these changes" if len(items) > 1 else "this change")
    paragraphs = [lead + ": " + "; or ".join(f"{r['message']} (least cost {usd(r['cost_usd'])})" for r in items)
                  + "."]
    rows = [{"way_out": i, "target": c["target"], "asked": c["asked"],
             "relaxed_to": "off" if c["relaxed_to"] is None else percent(c["relaxed_to"]), "cost_usd": r["cost_usd"]}
            for i, r in enumerate(items, 1) for c in r["changes"]]
    table = Table("ways_out", "Ways out: the smallest relaxations that give a plan (each re-solved)",
                  pd.DataFrame(rows, columns=list(RELAXATION_COLUMNS)), columns=RELAXATION_COLUMNS)
    return paragraphs, table


def _curve_chart(points: list[dict[str, Any]], knee: float | None, gap_usd: float | None = None) -> Any:
    import plotly.graph_objects as go

    feasible = [p for p in points if p["cost_usd"] is not None and p["target"] is not None
                and p["country_cap"] is None]
    small = max((p["target"] for p in feasible), default=1.0) < 0.1
    fig = figure(xaxis_title="domestic-content target (every design, every year)",
                 xaxis_tickformat=".1%" if small else ".0%", yaxis_title="extra cost over the least-cost plan [USD]",
                 yaxis_tickprefix="$",
                 margin={"l": 70, "r": 80, "t": 40, "b": 60})
    if gap_usd and feasible:
        xs = [p["target"] for p in feasible]
        fig.add_trace(go.Scatter(x=[min(xs), max(xs), max(xs), min(xs), min(xs)],
                                 y=[-gap_usd, -gap_usd, gap_usd, gap_usd, -gap_usd], fill="toself", mode="lines",
                                 line={"width": 0}, fillcolor="rgba(120,120,120,0.15)", hoverinfo="skip",
                                 name="within the solver's optimality gap"))
    fig.add_trace(go.Scatter(x=[p["target"] for p in feasible], y=[p["extra_cost_usd"] for p in feasible],
                             mode="lines+markers", name="extra cost", line={"color": PALETTE[0]}))
    risky = [p for p in feasible if p.get("expected_value_short_usd") is not None]
    if risky:
        fig.add_trace(go.Scatter(x=[p["target"] for p in risky], y=[p["expected_value_short_usd"] for p in risky],
                                 mode="lines+markers", name="expected value of racks short", yaxis="y2",
                                 line={"color": PALETTE[1], "dash": "dot"}))
        fig.update_layout(yaxis2={"title": "expected shortfall [USD]", "overlaying": "y", "side": "right",
                                  "tickprefix": "$", "showgrid": False})
    if knee is not None:
        at = next((p for p in feasible if p["target"] == knee), None)
        if at is not None:
            fig.add_trace(go.Scatter(x=[knee], y=[at["extra_cost_usd"]], mode="markers", name="knee",
                                     marker={"symbol": "star", "size": 14, "color": "#c44e52"}))
    return fig


def run(ctx: AssessContext) -> SectionOutput:
    """Solve the least-cost plan and sweep the domestic-content target, under the optimiser's default
    policy (:class:`~rackforge.optimize.policy.SourcingPolicy`, the same as ``rackforge optimize``):
    two qualified sources for critical parts, relaxed (and said so) when no plan meets that rule.
    Nothing is charted when no plan exists.
    """
    import pandas as pd

    from rackforge import api
    from rackforge.optimize.policy import (
        SUMMARY_SWEEP_POINTS,
        report_foot_solve_options,
        report_solve_options,
        summary_shortfall_scenarios,
    )

    options = ctx.options
    limits = {"gap": options.optimizer_gap, "time_limit_s": options.optimizer_time_limit_s}
    solve = report_solve_options(options.section_budget_s, **limits)
    foot_solve = report_foot_solve_options(options.section_budget_s, **limits)
    answer = api.optimize_sweep(ctx.programme, points=SUMMARY_SWEEP_POINTS, seed=options.seed,
                                scenarios=summary_shortfall_scenarios(options.scenarios), solve=solve,
                                foot_solve=foot_solve, progress=ctx.progress)
    least, curve = answer.least_cost, answer.curve
    base = least.result
    strict = least.strict.to_dict()
    relaxed = list(least.relaxed_rules)
    base_json = base.to_dict() if least.relaxed_rules else strict
    curve_json = curve.to_dict()
    feasible = [pt for pt in curve_json["points"] if pt["cost_usd"] is not None and pt["target"] is not None]
    gap = solve.mip_rel_gap
    data_out: dict[str, Any] = {"default_rules": strict, "relaxed_rules": relaxed, "least_cost": base_json,
                                "cost_of_resilience": curve_json, "feasible_points": len(feasible),
                                "mip_rel_gap": gap, "solver_time_limit_s": solve.time_limit_s,
                                "least_cost_time_limit_s": foot_solve.time_limit_s,
                                "solver_status": base.status_message,
                                "gap_usd": gap * base.objective_usd if base.plan is not None else None}
    knee = significant_knee(feasible, curve_json["knee_target"], data_out["gap_usd"])
    knee_note = None
    if knee is not None:
        data_out["knee"] = knee
    elif curve_json["knee_target"] is not None and data_out["gap_usd"] is not None:
        bend = next((pt for pt in feasible if pt["target"] == curve_json["knee_target"]), None)
        if bend is not None:
            data_out["knee_within_gap"] = bend
            knee_note = (f"the curve bends at a {bend['target']:.1%} target, but its extra cost "
                         f"({usd(bend['extra_cost_usd'])}) is within the solver's optimality gap "
                         f"({usd(data_out['gap_usd'])}): no knee is marked")
    if feasible:
        data_out["highest_feasible"] = max(feasible, key=lambda pt: pt["target"])
        data_out["largest_extra_cost_usd"] = largest_extra_cost(feasible)
    paragraphs = []
    if strict.get("cost_usd") is None and strict.get("explanation"):
        paragraphs.append("No sourcing mix meets every default rule: " + strict["explanation"]["summary"] + ".")
    if relaxed:
        paragraphs.append("The plan and curve below relax: " + ", ".join(relaxed) + ".")
    if base.plan is not None:
        paragraphs.append(f"The least-cost plan costs {usd(base.objective_usd)} ({base.status_message}).")
    elif base_json.get("explanation"):
        paragraphs.append("No plan meets the build plan: " + base_json["explanation"]["summary"] + ".")
    charts = []
    if feasible:
        charts.append(Chart(
            "cost-of-resilience", "Cost of resilience: least cost as the domestic-content target tightens",
            _curve_chart(curve_json["points"], knee["target"] if knee is not None else None, data_out["gap_usd"]),
            "Each point is a least-cost plan (HiGHS MIP) meeting the target, optimal to within the solver's "
            f"relative gap ({gap:.1%}, about {usd(gap * (base.objective_usd or 0.0))} here, so differences "
            "smaller than that are noise); dotted: the expected value of racks not delivered with that plan's "
            f"supply mix ({curve.shortfall_scenarios:,} Monte Carlo scenarios, common random numbers); star: the "
            "knee (Kneedle), marked only when its extra cost exceeds the solver's gap."))
    tables = [Table("cost_of_resilience", "Cost-of-resilience curve", curve.to_frame())]
    if base.plan is not None:
        tables.append(Table("optimal_allocation", "Least-cost allocation by part, site and quarter",
                            base.allocation_table(), max_html_rows=25))
        tables.append(Table("opened_sources", "Sources the least-cost plan opens",
                            pd.DataFrame(base.opened_sources())))
    notes = list(curve_json.get("notes", [])) + list(base_json.get("notes", []))
    if knee_note:
        notes.append(knee_note)
    more, relaxations = relaxations_block(next((r for r in (strict, base_json) if relaxations_of(r)), {}))
    paragraphs.extend(more)
    if relaxations is not None:
        tables.insert(0, relaxations)
    return SectionOutput(data=data_out, paragraphs=paragraphs, charts=charts, tables=tables, notes=notes,
                         analyses={"optimize": base, "cost_of_resilience": curve})


SECTION = Section("optimize", "Which sourcing mix? Least cost and the cost of resilience", run, applies=needs_sources,
                  requires=("rackforge.optimize.solve", "rackforge.optimize.sweep"),
                  question="Which sourcing mix meets the build plan at least cost, and what does more domestic "
                           "content or resilience cost?")
