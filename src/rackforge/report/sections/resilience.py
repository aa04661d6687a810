"""Section: what if a region is cut off? Stress test (TTS vs TTR) and Monte Carlo of racks delivered.

Presents :func:`rackforge.api.stress_test` (Simchi-Levi time-to-survive and time-to-recover per site,
country and region), :func:`rackforge.api.simulate` (racks delivered per quarter under the programme's
disruption library, ``--scenarios`` and ``--seed``, the same defaults as ``rackforge simulate``) and
:func:`rackforge.api.buffers` (strategic safety stock).
"""

from __future__ import annotations

from typing import Any

from rackforge.report.charts import PALETTE, figure
from rackforge.report.columns import ColumnSpec
from rackforge.report.format import short_name, usd
from rackforge.report.framework import AssessContext, Chart, Section, SectionOutput, Table, all_of, needs_sources
from rackforge.schema import Programme


def applies(programme: Programme) -> str | None:
    """The section needs a ``scenarios:`` section (the disruption library)."""
    return None if programme.scenarios is not None else "the programme has no 'scenarios:' section"


def shortfall_size(mc_json: dict[str, Any]) -> dict[str, Any]:
    """How big the Monte Carlo shortfall is: expected racks short over all designs [racks], racks planned
    [racks] and their ratio [fraction], from the simulation's own summary."""
    expected = float(sum((mc_json["summary"].get("expected_racks_short") or {}).values()))
    planned = float(sum(r["plan"] for rows in mc_json["designs"].values() for r in rows))
    return {"expected_racks_short": expected, "planned_racks": planned,
            "expected_share_short": expected / planned if planned > 0 else 0.0}


def shortfall_wording(summary: dict[str, Any], size: dict[str, Any]) -> str:
    """The shortfall with its size: the chance of missing more than 1% of the plan first, then of any
    shortfall, then the expected racks short [text] (the executive summary says the same from the same fields)."""
    text = ""
    over = summary.get("probability_of_shortfall_over_1pct")
    if over is not None:
        text = f"the plan misses more than 1% of its racks in {over:.1%} of scenarios (any shortfall at all: "
        text += f"{summary['probability_of_shortfall']:.1%})"
    else:
        text = f"the plan falls short in {summary['probability_of_shortfall']:.1%} of scenarios"
    return (text + f"; on average {size['expected_racks_short']:,.1f} of {size['planned_racks']:,.0f} planned racks "
            f"({size['expected_share_short']:.1%}) are not delivered")


def stacked_points(nodes: list[dict[str, Any]], never: float) -> list[dict[str, Any]]:
    """Nodes that share a (TTR, TTS, exposed) point, merged into one point with a count and their names,
    so stacked points are seen as many; a node the plan survives indefinitely sits at ``never`` [weeks]."""
    groups: dict[tuple[float, float, bool], dict[str, Any]] = {}
    for n in nodes:
        y = n["tts_weeks"] if n["tts_weeks"] is not None else never
        key = (round(n["ttr_weeks"], 3), round(y, 3), bool(n["exposed"]))
        group = groups.setdefault(key, {"ttr": n["ttr_weeks"], "tts": y, "exposed": bool(n["exposed"]),
                                        "names": [], "value_lost_usd": 0.0})
        group["names"].append(f"{n['kind']} {n['name']}")
        group["value_lost_usd"] += n["impact"]["value_lost_usd"]
    return list(groups.values())


def _hover_names(names: list[str], most: int = 12) -> str:
    shown = "<br>".join(names[:most])
    return shown + (f"<br>and {len(names) - most} more" if len(names) > most else "")


def _tts_ttr_chart(nodes: list[dict[str, Any]]) -> Any:
    import math

    import plotly.graph_objects as go

    finite = [n["tts_weeks"] for n in nodes if n["tts_weeks"] is not None]
    never = max([*finite, *(n["ttr_weeks"] for n in nodes), 1.0]) * 1.1
    pad = never * 0.08
    fig = figure(xaxis_title="time to recover, TTR [weeks]", yaxis_title="time to survive, TTS [weeks]",
                 xaxis_range=[-pad, never + pad], yaxis_range=[-pad, never + 1.5 * pad])
    fig.add_trace(go.Scatter(x=[0, never], y=[0, never], mode="lines", name="TTS = TTR",
                             line={"color": "#888", "dash": "dash"}, hoverinfo="skip"))
    if any(n["tts_weeks"] is None for n in nodes):
        fig.add_trace(go.Scatter(x=[0, never], y=[never, never], mode="lines", name="survives indefinitely",
                                 line={"color": "#bbb", "dash": "dot"}, hoverinfo="skip"))
    points = stacked_points(nodes, never)
    for exposed, colour, label in ((True, "#c44e52", "exposed (TTR > TTS)"), (False, PALETTE[0], "survives")):
        group = [p for p in points if p["exposed"] == exposed]
        if not group:
            continue
        fig.add_trace(go.Scatter(
            x=[p["ttr"] for p in group], y=[p["tts"] for p in group], mode="markers+text", name=label,
            marker={"color": colour, "size": [9 + 4 * math.sqrt(len(p["names"]) - 1) for p in group],
                    "opacity": 0.75, "line": {"color": "#fff", "width": 1}},
            text=[f"×{len(p['names'])}" if len(p["names"]) > 1 else "" for p in group], textposition="top center",
            textfont={"size": 10, "color": colour},
            customdata=[[_hover_names(p["names"]), p["value_lost_usd"], len(p["names"])] for p in group],
            hovertemplate=("%{customdata[0]}<br>TTR %{x:.1f} wk, TTS %{y:.1f} wk (%{customdata[2]} here)<br>"
                           "value lost $%{customdata[1]:,.0f}<extra></extra>")))
    return fig


def _fan_chart(designs: dict[str, list[dict[str, Any]]], names: dict[str, str]) -> Any:
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    ids = list(designs)
    fig = make_subplots(rows=1, cols=len(ids), subplot_titles=[names.get(d, d) for d in ids], shared_yaxes=False)
    fig.update_layout(template="plotly_white", height=420, margin={"l": 60, "r": 20, "t": 60, "b": 60},
                      legend={"orientation": "h", "yanchor": "bottom", "y": 1.08, "x": 0})
    for i, design in enumerate(ids, start=1):
        rows = designs[design]
        quarters = [r["quarter"] for r in rows]
        first = i == 1
        fig.add_trace(go.Scatter(x=quarters, y=[r["p90"] for r in rows], mode="lines", line={"width": 0},
                                 showlegend=False, hoverinfo="skip"), row=1, col=i)
        fig.add_trace(go.Scatter(x=quarters, y=[r["p10"] for r in rows], mode="lines", line={"width": 0},
                                 fill="tonexty", fillcolor="rgba(31,95,139,0.25)", name="P10–P90",
                                 showlegend=first, legendgroup="band"), row=1, col=i)
        fig.add_trace(go.Scatter(x=quarters, y=[r["p50"] for r in rows], mode="lines+markers", name="median",
                                 line={"color": PALETTE[0]}, showlegend=first, legendgroup="p50"), row=1, col=i)
        fig.add_trace(go.Scatter(x=quarters, y=[r["plan"] for r in rows], mode="lines", name="plan",
                                 line={"color": "#222", "dash": "dash"}, showlegend=first, legendgroup="plan"),
                      row=1, col=i)
    fig.update_yaxes(title_text="racks delivered per quarter", row=1, col=1)
    return fig


def safety_stock(programme: Programme) -> tuple[list[dict[str, Any]], Any] | None:
    """Optimal safety stock per planned design (Graves-Willems), as JSON and a frame of the stocked stages,
    or None when the safety-stock model is not installed."""
    import importlib.util

    if importlib.util.find_spec("rackforge.resilience.safety_stock") is None:
        return None
    import pandas as pd

    from rackforge import api

    results = api.buffers(programme)
    trees = [r.to_json() for r in results]
    rows = [{"design": r.tree.name, **stage} for r, tree in zip(results, trees, strict=True)
            for stage in tree["stages"] if stage["safety_stock"] > 0]
    return trees, pd.DataFrame(rows)


def stage_columns(periods: set[str]) -> dict[str, ColumnSpec]:
    """Headers of the safety-stock table in the trees' period (a week unless a tree says otherwise)."""
    per = periods.pop() if len(periods) == 1 else "period"
    times = f"{per}s"
    return {"processing_time": ColumnSpec("Processing time", "number", times),
            "service_time": ColumnSpec("Outbound service time", "number", times),
            "inbound_service_time": ColumnSpec("Inbound service time", "number", times),
            "net_replenishment_time": ColumnSpec("Net replenishment time", "number", times),
            "demand_sigma": ColumnSpec(f"Demand σ per {per}", "number", "units"),
            "holding_cost": ColumnSpec("Holding cost of the buffer", "money", f"USD/{per}")}


def _buffer_chart(stocked: Any, names: dict[str, str], top: int = 15) -> Any:
    import plotly.graph_objects as go

    best = stocked.sort_values("holding_cost", ascending=False).head(top).iloc[::-1]
    fig = figure(height=max(300, 90 + 24 * len(best)), xaxis_title="holding cost of the buffer [USD per week]",
                 margin={"l": 330, "r": 20, "t": 30, "b": 60}, showlegend=False)
    fig.add_trace(go.Bar(orientation="h", x=best["holding_cost"].tolist(),
                         y=[f"{names.get(d, d)} · {short_name(n) if n else s.rsplit('/', 1)[-1]}"[:60]
                            for d, n, s in zip(best["design"], best["name"], best["stage"], strict=True)],
                         customdata=best["safety_stock"].tolist(),
                         hovertemplate="%{y}: %{customdata:,.1f} units, $%{x:,.0f}/week<extra></extra>"))
    return fig


def run(ctx: AssessContext) -> SectionOutput:
    """Stress-test every site, country and region; simulate racks delivered under the disruption library."""
    import pandas as pd

    from rackforge import api

    p = ctx.programme
    stress = api.stress_test(p)
    stress_json = stress.to_json()
    mc = api.simulate(p, ctx.options.scenarios, ctx.options.seed)
    mc_json = mc.to_json()
    nodes = stress_json["nodes"]
    exposed = [n for n in nodes if n["exposed"]]
    data: dict[str, Any] = {"stress": stress_json, "monte_carlo": mc_json,
                            "exposed_count": len(exposed), "nodes_tested": len(nodes),
                            "shortfall": shortfall_size(mc_json)}
    if exposed:
        data["most_exposed"] = exposed[0]
    names = {d.id: short_name(d.name) for d in p.catalog.designs.values()}
    charts = [
        Chart("tts-ttr", "Time to survive vs time to recover, per site, country and region",
              _tts_ttr_chart(nodes), "Below the diagonal a disruption outlasts the stock and alternates "
              "(exposed); nodes the plan survives indefinitely are drawn on the dotted line at the top. Nodes with the "
              "same TTS and TTR share one point, sized and labelled by their number (×N); hover lists them."),
        Chart("monte-carlo-fan", f"Racks delivered per quarter: Monte Carlo fan ({mc.scenarios:,} scenarios)",
              _fan_chart(mc_json["designs"], names), f"Seed {mc.seed}; the band spans the 10th to 90th percentile "
              "of racks delivered; dashed: the build plan."),
    ]
    tables = [
        Table("stress_test", "Stress test: TTS and TTR per node (exposed first)", stress.to_frame(),
              max_html_rows=20),
        Table("monte_carlo", "Racks delivered per design and quarter", mc.to_frame(), max_html_rows=40),
        Table("shortfall_by_part", "Parts still owed at the end of the plan",
              pd.DataFrame(mc_json["shortfall_by_part"]), max_html_rows=15),
        Table("shortfall_by_event", "Shortfall by disruption event", pd.DataFrame(mc_json["shortfall_by_event"])),
    ]
    buffers = safety_stock(p)
    if buffers is not None:
        trees, stocked = buffers
        data["safety_stock"] = {"trees": trees,
                                "holding_cost_usd_per_week": sum(t["total_cost"] for t in trees),
                                "stocked_stages": len(stocked)}
        if not stocked.empty:
            charts.append(Chart("safety-stock", "Where the buffers sit: optimal safety stock by stage",
                                _buffer_chart(stocked, names),
                                "Guaranteed-service model (Graves & Willems 2000), solved exactly on each design's "
                                "supply tree; the stages with the largest holding cost of their buffer."))
        tables.append(Table("safety_stock", "Safety stock: stocked stages", stocked, max_html_rows=20,
                            columns=stage_columns({t.get("period", "period") for t in trees})))
    summary = mc_json["summary"]
    size = data["shortfall"]
    paragraphs = [
        f"{len(exposed)} of {len(nodes)} sites, countries and regions take longer to recover than the plan "
        "can survive without them.",
        f"Over {mc.scenarios:,} scenarios: {shortfall_wording(summary, size)}; the expected value of racks not "
        f"delivered is {usd(summary['expected_value_short_usd'])} "
        f"(95% value at risk {usd(summary['value_at_risk_95_usd'])}).",
    ]
    notes = list(stress_json.get("warnings", [])) + list(mc_json.get("warnings", []))
    return SectionOutput(data=data, paragraphs=paragraphs, charts=charts, tables=tables, notes=notes,
                         analyses={"stress": stress, "monte_carlo": mc})


SECTION = Section("resilience", "What if a region is cut off? Stress test and Monte Carlo", run,
                  applies=all_of(needs_sources, applies),
                  requires=("rackforge.resilience.stress", "rackforge.resilience.montecarlo"),
                  question="Which disruptions would stop the plan, and how many racks are delivered across "
                           "thousands of disruption scenarios?")
