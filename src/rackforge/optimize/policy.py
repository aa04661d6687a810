"""Sourcing policy: which targets a plan is held to, and what the optimiser does when no plan meets them.

One policy for every caller: ``rackforge optimize``, the report's optimiser section and
:mod:`rackforge.api` all build their targets with :func:`sourcing_targets` and solve with
:func:`optimise_programme` / :func:`cost_of_resilience`, so they agree on the defaults:

- the domestic-content target is the programme rule's threshold in each year of the plan
  (FAR 25.101: 65 % through 2028), unless a flat target (or none) is asked for;
- a critical part may take at most :data:`~rackforge.optimize.data.CRITICAL_MAX_SOURCE_SHARE` of its
  yearly units from one source (the two-source rule);
- when no plan meets the targets, the smallest relaxations that would make it feasible are searched
  and re-solved (``find_relaxations``: which target to lower and to what, which rule to switch off);
  then the two-source rule is relaxed and the plan solved again (``relax_two_source_rule``), and the
  answer says so; the plan for the targets asked for is kept alongside, with its explanation.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Literal

from rackforge.optimize.data import CRITICAL_MAX_SOURCE_SHARE, EXCEEDS_MARGIN, SourcingTargets
from rackforge.resilience.defaults import MONTE_CARLO_SEED

if TYPE_CHECKING:
    from rackforge.optimize.data import OptimizeInput
    from rackforge.optimize.highs import SolveOptions
    from rackforge.optimize.solve import OptimizeResult
    from rackforge.optimize.sweep import SweepResult
    from rackforge.schema import Programme

RULE_THRESHOLDS: Literal["rule"] = "rule"
"""``SourcingPolicy.domestic_target`` value meaning: the rule's threshold in each year."""

TWO_SOURCE_RULE = "two sources for critical parts"
"""The name of the rule the policy relaxes when no plan meets the targets."""

SWEEP_SHORTFALL_SCENARIOS = 2000
"""Monte Carlo scenarios per point of the cost-of-resilience curve, for its expected shortfall [scenarios]."""

SUMMARY_SWEEP_POINTS = 4
"""Domestic-content targets on the summary curve (the report's): each point is a MIP solve, so the
summary spreads four over the reachable range; ``rackforge optimize --sweep`` draws the full grid."""

SUMMARY_SHORTFALL_SCENARIOS = 1000
"""At most this many Monte Carlo scenarios per point of the summary curve [scenarios]."""


REPORT_SOLVES_PER_BUDGET = 20
"""The report's optimiser section gives each solve at most 1/20 of the section's time budget: the foot
of the curve, the bisection for the reachable target (about 11 steps, most of them quick) and the curve's
points fit in the budget even when a few solves stop at the limit."""


def report_solve_options(section_budget_s: float, *, gap: float | None = None,
                         time_limit_s: float | None = None) -> SolveOptions:
    """Solver options of the report's optimiser section: ``gap`` [fraction] (default the optimiser's),
    and ``time_limit_s`` [s] per solve, by default the section's budget [s] ÷
    :data:`REPORT_SOLVES_PER_BUDGET`, at least 1 s and at most the optimiser's default."""
    from rackforge.optimize.highs import SolveOptions

    default = SolveOptions()
    limit = time_limit_s if time_limit_s is not None else min(
        default.time_limit_s, max(1.0, section_budget_s / REPORT_SOLVES_PER_BUDGET))
    return SolveOptions(mip_rel_gap=default.mip_rel_gap if gap is None else gap, time_limit_s=limit)


REPORT_FOOT_SHARE = 4
"""The report's least-cost plan (the foot of the curve, the plan it shows) may take 1/4 of the section's
time budget: it is the one solve whose gap the reader sees."""


def report_foot_solve_options(section_budget_s: float, *, gap: float | None = None,
                              time_limit_s: float | None = None) -> SolveOptions:
    """Solver options of the report's least-cost plan: as :func:`report_solve_options`, with a time limit
    [s] of the section's budget [s] ÷ :data:`REPORT_FOOT_SHARE` (at least 1 s, at most the optimiser's
    default) unless ``time_limit_s`` is given."""
    from dataclasses import replace as replace_options

    from rackforge.optimize.highs import SolveOptions

    options = report_solve_options(section_budget_s, gap=gap, time_limit_s=time_limit_s)
    if time_limit_s is not None:
        return options
    limit = min(SolveOptions().time_limit_s, max(1.0, section_budget_s / REPORT_FOOT_SHARE))
    return replace_options(options, time_limit_s=limit)


def summary_shortfall_scenarios(requested: int) -> int:
    """Monte Carlo scenarios per point of the summary curve: ``requested`` (the run's own count), at most
    :data:`SUMMARY_SHORTFALL_SCENARIOS` [scenarios]."""
    return min(SUMMARY_SHORTFALL_SCENARIOS, requested)


@dataclass(frozen=True)
class SourcingPolicy:
    """What a sourcing plan must achieve, as the caller asks for it (every field optional).

    ``domestic_target``: least domestic share of component cost per design and year [fraction];
    :data:`RULE_THRESHOLDS` (default) for the rule's threshold in each year; None for no target.
    ``from_year``: hold only this year and later to the target [calendar year]; None for every year.
    ``categories``: hold only these part categories to the target; None for the whole rack.
    ``rule_id``: a built-in domestic-content rule instead of the programme's (its thresholds and
    definitions of domestic and of component cost).
    ``country_cap``: largest share any one country may have [fraction]; None for no cap.
    ``cap_scope``: the cap applies to each part's units (``part``) or each category's landed cost.
    ``critical_share``: most one source may supply of a critical part per year [fraction] (the
    two-source rule); None or 1 switch it off.
    ``relax_two_source_rule``: when no plan meets the targets, solve again without the two-source rule.
    ``find_relaxations``: when no plan meets the targets, search the smallest relaxations that make it
    feasible, each re-solved (:func:`~rackforge.optimize.relaxations.smallest_relaxations`), on the
    strict answer's ``explanation.relaxations``.
    """

    domestic_target: float | Literal["rule"] | None = RULE_THRESHOLDS
    from_year: int | None = None
    categories: tuple[str, ...] | None = None
    rule_id: str | None = None
    country_cap: float | None = None
    cap_scope: Literal["part", "category"] = "part"
    critical_share: float | None = CRITICAL_MAX_SOURCE_SHARE
    relax_two_source_rule: bool = True
    find_relaxations: bool = True


def plan_years(programme: Programme, from_year: int | None = None) -> list[int]:
    """The calendar years of the build plan, from ``from_year`` on when given.

    Raises :class:`~rackforge.errors.UsageError` when ``from_year`` is not a year of the plan.
    """
    from rackforge.calendar import quarter_start
    from rackforge.errors import UsageError

    years = sorted({quarter_start(q).year for q in programme.build_plan.quarter_list})
    if from_year is not None and from_year not in years:
        raise UsageError(f"from year {from_year} is not a year of the build plan; valid: "
                         f"{', '.join(map(str, years))}")
    return [y for y in years if from_year is None or y >= from_year]


def checked_categories(categories: Sequence[str] | None) -> tuple[str, ...] | None:
    """``categories`` as a tuple, each checked against the part categories (did-you-mean on a typo)."""
    if not categories:
        return None
    from rackforge.errors import UsageError, did_you_mean, valid_list
    from rackforge.schema import Category

    valid = [c.value for c in Category]
    for c in categories:
        if c not in valid:
            raise UsageError(f"categories: no category {c!r}{did_you_mean(c, valid)}; {valid_list(valid)}")
    return tuple(categories)


def sourcing_targets(programme: Programme, policy: SourcingPolicy) -> SourcingTargets:
    """The optimiser's targets for ``policy`` on ``programme``.

    With :data:`RULE_THRESHOLDS` the target of each chosen year is the rule's threshold (plus
    :data:`~rackforge.optimize.data.EXCEEDS_MARGIN` when the share must *exceed* it); a flat target
    gets the same margin under such a rule; None sets no domestic-content target.
    """
    from rackforge.sourcing.policy import applicable_rule

    rule = applicable_rule(programme, policy.rule_id)
    years = plan_years(programme, policy.from_year)
    critical = policy.critical_share if policy.critical_share is not None and policy.critical_share < 1.0 else None
    common: dict[str, Any] = {"domestic_categories": checked_categories(policy.categories),
                              "country_cap": policy.country_cap, "cap_scope": policy.cap_scope,
                              "critical_max_source_share": critical}
    if policy.domestic_target == RULE_THRESHOLDS:
        return SourcingTargets.from_rule(rule, years, **common)
    if policy.domestic_target is None:
        return SourcingTargets(**common)
    margin = EXCEEDS_MARGIN if rule.comparison == "exceeds" else 0.0
    return SourcingTargets(domestic_content={y: float(policy.domestic_target) for y in years},
                           domestic_margin=margin, **common)


def optimiser_input(programme: Programme, policy: SourcingPolicy) -> OptimizeInput:
    """The optimiser's arrays for ``programme`` under the policy's rule (the programme's by default)."""
    from rackforge.optimize.data import build_input
    from rackforge.sourcing.policy import chosen_rule

    return build_input(programme, rule=chosen_rule(policy.rule_id))


@dataclass(frozen=True)
class PolicyOutcome:
    """The optimiser's answer under a policy.

    ``strict``: the least-cost plan for the targets asked for (``plan`` None when there is none, with
    its explanation). ``result``: the plan the policy settles on: ``strict``, or, when no plan meets
    the targets and the policy relaxes the two-source rule, the plan without it. ``relaxed_rules``:
    the rules relaxed to get ``result`` (empty when none were).
    """

    targets: SourcingTargets
    strict: OptimizeResult
    result: OptimizeResult
    relaxed_rules: tuple[str, ...] = ()

    @property
    def targets_met(self) -> bool:
        """Whether a plan meets the targets asked for."""
        return self.strict.plan is not None

    def to_dict(self) -> dict[str, Any]:
        """The strict answer's JSON (:meth:`OptimizeResult.to_dict`) with ``relaxed_rules`` and, when a
        rule was relaxed, the relaxed answer under ``relaxed_result``."""
        return {**self.strict.to_dict(), "relaxed_rules": list(self.relaxed_rules),
                "relaxed_result": self.result.to_dict() if self.relaxed_rules else None}


def solve_under_policy(data: OptimizeInput, targets: SourcingTargets, policy: SourcingPolicy,
                       options: SolveOptions | None = None, *, stock: str = "source",
                       duals: bool = True) -> PolicyOutcome:
    """Solve for ``targets``; when no plan meets them and the policy says so, solve again with the
    two-source rule relaxed."""
    from rackforge.optimize.solve import optimise

    strict = optimise(data, targets, options, stock=stock, duals=duals)
    if strict.plan is None and strict.explanation is not None and policy.find_relaxations:
        from rackforge.optimize.relaxations import smallest_relaxations

        strict.explanation.relaxations = smallest_relaxations(data, targets, options, stock=stock)
        strict.explanation.relaxations_searched = True
    if strict.plan is not None or not policy.relax_two_source_rule or targets.critical_max_source_share is None:
        return PolicyOutcome(targets, strict, strict)
    relaxed = optimise(data, replace(targets, critical_max_source_share=None), options, stock=stock, duals=duals)
    return PolicyOutcome(targets, strict, relaxed, (TWO_SOURCE_RULE,))


def optimise_programme(programme: Programme, policy: SourcingPolicy | None = None,
                       options: SolveOptions | None = None, *, stock: str = "source",
                       duals: bool = True) -> PolicyOutcome:
    """The least-cost sourcing plan of ``programme`` under ``policy`` (default: :class:`SourcingPolicy()`)."""
    policy = policy or SourcingPolicy()
    return solve_under_policy(optimiser_input(programme, policy), sourcing_targets(programme, policy), policy,
                              options, stock=stock, duals=duals)


def spread_targets(best: float | None, grid: Sequence[float], points: int) -> list[float]:
    """``points`` domestic-content targets [fraction] strictly inside the reachable range.

    A solve exactly at the highest reachable target ``best`` sits on the feasibility boundary and is
    slow (``best`` itself comes from the bisection), so: the grid's targets at or below 98 % of
    ``best``, thinned to ``points`` evenly spread ones; if fewer than three are that low, ``best`` × 0,
    1/points, 2/points, …. Empty when nothing is reachable (``best`` None).
    """
    if best is None:
        return []
    low = [t for t in grid if t <= 0.98 * best]
    if len(low) < 3:
        return [round(best * i / points, 4) for i in range(points)]
    if len(low) <= points:
        return low
    step = (len(low) - 1) / (points - 1)
    return [low[round(i * step)] for i in range(points)]


@dataclass(frozen=True)
class CostOfResilience:
    """The cost-of-resilience curve and the least-cost plan at its foot.

    ``least_cost``: the least-cost plan with no domestic-content target and no country cap, under the
    policy's other rules (relaxing the two-source rule when no plan meets it); ``curve``: least cost as
    the domestic-content target tightens, under the rules ``least_cost`` settled on.
    """

    least_cost: PolicyOutcome
    curve: SweepResult

    @property
    def relaxed_rules(self) -> tuple[str, ...]:
        """Rules relaxed for the plan and the curve."""
        return self.least_cost.relaxed_rules

    def to_dict(self) -> dict[str, Any]:
        """The curve's JSON (:meth:`SweepResult.to_dict`) with the rules relaxed for it."""
        return {**self.curve.to_dict(), "relaxed_rules": list(self.relaxed_rules)}


def cost_of_resilience(programme: Programme, policy: SourcingPolicy | None = None, *,
                       domestic_targets: Sequence[float] | None = None, country_caps: Sequence[float] = (),
                       points: int | None = None, shortfall_scenarios: int = SWEEP_SHORTFALL_SCENARIOS,
                       seed: int = MONTE_CARLO_SEED, options: SolveOptions | None = None,
                       stock: str = "source", foot_options: SolveOptions | None = None,
                       progress: Callable[[str], None] | None = None) -> CostOfResilience:
    """Least cost for each domestic-content target × country cap, with each plan's expected shortfall.

    ``domestic_targets`` [fraction]: the targets to try; None for the optimiser's default grid (40 %…90 %,
    clipped to what is reachable), or, with ``points``, that many targets spread over the reachable
    range (:func:`spread_targets`). ``country_caps`` [fraction] are tried besides no cap. The policy's
    domestic target is replaced by the swept ones; its years, categories, rule, cap scope and
    two-source rule apply (relaxed as in :func:`solve_under_policy` when no plan meets them even with
    no target). ``shortfall_scenarios`` Monte Carlo scenarios with ``seed`` per point (0: none).
    ``foot_options``: solver options of the least-cost plan (default ``options``). ``progress(text)`` is
    told the stage and the count of solves so far after each solve ("curve of 4 points: solve 9").
    """
    from rackforge.optimize.highs import SolveOptions
    from rackforge.optimize.solve import on_each_solve

    stage, solves = ["least-cost plan"], [0]

    def tick() -> None:
        solves[0] += 1
        if progress is not None:
            progress(f"{stage[0]}: solve {solves[0]}")

    with on_each_solve(tick):
        return _cost_of_resilience(programme, policy, domestic_targets, country_caps, points, shortfall_scenarios,
                                   seed, options or SolveOptions(), stock, foot_options, stage)


def _cost_of_resilience(programme: Programme, policy: SourcingPolicy | None, domestic_targets: Sequence[float] | None,
                        country_caps: Sequence[float], points: int | None, shortfall_scenarios: int, seed: int,
                        options: SolveOptions, stock: str, foot_options: SolveOptions | None,
                        stage: list[str]) -> CostOfResilience:
    """:func:`cost_of_resilience` with the stage it is at written into ``stage[0]`` (for progress)."""
    from rackforge.optimize.sweep import DEFAULT_TARGETS, KnownAnswers, max_achievable_target, sweep

    policy = policy or SourcingPolicy()
    data = optimiser_input(programme, policy)
    targets = sourcing_targets(programme, policy)
    foot = replace(targets, domestic_content=None, country_cap=None)
    least = solve_under_policy(data, foot, policy, foot_options or options, stock=stock, duals=False)
    rules = replace(targets, critical_max_source_share=None) if least.relaxed_rules else targets
    years = None if policy.from_year is None else [int(y) for y in data.years if y >= policy.from_year]
    grid = list(domestic_targets) if domestic_targets is not None else None
    foot_plan = least.result.plan is not None
    known = KnownAnswers(base_solved=True, base_cost_usd=least.result.objective_usd if foot_plan else None,
                         base_result=least.result if foot_plan else None)
    if grid is None and points is not None:
        stage[0] = "highest reachable domestic-content target"
        plans = [least.result.plan] if least.result.plan is not None else []
        best = max_achievable_target(data, replace(rules, country_cap=None), options, stock=stock, years=years,
                                     plans=plans)
        grid = spread_targets(best, DEFAULT_TARGETS, points) or [0.0]
        known = replace(known, best_solved=True, max_achievable_target=best)
    stage[0] = "cost-of-resilience curve" + (f" of {len(grid) * (1 + len(country_caps))} points" if grid else "")
    curve = sweep(data, rules, domestic_targets=grid, country_caps=[None, *country_caps], programme=programme,
                  shortfall_scenarios=shortfall_scenarios, seed=seed, options=options, stock=stock, years=years,
                  known=known)
    return CostOfResilience(least, curve)

