"""Section: generations side by side — GPUs, power, performance, capital cost and TCO per GPU-hour.

Presents :func:`rackforge.api.programme_tco` (:mod:`rackforge.evaluate.programme_tco`): the figures are
computed there, with the same prices and rack power as the evaluation; this module only lays them out.
"""

from __future__ import annotations

from typing import Any

from rackforge.report.charts import PALETTE, figure
from rackforge.report.columns import ColumnSpec
from rackforge.report.format import money, short_name, usd
from rackforge.report.framework import AssessContext, Chart, Section, SectionOutput, Table

COMPONENTS = (("capital_usd", "capital"), ("it_energy_usd", "IT energy"),
              ("overhead_energy_usd", "facility overhead energy (PUE − 1)"), ("cooling_om_usd", "cooling O&M"),
              ("maintenance_usd", "IT maintenance"))


ENGINEERING_COLUMNS = ("rack_input_kw", "liquid_heat_fraction", "coolant_flow_lpm", "busbar_current_a", "mass_kg",
                       "scale_up_cables")
"""Engineering metrics added to the side-by-side table when the engineering analysis ran."""


def per_gpu_chart(rows: list[dict[str, Any]], names: list[str]) -> Any:
    """Small multiples: capital per GPU, kW per GPU, TFLOPS per watt and USD per GPU-hour, by design."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    candidates: list[tuple[str, list[Any]]] = [
        ("capital per GPU [USD]", [r["capital_usd"] / r["gpus"] if r["gpus"] else None for r in rows]),
        ("full-load kW per GPU", [r["full_load_power_w"] / 1000 / r["gpus"] if r["gpus"] else None for r in rows]),
        ("peak TFLOPS per W", [r["tflops_per_w"] for r in rows]),
        ("TCO USD per GPU-hour", [r["usd_per_gpu_hour"] for r in rows]),
    ]
    panels = [p for p in candidates if any(v is not None for v in p[1])]
    fig = make_subplots(rows=1, cols=len(panels), subplot_titles=[p[0] for p in panels])
    fig.update_layout(template="plotly_white", height=380, showlegend=False, colorway=PALETTE,
                      margin={"l": 50, "r": 20, "t": 50, "b": 90})
    for i, (_title, values) in enumerate(panels, start=1):
        fig.add_trace(go.Bar(x=names, y=values, marker_color=[PALETTE[k % len(PALETTE)] for k in range(len(names))]),
                      row=1, col=i)
    return fig


ASSUMPTIONS: dict[str, tuple[str, str, str]] = {
    "years": ("Service life", "number", "years"),
    "discount_rate": ("Discount rate", "percent", "per year"),
    "availability": ("Availability (share of GPU-hours in service)", "percent", ""),
    "maintenance_fraction_per_year": ("IT maintenance", "percent", "of hardware capital per year"),
    "cooling_om_usd_per_kw_year": ("Cooling O&M", "money", "per kW-year"),
    "integration_usd_per_rack": ("Integration, test and crating", "money", "per rack"),
    "pue": ("PUE", "number", ""),
    "electricity_usd_per_kwh": ("Electricity price", "money", "per kWh"),
}
"""Each TCO assumption: its label, the kind of its value and what the value is per."""
ASSUMPTION_FIELDS = tuple(ASSUMPTIONS)


def assumptions_frame(a: Any, used: dict[str, Any]) -> Any:
    """One row per TCO assumption: the value used, written with its unit, the raw value and its source
    (facility figures for PUE and price)."""
    import pandas as pd

    from rackforge.report.format import cell

    rows = []
    for name, (label, kind_name, per) in ASSUMPTIONS.items():
        stated = getattr(a, name)
        value = used.get(name, stated)
        source = a.source_of(name) if stated is not None else "facility (programme's facility section)"
        shown = "" if value is None else f"{cell(value, kind_name)} {per}".strip()
        rows.append({"assumption": label, "value": shown, "raw_value": value, "source": source})
    return pd.DataFrame(rows)


def run(ctx: AssessContext) -> SectionOutput:
    """TCO of one rack of each planned design, and the plan's capital and TCO (:func:`rackforge.api.programme_tco`)."""
    import pandas as pd
    import plotly.graph_objects as go

    from rackforge import api

    tco = api.programme_tco(ctx.programme, shared=ctx.analyses)
    a, basis = tco.assumptions, tco.price_basis
    data: dict[str, Any] = tco.to_json()
    rows: list[dict[str, Any]] = data["designs"]
    for r in rows:
        r["short_name"] = short_name(r["name"])
    names = [r["short_name"] for r in rows]
    breakdown = figure(barmode="stack", yaxis_title="USD per rack over the service life", yaxis_tickprefix="$")
    for key, label in COMPONENTS:
        breakdown.add_trace(go.Bar(name=label, x=names, y=[r[key] for r in rows]))
    per_hour = figure(yaxis_title="USD per GPU-hour", showlegend=False, yaxis_tickprefix="$")
    per_hour.add_trace(go.Bar(x=names, y=[r["usd_per_gpu_hour"] for r in rows],
                              text=[money(r["usd_per_gpu_hour"]) for r in rows], textposition="outside"))
    side = pd.DataFrame([{
        "design": r["design"], "generation": r["generation"], "year": r["year"], "racks_planned": r["racks_planned"],
        "gpus_per_rack": r["gpus"], "full_load_power_kw": r["full_load_power_w"] / 1000,
        "it_power_kw_at_utilisation": r["it_power_w"] / 1000, "peak_pflops": r["peak_pflops"],
        "tflops_per_w": r["tflops_per_w"], "capital_usd_per_rack": r["capital_usd"],
        f"tco_usd_per_rack_{a.years}y": r["total_usd"], "tco_usd_per_gpu_hour": r["usd_per_gpu_hour"],
        "plan_capital_usd": r["plan_capital_usd"],
    } for r in rows])
    metrics = {r.design_id: r.metrics for r in ctx.analyses.get("engineering", [])}
    for column in ENGINEERING_COLUMNS:
        if metrics:
            side[column] = [metrics.get(r["design"], {}).get(column) for r in rows]
    notes = [f"{r['design']}: {n}" for r in rows for n in r["notes"]]
    charts_extra = [Chart("generations", "Generations side by side, per GPU", per_gpu_chart(rows, names),
                          "Capital and full-load power divided by the GPUs in a rack; performance per watt from "
                          "the published peak; TCO per GPU-hour over the service life.")]
    paragraphs = [
        f"TCO counts capital plus {a.years} years of energy at PUE {data['assumptions']['pue']:g} and "
        f"{money(data['assumptions']['electricity_usd_per_kwh'])} per kWh, cooling O&M at "
        f"{money(a.cooling_om_usd_per_kw_year)} per kW-year and IT maintenance at "
        f"{a.maintenance_fraction_per_year:.0%} of hardware per year"
        + (f", discounted at {a.discount_rate:.1%} per year" if a.discount_rate else "")
        + ". Each assumption and its source is in the table 'TCO assumptions'.",
        f"The plan's capital is {usd(data['programme_capital_usd'])} for {tco.racks_planned:,} racks.",
    ]
    return SectionOutput(
        data=data, paragraphs=paragraphs, notes=notes,
        tables=[Table("generations", "Generations side by side", side,
                      columns={f"tco_usd_per_rack_{a.years}y": ColumnSpec(f"TCO per rack over {a.years} years",
                                                                          "money")}),
                Table("tco_assumptions", "TCO assumptions", assumptions_frame(a, data["assumptions"]),
                      columns={"value": ColumnSpec("Value", "text"),
                               "raw_value": ColumnSpec("Raw value (fractions 0-1, USD)", "number")})],
        charts=[*charts_extra, Chart("tco-breakdown", "TCO per rack by component", breakdown,
                      f"Over {a.years} years; capital from the bill of materials at {basis}."),
                Chart("tco-per-gpu-hour", "TCO per GPU-hour", per_hour)],
        analyses={"tco": tco},
    )


SECTION = Section("generations", "Generations side by side: cost of ownership", run,
                  question="What does each generation cost to buy and to run, per rack and per GPU-hour?")
