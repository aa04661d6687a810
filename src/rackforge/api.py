"""rackforge's questions as functions: the one entry point for the CLI, the report and other callers.

Each function answers one question about a loaded programme (:class:`rackforge.schema.Programme`, from
:func:`rackforge.io.loader.load_programme`): the programme and options in, a typed result out. Every
result has a ``to_json()``/``to_dict()`` for plain data. Defaults are not set here: each option's
default is defined once, in the analysis that owns it, and named below, so ``rackforge <command>``, the
report and a direct call give the same figures.

Layering: the API sits above the analyses and below the report and the CLI (docs/architecture.md).
Imports of the analyses are inside the functions so that importing this module stays cheap.

=======================  =============================================  ===============================
question                 function                                       CLI
=======================  =============================================  ===============================
does each design work?   :func:`check_designs`, :func:`compare_designs`  ``check``, ``compare``
cost and origin          :func:`bill_of_materials`, :func:`sourcing`,   ``bom``, ``sourcing``,
                         :func:`whatif`                                 ``whatif``
a region cut off         :func:`stress_test`, :func:`simulate`,         ``stress``, ``simulate``,
                         :func:`buffers`                                ``buffers``
which sourcing mix?      :func:`optimize`, :func:`optimize_sweep`       ``optimize [--sweep]``
factory                  :func:`factory`, :func:`plan_factory_capacity`, ``factory``, ``tests``
                         :func:`factory_test_plans`,
                         :func:`rack_test_results`
readiness                :func:`readiness`, :func:`design_readiness`    ``readiness``
early access, TCO        :func:`evaluate`, :func:`programme_tco`        ``evaluate``
the full report          ``rackforge.report.assess.run_assessment``     ``assess``
                         (its sections call the functions here)
=======================  =============================================  ===============================
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from rackforge.resilience.defaults import MONTE_CARLO_SCENARIOS, MONTE_CARLO_SEED, STRESS_LEVELS

if TYPE_CHECKING:
    from rackforge.engineering.comparison import DesignComparison
    from rackforge.engineering.design_checks import DesignReport
    from rackforge.evaluate.analysis import EvaluationResult
    from rackforge.evaluate.programme_tco import ProgrammeTco
    from rackforge.factory.capacity import CapacityPlan
    from rackforge.factory.results import FactoryResult
    from rackforge.factory.testplan import SiteComparison, TestPlan
    from rackforge.factory.testresults import TestRecord, TestReport
    from rackforge.optimize.highs import SolveOptions
    from rackforge.optimize.policy import CostOfResilience, PolicyOutcome, SourcingPolicy
    from rackforge.readiness.scoring import ReadinessResult
    from rackforge.resilience.montecarlo import MonteCarloResult
    from rackforge.resilience.safety_stock import SafetyStockResult
    from rackforge.resilience.stress import StressResult
    from rackforge.schema import Programme
    from rackforge.sourcing.analysis import SourcingAnalysis
    from rackforge.sourcing.bill_of_materials import BillOfMaterials
    from rackforge.sourcing.whatif_report import WhatIfReport

SharedAnalyses = Mapping[str, Any]
"""Typed results of analyses already run, by name (``engineering``, ``sourcing``, ``monte_carlo``,
``factory``, ``readiness``; see :mod:`rackforge.evaluate.shared`), so a later question reuses them."""


# ----- input guards ----------------------------------------------------------------------------------

def _require_sources(programme: Programme, question: str) -> None:
    """Refuse (:class:`~rackforge.errors.InputError`) a supply question about a programme with no sources.

    Without a single ``sources:`` record no part can be bought, so cost, origin, disruption and
    optimisation figures have nothing to stand on; ``question`` names what was asked, for the message.
    """
    from rackforge.errors import InputError, Problem

    if programme.sources:
        return
    where = programme.root or "(programme folder)"
    raise InputError([Problem(where, None, "sources",
                              f"{question} needs sources, and the programme has none: add a 'sources:' list "
                              "(which site makes which part, with price, lead time and capacity) to a file "
                              "of the folder; 'rackforge init DIR' writes an example")])


# ----- does each design work? ---------------------------------------------------------------------

def check_designs(programme: Programme, designs: Sequence[str] = ()) -> list[DesignReport]:
    """Does each design work? The engineering checks (power, cooling, network and cabling, mechanics,
    pods) of ``designs`` (ids; default: the build plan's designs and those the programme's own files
    define). An unknown id is a :class:`~rackforge.errors.UsageError`. Returns one
    :class:`~rackforge.engineering.design_checks.DesignReport` per design, findings with formulas."""
    from rackforge.engineering.design_checks import check_programme
    from rackforge.engineering.selection import select_designs

    return check_programme(programme, select_designs(programme, designs))


def compare_designs(programme: Programme, designs: Sequence[str] = ()) -> DesignComparison:
    """How do the designs differ, generation by generation? ``designs``: two or more ids (default: the
    programme's own). Returns a :class:`~rackforge.engineering.comparison.DesignComparison`."""
    from rackforge.engineering.comparison import compare_designs as compare

    return compare(programme, designs)


# ----- what does it cost and where does it come from? -----------------------------------------------

def sourcing(programme: Programme, rule_id: str | None = None) -> SourcingAnalysis:
    """Where do the planned racks' parts come from, how much is domestic, how concentrated is supply?
    ``rule_id``: a built-in domestic-content rule (e.g. ``far-25.101``) instead of the programme's.
    Returns a :class:`~rackforge.sourcing.analysis.SourcingAnalysis` (tables and ``to_json()``)."""
    from rackforge.sourcing.analysis import analyse_sourcing
    from rackforge.sourcing.policy import chosen_rule

    _require_sources(programme, "the sourcing analysis")
    return analyse_sourcing(programme, rule=chosen_rule(rule_id))


def sourcing_threshold_misses(sourcing_json: dict[str, Any]) -> list[str]:
    """Which planned designs and years miss the domestic-content threshold (qualified sources)? From
    :func:`sourcing`'s ``to_json()``: ``"<design> <year>"`` each; empty when all meet it
    (:func:`rackforge.sourcing.policy.threshold_misses`)."""
    from rackforge.sourcing.policy import threshold_misses

    return threshold_misses(sourcing_json)


def bill_of_materials(programme: Programme, design: str | None = None,
                      sources: Literal["qualified", "alternates"] = "qualified") -> BillOfMaterials:
    """What is in each rack and what does it cost [USD per rack, landed]? ``design``: one planned design
    (default: every planned design); ``sources``: ``qualified`` (default) or ``alternates`` counted as
    qualified at the end of the plan. Returns a :class:`~rackforge.sourcing.bill_of_materials.BillOfMaterials`."""
    from rackforge.sourcing.analysis import analyse_sourcing
    from rackforge.sourcing.bill_of_materials import bill_of_materials as tables

    _require_sources(programme, "the bill of materials")
    return tables(analyse_sourcing(programme), design, sources)


def whatif(programme: Programme, moves: Sequence[str] = (), rank_design: str | None = None,
           year: int | None = None, price_premium: float | None = None,
           rule_id: str | None = None) -> WhatIfReport:
    """What if parts moved to other sites? ``moves``: ``PART=SITE[@SHARE]`` each; ``rank_design``: rank
    the parts of this design whose move to a US site lifts domestic content most cheaply, in ``year``
    (default: the plan's first); ``price_premium`` [fraction] prices new sources over current ones
    (default :data:`rackforge.sourcing.whatif.DEFAULT_PRICE_PREMIUM`); ``rule_id`` as in :func:`sourcing`.
    Returns a :class:`~rackforge.sourcing.whatif_report.WhatIfReport`."""
    from rackforge.sourcing.whatif import DEFAULT_PRICE_PREMIUM
    from rackforge.sourcing.whatif_report import whatif_report

    premium = DEFAULT_PRICE_PREMIUM if price_premium is None else price_premium
    return whatif_report(sourcing(programme, rule_id), moves, rank_design, year, premium)


# ----- what if a region is cut off? ------------------------------------------------------------------

def stress_test(programme: Programme, quarter: str | None = None,
                levels: Sequence[str] = STRESS_LEVELS) -> StressResult:
    """Which sites, countries and regions would stop the plan before they recover? Time to survive vs
    time to recover [weeks] of each group taken down. ``quarter`` (``YYYYQn``): the plan quarter whose
    build rate and shipping sources are stressed (default: the first); ``levels``: groups to take down
    (default :data:`rackforge.resilience.defaults.STRESS_LEVELS`; also ``node``). Returns a
    :class:`~rackforge.resilience.stress.StressResult`."""
    from rackforge.resilience.defaults import checked_stress_levels
    from rackforge.resilience.stress import stress_programme

    _require_sources(programme, "the stress test")
    return stress_programme(programme, quarter=quarter, levels=checked_stress_levels(levels))


def simulate(programme: Programme, scenarios: int = MONTE_CARLO_SCENARIOS, seed: int = MONTE_CARLO_SEED, *,
             precision: Literal["single", "double"] = "single", chunk: int | None = None,
             memory_budget_bytes: int | None = None,
             progress: Callable[[int], None] | None = None) -> MonteCarloResult:
    """How many racks arrive per design and quarter across disruption scenarios? Monte Carlo of the
    build plan under the programme's ``scenarios:`` library. ``scenarios`` [count] and ``seed``
    (defaults :data:`~rackforge.resilience.defaults.MONTE_CARLO_SCENARIOS`,
    :data:`~rackforge.resilience.defaults.MONTE_CARLO_SEED`: the report's); ``precision``: kernel
    arithmetic (float32 ``single`` by default); ``memory_budget_bytes``: working memory of a chunk of
    scenarios [bytes] (default :data:`~rackforge.resilience.montecarlo.MEMORY_BUDGET_BYTES`), or
    ``chunk``: scenarios per chunk, rounded up to whole blocks of 1,024 (memory only; results do not
    depend on either); ``progress(k)`` is called as k scenarios finish. Results are reduced on the
    fly, so memory does not grow with ``scenarios``. Returns a
    :class:`~rackforge.resilience.montecarlo.MonteCarloResult`."""
    from rackforge.resilience.montecarlo import simulate_programme

    _require_sources(programme, "the Monte Carlo simulation")
    extra: dict[str, Any] = {} if memory_budget_bytes is None else {"memory_budget_bytes": memory_budget_bytes}
    return simulate_programme(programme, scenarios, seed, chunk=chunk, precision=precision, progress=progress,
                              **extra)


def buffers(programme: Programme, designs: Sequence[str] = (),
            service_level: float | None = None) -> list[SafetyStockResult]:
    """Where should strategic safety stock sit? Guaranteed-service model (Graves & Willems) on each
    design's supply tree [weeks]. ``designs``: default every planned design; ``service_level``
    [fraction]: overrides the programme's. Returns one
    :class:`~rackforge.resilience.safety_stock.SafetyStockResult` per design."""
    from dataclasses import replace

    from rackforge.resilience.safety_stock import design_tree, optimise

    _require_sources(programme, "safety-stock placement")
    chosen = list(designs) or [d.id for d in programme.planned_designs]
    trees = [design_tree(programme, d) for d in chosen]
    if service_level is not None:
        trees = [replace(t, service_level=service_level) for t in trees]
    return [optimise(t) for t in trees]


def buffers_for_tree(path: Path, service_level: float | None = None) -> list[SafetyStockResult]:
    """Where should safety stock sit on the supply tree in ``path`` (``.yaml`` with ``supply_tree:`` or
    ``.csv``; docs/resilience.md)? ``service_level`` [fraction] overrides the file's."""
    from rackforge.resilience.safety_stock import load_tree, optimise

    return [optimise(load_tree(path, service_level))]


# ----- which sourcing mix? ----------------------------------------------------------------------------

def optimize(programme: Programme, policy: SourcingPolicy | None = None, *, solve: SolveOptions | None = None,
             stock: Literal["source", "pooled"] = "source") -> PolicyOutcome:
    """Which sourcing mix meets the build plan at least landed cost under the targets? ``policy``
    (:class:`~rackforge.optimize.policy.SourcingPolicy`; default: the rule's domestic-content threshold
    in each year, the two-source rule at 90 %, relaxed when no plan meets the targets); ``solve``:
    :class:`~rackforge.optimize.highs.SolveOptions` (MIP gap 0.1 %, 120 s); ``stock``: track stock per
    source (exact) or per part (smaller). Returns a :class:`~rackforge.optimize.policy.PolicyOutcome`:
    the plan for the targets asked for (or why none exists) and the plan the policy settles on."""
    from rackforge.optimize.policy import optimise_programme

    _require_sources(programme, "the sourcing optimiser")
    return optimise_programme(programme, policy, solve, stock=stock)


def optimize_sweep(programme: Programme, policy: SourcingPolicy | None = None, *,
                   domestic_targets: Sequence[float] | None = None, country_caps: Sequence[float] = (),
                   points: int | None = None, scenarios: int | None = None, seed: int = MONTE_CARLO_SEED,
                   solve: SolveOptions | None = None,
                   stock: Literal["source", "pooled"] = "source",
                   foot_solve: SolveOptions | None = None,
                   progress: Callable[[str], None] | None = None) -> CostOfResilience:
    """What does more domestic content cost, and what does it buy in resilience? Least cost for each
    domestic-content target [fraction] × country cap [fraction] (default targets: the 40-90 % grid
    clipped to what is reachable, or ``points`` targets spread over it), each plan with its expected
    shortfall over ``scenarios`` Monte Carlo scenarios (default
    :data:`~rackforge.optimize.policy.SWEEP_SHORTFALL_SCENARIOS`) with ``seed`` (default
    :data:`~rackforge.resilience.defaults.MONTE_CARLO_SEED`). Returns a
    :class:`~rackforge.optimize.policy.CostOfResilience`: the curve and the least-cost plan at its foot.
    ``solve``: solver options (gap, time limit) of each solve; ``foot_solve``: of the least-cost plan
    (default ``solve``); ``progress(text)``: told the stage and solve count after each solve."""
    from rackforge.optimize.policy import SWEEP_SHORTFALL_SCENARIOS, cost_of_resilience

    _require_sources(programme, "the cost-of-resilience sweep")
    return cost_of_resilience(programme, policy, domestic_targets=domestic_targets, country_caps=country_caps,
                              points=points, seed=seed, options=solve, stock=stock, foot_options=foot_solve,
                              shortfall_scenarios=SWEEP_SHORTFALL_SCENARIOS if scenarios is None else scenarios,
                              progress=progress)


# ----- can the factory keep up? -----------------------------------------------------------------------

def factory(programme: Programme, *, replications: int | None = None, seed: int | None = None,
            workers: int | None = None, weeks: float | None = None) -> FactoryResult:
    """Can the US factory integrate and test the racks at the planned rate? Discrete-event simulation
    of the line over the build plan. ``replications``, ``seed``: default the programme's
    ``factory.simulation`` settings; ``workers``: processes (default: CPUs); ``weeks``: simulate only
    the first weeks of the plan. Returns a :class:`~rackforge.factory.results.FactoryResult`."""
    from rackforge.factory.results import simulate_factory

    return simulate_factory(programme, replications=replications, seed=seed, workers=workers, weeks=weeks)


def factory_confidence_target(programme: Programme) -> float:
    """What share of replications must meet the build plan [fraction]? The factory's ``targets.confidence``."""
    from rackforge.factory.verdict import confidence_target

    return confidence_target(programme)


def factory_plan_missed(programme: Programme, result: FactoryResult, whole_plan: bool = True) -> str | None:
    """Does the simulated line miss the build plan (the factory's confidence target decides)? The
    reason, or None when it meets it or when only the first weeks were simulated (``whole_plan`` False)."""
    from rackforge.factory.verdict import plan_missed

    return plan_missed(programme, result, whole_plan)


def plan_factory_capacity(programme: Programme, *, confidence: float | None = None,
                          replications: int | None = None, seed: int | None = None,
                          workers: int | None = None, max_utilisation: float | None = None) -> CapacityPlan:
    """How many stations of each kind meet the build plan? The fewest that meet it in ``confidence``
    [fraction] of replications (default: the factory's target) with no planned station above
    ``max_utilisation`` [fraction] (default :data:`~rackforge.factory.capacity.DEFAULT_MAX_UTILISATION`).
    Returns a :class:`~rackforge.factory.capacity.CapacityPlan` (its ``risk``: utilisation and the plan's
    confidence per station count)."""
    from rackforge.factory.capacity import DEFAULT_MAX_UTILISATION, plan_capacity

    return plan_capacity(programme, confidence=confidence, replications=replications, seed=seed, workers=workers,
                         max_utilisation=DEFAULT_MAX_UTILISATION if max_utilisation is None else max_utilisation)


def factory_test_plans(programme: Programme) -> tuple[list[TestPlan], list[SiteComparison]]:
    """What does each design's rack test take [h], and is testing cheaper at the origin or in the US?
    One :class:`~rackforge.factory.testplan.TestPlan` per design and the origin-vs-US comparisons."""
    from rackforge.factory.testplan import programme_test_plans

    return programme_test_plans(programme)


def rack_test_results(path: Path, programme: Programme | None = None) -> tuple[list[TestRecord], TestReport]:
    """What do the per-rack test results in ``path`` (CSV or JSON) say about yield? Every row is
    checked (against ``programme``'s designs and stations when given). Returns the records and the
    :class:`~rackforge.factory.testresults.TestReport` (yields, Paretos, weekly trend)."""
    from rackforge.factory.testresults import parse_results, report

    records = parse_results(path, programme)
    return records, report(records, str(path))


# ----- how ready is each part? ------------------------------------------------------------------------

def readiness(programme: Programme, *, require_assessments: bool = False) -> ReadinessResult:
    """How ready is each part and site for US manufacturing? Manufacturing readiness levels per DoD
    thread, the gaps to the target level and US sources nobody has assessed. ``require_assessments``:
    an input error when the programme has none. Returns a :class:`~rackforge.readiness.scoring.ReadinessResult`."""
    from rackforge.readiness.scoring import assess_programme, require_readiness_rows

    result = assess_programme(programme)
    if require_assessments:
        require_readiness_rows(result, programme)
    return result


def design_readiness(programme: Programme, result: ReadinessResult | None = None) -> dict[str, dict[str, Any]]:
    """How ready is each design? Per planned or evaluated design, the MRL of its least ready assessed
    part (``mrl``, ``part``, ``site``), from ``result`` (default: :func:`readiness`)."""
    from rackforge.evaluate.shared import evaluation_designs
    from rackforge.readiness.designs import design_readiness as per_design

    return per_design(programme.catalog, result or readiness(programme), evaluation_designs(programme))


# ----- which early-access system? ---------------------------------------------------------------------

def evaluate(programme: Programme, *, as_of: dt.date | None = None,
             shared: SharedAnalyses | None = None) -> EvaluationResult:
    """Which early-access system should the buyer take its option on? Weighted scorecards, the weight
    change that flips the top choice, and where each option stands on ``as_of`` (default: the
    evaluations' ``as_of``, else today). ``shared``: results of analyses already run (see
    :data:`SharedAnalyses`); the criteria they feed are computed here otherwise or taken from data.
    Returns an :class:`~rackforge.evaluate.analysis.EvaluationResult`."""
    from rackforge.evaluate.analysis import evaluate as run_evaluation
    from rackforge.evaluate.shared import evaluation_inputs

    return run_evaluation(programme, analyses=evaluation_inputs(programme, shared), as_of=as_of)


def programme_tco(programme: Programme, *, shared: SharedAnalyses | None = None) -> ProgrammeTco:
    """What does each generation cost to buy and to run, and what does the build plan cost? TCO of one
    rack of each planned design [USD, per rack and per GPU-hour] and the plan's capital and TCO [USD],
    under the programme's TCO assumptions. ``shared`` as in :func:`evaluate`. Returns a
    :class:`~rackforge.evaluate.programme_tco.ProgrammeTco`."""
    from rackforge.evaluate.programme_tco import programme_tco as tco

    return tco(programme, shared)
