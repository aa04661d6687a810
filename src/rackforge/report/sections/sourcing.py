"""Section: bill of materials, supply flows by country, domestic content against thresholds, concentration.

Presents :func:`rackforge.api.sourcing`. Shares with later sections the landed
unit cost of every part (so TCO prices parts as sourcing does) and the domestic content of each
evaluated design on the plan's first day with qualified sources (an evaluation criterion).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rackforge.report.charts import PALETTE, figure
from rackforge.report.format import short_name, usd
from rackforge.report.framework import AssessContext, Chart, Section, SectionOutput, Table, needs_sources

if TYPE_CHECKING:
    import pandas as pd

    from rackforge.sourcing.analysis import SourcingAnalysis


def supply_flows_usd(analysis: SourcingAnalysis) -> pd.DataFrame:
    """Plan spend flowing from each origin country to each category and design [USD], qualified sources.

    For design d, source s of part p: racks_d × qty_dp × share_s × landed cost_s, with each design's
    sources as of its first quarter with racks (the sourcing analysis's design view); the part of a
    part's supply with no qualified source is costed at its fallback cost and flows from 'unknown'.
    Columns: country, category, design, plan_spend_usd.
    """
    import numpy as np
    import pandas as pd

    from rackforge.evaluate.bridges import design_view_shares

    net = analysis.network
    struct = analysis.structure
    racks = analysis.racks.sum(axis=0)  # racks per design row over the plan
    fallback = net.fallback_cost_usd()
    rows: dict[tuple[str, str, str], float] = {}
    for d, design in enumerate(struct.design_ids):
        share = design_view_shares(analysis, design)
        qty = struct.quantity_per_rack[d] * racks[d]  # (parts,)
        per_source = qty[net.source_part] * share * net.landed_cost_usd
        for s in np.flatnonzero(per_source > 0):
            key = (str(net.country[s]), str(struct.part_category[net.source_part[s]]), design)
            rows[key] = rows.get(key, 0.0) + float(per_source[s])
        covered = np.bincount(net.source_part, weights=share, minlength=net.n_parts)
        spend = qty * np.clip(1.0 - covered, 0.0, 1.0) * fallback
        for p in np.flatnonzero(spend > 0):
            key = ("unknown", str(struct.part_category[p]), design)
            rows[key] = rows.get(key, 0.0) + float(spend[p])
    return pd.DataFrame([{"country": c, "category": k, "design": d, "plan_spend_usd": v}
                         for (c, k, d), v in sorted(rows.items())],
                        columns=["country", "category", "design", "plan_spend_usd"])


def _sankey(flows: pd.DataFrame, names: dict[str, str]) -> Any:
    import plotly.graph_objects as go

    countries = sorted(flows["country"].unique(), key=lambda c: -flows.loc[flows["country"] == c,
                                                                             "plan_spend_usd"].sum())
    categories = sorted(flows["category"].unique())
    designs = list(dict.fromkeys(flows["design"]))
    labels = [f"{c}" for c in countries] + categories + [names.get(d, d) for d in designs]
    index = {("country", c): i for i, c in enumerate(countries)}
    index.update({("category", k): len(countries) + i for i, k in enumerate(categories)})
    index.update({("design", d): len(countries) + len(categories) + i for i, d in enumerate(designs)})
    first = flows.groupby(["country", "category"], as_index=False)["plan_spend_usd"].sum()
    second = flows.groupby(["category", "design"], as_index=False)["plan_spend_usd"].sum()
    source = [index[("country", r.country)] for r in first.itertuples()] + \
             [index[("category", r.category)] for r in second.itertuples()]
    target = [index[("category", r.category)] for r in first.itertuples()] + \
             [index[("design", r.design)] for r in second.itertuples()]
    value = first["plan_spend_usd"].tolist() + second["plan_spend_usd"].tolist()
    colours = [PALETTE[i % len(PALETTE)] for i in range(len(labels))]
    fig = figure(height=520)
    fig.add_trace(go.Sankey(
        valueformat="$,.3s", node={"label": labels, "pad": 14, "thickness": 16, "color": colours},
        link={"source": source, "target": target, "value": value, "color": "rgba(120,140,160,0.35)"}))
    return fig


def _domestic_chart(by_year: pd.DataFrame, names: dict[str, str]) -> Any:
    import plotly.graph_objects as go

    fig = figure(yaxis_title="domestic content (share of component cost)", yaxis_tickformat=".0%",
                 xaxis_title="year", xaxis_dtick=1, yaxis_range=[-0.03, 1.03])
    for i, design in enumerate(dict.fromkeys(by_year["design"])):
        colour = PALETTE[i % len(PALETTE)]
        for mode, dash in (("qualified", "solid"), ("alternates", "dot")):
            rows = by_year[(by_year["design"] == design) & (by_year["sources"] == mode)]
            if rows.empty:
                continue
            label = names.get(design, design) + (" (with alternates)" if mode == "alternates" else "")
            fig.add_trace(go.Scatter(x=rows["year"].tolist(), y=rows["domestic_content"].tolist(),
                                     mode="lines+markers", name=label, line={"color": colour, "dash": dash}))
    thresholds = by_year[by_year["sources"] == "qualified"].drop_duplicates("year").sort_values("year")
    if thresholds["threshold"].notna().any():
        fig.add_trace(go.Scatter(x=thresholds["year"].tolist(), y=thresholds["threshold"].tolist(),
                                 mode="lines", name="threshold", line={"color": "#222", "dash": "dash",
                                                                       "shape": "hv"}))
    return fig


def _category_heatmap(by_category: pd.DataFrame, names: dict[str, str]) -> Any:
    import plotly.graph_objects as go

    q = by_category[by_category["sources"] == "qualified"]
    years = sorted(q["year"].unique().tolist())
    rows = list(dict.fromkeys(zip(q["design"], q["category"], strict=True)))
    lookup = {(d, c, y): float(v) for d, c, y, v in zip(q["design"].tolist(), q["category"].tolist(),
                                                        q["year"].tolist(), q["domestic_content"].tolist(),
                                                        strict=True)}
    z = [[lookup.get((d, c, y)) for y in years] for d, c in rows]
    labels = [f"{names.get(d, d)} · {c}" for d, c in rows]
    fig = figure(height=max(300, 80 + 22 * len(rows)), xaxis_title="year", xaxis_dtick=1,
                 margin={"l": 230, "r": 20, "t": 30, "b": 50})
    fig.add_trace(go.Heatmap(x=years, y=labels, z=z, zmin=0, zmax=1, colorscale="Blues",
                             text=[[f"{v:.0%}" if v is not None else "" for v in row] for row in z],
                             texttemplate="%{text}", colorbar={"title": "domestic", "tickformat": ".0%"},
                             hovertemplate="%{y}, %{x}: %{z:.1%}<extra></extra>"))
    fig.update_yaxes(autorange="reversed")
    return fig


def _concentration_heatmap(table: pd.DataFrame, names: dict[str, str]) -> Any:
    import plotly.graph_objects as go

    q = table[table["sources"] == "qualified"]
    designs = list(dict.fromkeys(q["design"]))
    categories = sorted(q["category"].unique().tolist())
    keys = list(zip(q["design"].tolist(), q["category"].tolist(), strict=True))
    country = dict(zip(keys, (float(v) for v in q["hhi_country"].tolist()), strict=False))
    supplier = dict(zip(keys, (float(v) for v in q["hhi_supplier"].tolist()), strict=False))
    z = [[country.get((d, c)) for d in designs] for c in categories]
    text = [[f"{country[(d, c)]:,.0f} / {supplier[(d, c)]:,.0f}" if (d, c) in country else "" for d in designs]
            for c in categories]
    fig = figure(height=max(300, 90 + 30 * len(categories)), margin={"l": 110, "r": 20, "t": 30, "b": 60})
    fig.add_trace(go.Heatmap(x=[names.get(d, d) for d in designs], y=categories, z=z, zmin=0, zmax=10_000,
                             colorscale="OrRd", text=text, texttemplate="%{text}",
                             colorbar={"title": "HHI country"},
                             hovertemplate="%{y} in %{x}: HHI country / supplier %{text}<extra></extra>"))
    fig.update_yaxes(autorange="reversed")
    return fig


def run(ctx: AssessContext) -> SectionOutput:
    """Run the sourcing analysis and present it."""
    from rackforge import api

    p = ctx.programme
    analysis = api.sourcing(p)
    names = {d.id: short_name(d.name) for d in p.catalog.designs.values()}
    data = analysis.to_json()
    data.pop("programme", None)
    flows = supply_flows_usd(analysis)
    flows = flows[flows["design"].isin(analysis.planned)]
    total_spend = float(flows["plan_spend_usd"].sum())
    by_country = flows.groupby("country")["plan_spend_usd"].sum().sort_values(ascending=False)
    data["supply_flows"] = [{**r, "plan_spend_usd": round(float(r["plan_spend_usd"]), 2)}
                            for r in flows.to_dict(orient="records")]
    data["plan_spend_by_country"] = [
        {"country": c, "plan_spend_usd": round(float(v), 2), "share": round(float(v / total_spend), 6)
         if total_spend > 0 else 0.0} for c, v in by_country.items()]
    data["plan_component_spend_usd"] = round(total_spend, 2)
    domestic = analysis.domestic
    by_year = domestic.by_year
    charts = [
        Chart("supply-flows", "Supply flows: origin country → category → design (plan spend)",
              _sankey(flows, names), "Landed cost of the whole build plan, each design with its qualified sources "
              "as of its first quarter; 'unknown' is supply with no qualified source."),
        Chart("domestic-content", f"Domestic content against the threshold ({analysis.rule.name})",
              _domestic_chart(by_year, names), "Solid: qualified sources; dotted: alternates counted from their "
              "qualification date; dashed: the rule's threshold by year."),
        Chart("domestic-by-category", "Domestic content by category and year (qualified sources)",
              _category_heatmap(domestic.by_category, names)),
        Chart("concentration", "Concentration: HHI by country (colour) / by supplier, per category",
              _concentration_heatmap(analysis.category_concentration, names),
              "Herfindahl–Hirschman index of each category's spend per rack: 10,000 = one country (or supplier)."),
    ]
    single = analysis.single_source_parts()
    tables = [
        Table("bom", "Bill of materials (qualified sources, landed cost)", analysis.bom(), max_html_rows=25),
        Table("cost_by_category", "Component cost per rack by category", analysis.cost_by_category()),
        Table("domestic_by_year", "Domestic content by design and year", by_year),
        Table("domestic_by_category", "Domestic content by design, year and category", domestic.by_category,
              html=False),
        Table("single_source_parts", "Single-source parts (largest share of rack value first)",
              single[["part", "name", "category", "suppliers", "countries", "lead_time_weeks", "alternate_from",
                      "max_share_of_rack"]], max_html_rows=15),
        Table("concentration", "Concentration per part", analysis.parts, html=False),
        Table("country_exposure", "Rack value by country of origin", analysis.country_exposure, html=False),
        Table("category_concentration", "Concentration per category", analysis.category_concentration,
              html=False),
        Table("lead_time_paths", "Longest lead-time paths", analysis.lead_time_paths, max_html_rows=20),
        Table("supply_flows", "Supply flows (plan spend)", flows, html=False),
    ]
    top_country = by_country.index[0] if len(by_country) else None
    paragraphs = [f"Domestic content is judged under {analysis.rule.name} ({analysis.rule.source})."]
    if top_country is not None and total_spend > 0:
        paragraphs.append(f"The plan's components cost {usd(total_spend)} landed; the largest origin is "
                          f"{top_country} with {by_country.iloc[0] / total_spend:.0%}.")
    notes = []
    if analysis.network.missing_lanes:
        notes.append("no trade lane for " + ", ".join(f"{o}→{d}" for o, d in analysis.network.missing_lanes)
                     + "; freight and duty counted as zero")
    return SectionOutput(
        data=data, paragraphs=paragraphs, tables=tables, charts=charts, notes=notes,
        analyses={"sourcing": analysis},
    )


SECTION = Section("sourcing", "Bill of materials, supply and domestic content", run, applies=needs_sources,
                  requires=("rackforge.sourcing.analysis",),
                  question="What does each rack cost, where does it come from, and how much of it is made here?")
