"""Section: does each design work? Engineering checks, power and cooling breakdowns, cable bill.

Presents :func:`rackforge.api.check_designs`. Shares its reports with later sections: TCO and the
evaluation take each design's rack-input power from them (:mod:`rackforge.evaluate.shared`).
"""

from __future__ import annotations

from typing import Any

from rackforge.report.charts import figure
from rackforge.report.columns import ColumnSpec
from rackforge.report.format import short_name
from rackforge.report.framework import AssessContext, Chart, Section, SectionOutput, Table


def design_verdicts(designs: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Design ids by verdict, from their findings' statuses: ``fail`` (any finding fails), ``warn`` (a
    warning and no failure), ``pass`` (every finding passes). The report's headline, summary and
    paragraph all count from this."""
    out: dict[str, list[str]] = {"pass": [], "warn": [], "fail": []}
    for d in designs:
        statuses = {f["status"] for f in d["findings"]}
        out["fail" if "fail" in statuses else "warn" if "warn" in statuses else "pass"].append(d["id"])
    return out


def verdict_sentence(verdicts: dict[str, list[str]], checked: int) -> str:
    """``3 of 4 designs pass every engineering check; 1 passes with a warning (gb300-nvl72)`` [text]."""
    clean, warned, failed = (verdicts[k] for k in ("pass", "warn", "fail"))
    text = f"{len(clean)} of {checked} designs pass every engineering check"
    if warned:
        text += (f"; {len(warned)} pass{'es' if len(warned) == 1 else ''} with a warning"
                 f"{'' if len(warned) == 1 else 's'} ({', '.join(warned)})")
    if failed:
        text += f"; {len(failed)} fail{'s' if len(failed) == 1 else ''} ({', '.join(failed)})"
    return text


def section_data(designs: list[dict[str, Any]]) -> dict[str, Any]:
    """The section's results.json from the designs' reports (``EngineeringReport.to_dict``): the verdict
    counts, failing and warning findings, and the designs."""
    def findings(status: str) -> list[dict[str, Any]]:
        return [{"design": d["id"], "check": f["check"], "message": f["message"]} for d in designs
                for f in d["findings"] if f["status"] == status]

    verdicts = design_verdicts(designs)
    failing, warnings = findings("fail"), findings("warn")
    return {
        "status": "fail" if failing else "warn" if warnings else "pass",
        "designs_checked": len(designs),
        "designs_passing": len(designs) - len(verdicts["fail"]),
        "designs_passing_clean": len(verdicts["pass"]),
        "designs_with_warnings": len(verdicts["warn"]),
        "designs_failing": len(verdicts["fail"]),
        "verdicts": verdicts,
        "failing": failing,
        "warnings": warnings,
        "designs": designs,
    }


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
    data = section_data(designs)
    failing, warnings, verdicts = data["failing"], data["warnings"], data["verdicts"]
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
        Table("cable_bill", "Cable bill per rack", bill, columns={"count": ColumnSpec("Cables per rack", "count")}),
    ]
    paragraphs = [verdict_sentence(verdicts, len(reports)) + "."]
    notes = ([f"{f['design']}: {f['check']} fails — {f['message']}" for f in failing]
             + [f"{w['design']}: {w['check']} warns — {w['message']}" for w in warnings])
    return SectionOutput(data=data, paragraphs=paragraphs, charts=charts, tables=tables, notes=notes,
                         analyses={"engineering": reports})


SECTION = Section("engineering", "Does each design work? Engineering checks", run,
                  requires=("rackforge.engineering.design_checks",),
                  question="Do the designs meet their parts' ratings and the data hall's limits?")
