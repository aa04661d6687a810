"""Section: does each design work? Engineering checks, power and cooling breakdowns, cable bill.

Presents :func:`rackforge.api.check_designs`. Shares its reports with later sections: TCO and the
evaluation take each design's rack-input power from them (:mod:`rackforge.evaluate.shared`).
"""

from __future__ import annotations

from typing import Any

from rackforge.report.charts import figure
from rackforge.report.format import short_name
from rackforge.report.framework import AssessContext, Chart, Section, SectionOutput, Table


def run(ctx: AssessContext) -> SectionOutput:
    """Check every design of the programme and chart its power, cooling and cabling."""
    import pandas as pd
    import plotly.graph_objects as go

    from rackforge import api

    p = ctx.programme
    reports = api.check_designs(p)
    designs = [r.to_dict() for r in reports]
    for d in designs:
        d["short_name"] = short_name(d["name"])
    failing = [{"design": r.design_id, "check": f.check, "message": f.message} for r in reports for f in r.failed]
    warnings = [{"design": r.design_id, "check": f.check, "message": f.message} for r in reports
                for f in r.findings if f.status_enum.label == "warn"]
    passing = [r.design_id for r in reports if not r.failed]
    data: dict[str, Any] = {
        "status": "fail" if failing else "pass",
        "designs_checked": len(reports),
        "designs_passing": len(passing),
        "failing": failing,
        "warnings": warnings,
        "designs": designs,
    }
    names = [d["short_name"] for d in designs]
    metrics = [d["metrics"] for d in designs]
    power = figure(barmode="stack", yaxis_title="kW per rack at nameplate")
    power.add_trace(go.Bar(name="IT load", x=names, y=[m["it_power_kw"] for m in metrics]))
    power.add_trace(go.Bar(name="in-rack conversion and cooling", x=names,
                           y=[m["rack_input_kw"] - m["it_power_kw"] for m in metrics]))
    power.add_trace(go.Bar(name="facility overhead (PUE)", x=names,
                           y=[m["facility_power_kw"] - m["rack_input_kw"] for m in metrics]))
    cooling = figure(barmode="stack", yaxis_title="heat per rack [kW]")
    cooling.add_trace(go.Bar(name="to liquid", x=names, y=[m["liquid_heat_kw"] for m in metrics],
                             text=[f"{m['coolant_flow_lpm']:,.0f} L/min" if m.get("coolant_flow_lpm") else ""
                                   for m in metrics], textposition="inside"))
    cooling.add_trace(go.Bar(name="to air", x=names, y=[m["air_heat_kw"] for m in metrics]))
    bill = pd.DataFrame([{"design": d["id"], **line} for d in designs for line in d["cable_bill"]])
    charts = [
        Chart("power-breakdown", "Power per rack: IT load, losses in the rack, facility overhead", power,
              "At nameplate: rack input = IT load / in-rack conversion efficiency + in-rack cooling; "
              "facility = rack input × PUE."),
        Chart("cooling-breakdown", "Heat per rack to liquid and to air", cooling,
              "Label: coolant flow V̇ = Q / (ρ·cp·ΔT) for the liquid heat."),
    ]
    if not bill.empty:
        cables = figure(barmode="stack", yaxis_title="cables per rack (incl. its share of the pod fabric)")
        for (fabric, medium), rows in bill.groupby(["fabric", "medium"], sort=True):
            cables.add_trace(go.Bar(name=f"{fabric} · {medium}", x=[short_name(p.catalog.designs[d].name)
                                                                  for d in rows["design"]],
                                    y=rows["count"].tolist()))
        charts.append(Chart("cable-bill", "Cable bill per rack by fabric and medium", cables))
    findings = pd.DataFrame([{"design": d["id"], **f} for d in designs for f in d["findings"]])
    side = pd.DataFrame([{"design": d["id"], "status": d["status"], **d["metrics"]} for d in designs])
    tables = [
        Table("engineering_designs", "Designs side by side (engineering)", side),
        Table("engineering_problems", "Failing and marginal checks",
              findings[findings["status"] != "pass"] if not findings.empty else findings),
        Table("engineering_findings", "All engineering findings", findings, html=False),
        Table("cable_bill", "Cable bill per rack", bill),
    ]
    paragraphs = [f"{len(passing)} of {len(reports)} designs pass every engineering check"
                  + (f"; {len(failing)} findings fail." if failing else ".")]
    return SectionOutput(data=data, paragraphs=paragraphs, charts=charts, tables=tables,
                         notes=[f"{f['design']}: {f['check']} fails — {f['message']}" for f in failing],
                         analyses={"engineering": reports})


SECTION = Section("engineering", "Does each design work? Engineering checks", run,
                  requires=("rackforge.engineering.design_checks",),
                  question="Do the designs meet their parts' ratings and the data hall's limits?")
