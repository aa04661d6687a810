"""What the evaluation and the programme TCO take from other analyses' results.

A caller that has already run other analyses (the report runs them all) passes their typed results by
name; :func:`evaluation_inputs` turns them into the per-design figures the criteria read
(:mod:`rackforge.evaluate.criteria`), so nothing is computed twice and every criterion is defined here,
in the evaluation, not by the caller:

=================  ==========================================  =========================================
name               typed result                                figures for the criteria
=================  ==========================================  =========================================
``engineering``    ``list[DesignReport]``                      rack-input power at full load and at the
                                                               design utilisation [W]
``sourcing``       ``SourcingAnalysis``                        landed prices, domestic content
``monte_carlo``    ``MonteCarloResult``                        ``risk``: expected share of a design's
                                                               planned racks not delivered [0-1]
``factory``        ``FactoryResult``                           ``test_yield``: first-pass rack-test yield
``readiness``      ``ReadinessResult``                         ``readiness``: MRL of the least ready part
=================  ==========================================  =========================================
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from rackforge.evaluate.bridges import rack_input_at_utilisation_w

if TYPE_CHECKING:
    from rackforge.engineering.design_checks import DesignReport
    from rackforge.factory.results import FactoryResult
    from rackforge.resilience.montecarlo import MonteCarloResult
    from rackforge.schema import Programme

SHARED_ANALYSES = ("engineering", "sourcing", "monte_carlo", "factory", "readiness")
"""Names of the typed results :func:`evaluation_inputs` reads."""


def engineering_power_figures(reports: Sequence[DesignReport]) -> dict[str, dict[str, float]]:
    """Per design, rack-input power at the design utilisation (``rack_it_power_w``) and at full load
    (``rack_input_full_load_w``) [W], as the engineering model computes them."""
    full_load = {r.design_id: float(r.metrics["rack_input_kw"]) * 1000.0 for r in reports}
    at_utilisation = {r.design_id: v for r in reports if (v := rack_input_at_utilisation_w(r.metrics)) is not None}
    return {"rack_it_power_w": at_utilisation, "rack_input_full_load_w": full_load}


def risk_index(monte_carlo: MonteCarloResult) -> dict[str, dict[str, float]]:
    """Criterion ``risk`` per design: expected racks short at the end of the plan / racks planned
    [fraction, capped at 1]; a design with no planned racks counts against one rack."""
    delivered = monte_carlo.delivered_table()
    short = monte_carlo.summary()["expected_racks_short"]
    return {d: {"index": min(1.0, float(v) / max(1.0, float(sum(r["plan"] for r in delivered[d]))))}
            for d, v in short.items() if d in delivered}


def first_pass_yield(factory: FactoryResult) -> dict[str, dict[str, float]]:
    """Criterion ``test_yield`` per design: the simulated share of racks passing every test first time."""
    return {d: {"yield": row["first_pass_rack_share"]} for d, row in factory.to_dict()["designs"].items()}




def evaluation_designs(programme: Programme) -> list[str]:
    """The designs the evaluation may ask about: the build plan's, then the evaluated systems'."""
    evaluations = programme.evaluations
    evaluated = [s.design for s in evaluations.systems] if evaluations is not None else []
    return list(dict.fromkeys([*programme.build_plan.designs, *evaluated]))


def evaluation_inputs(programme: Programme, analyses: Mapping[str, Any] | None) -> dict[str, Any]:
    """The figures the evaluation's criteria and the programme TCO read, from the typed results in
    ``analyses`` (see the module docstring); an analysis that is absent adds nothing."""
    from rackforge.readiness.designs import design_readiness

    analyses = analyses or {}
    out: dict[str, Any] = {}
    if analyses.get("sourcing") is not None:
        out["sourcing"] = analyses["sourcing"]
    if analyses.get("engineering") is not None:
        out["engineering"] = analyses["engineering"]
        out.update(engineering_power_figures(analyses["engineering"]))
    if analyses.get("monte_carlo") is not None:
        out["risk"] = risk_index(analyses["monte_carlo"])
    if analyses.get("factory") is not None:
        out["test_yield"] = first_pass_yield(analyses["factory"])
    if analyses.get("readiness") is not None:
        out["readiness"] = design_readiness(programme.catalog, analyses["readiness"], evaluation_designs(programme))
    return out
