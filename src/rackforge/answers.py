"""Each command's ``--json`` answer, built once for the CLI and the service.

:func:`answer` runs one analysis through :mod:`rackforge.api` with the command's options (named as the
CLI's options, ``--country-cap`` → ``country_cap``) and returns the JSON the command prints with
``--json``, and the reason the command would exit with status 1 (a failed check, a missed target), if
any. Options are checked by pydantic models (one per analysis, unknown names refused); every default
comes from the analysis that owns it, as for the CLI. ``assess`` is not here: it writes a report (layer 6,
see :mod:`rackforge.report.assess`); the service runs it from the report layer.

Layer 5 (api), beside :mod:`rackforge.api`.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from rackforge.errors import UsageError
from rackforge.resilience.defaults import MONTE_CARLO_SCENARIOS, MONTE_CARLO_SEED, STRESS_LEVEL_CHOICES, STRESS_LEVELS

if TYPE_CHECKING:
    from rackforge.engineering.design_checks import DesignReport
    from rackforge.factory.capacity import CapacityPlan
    from rackforge.factory.results import FactoryResult
    from rackforge.optimize.highs import SolveOptions
    from rackforge.optimize.policy import CostOfResilience, PolicyOutcome, SourcingPolicy
    from rackforge.schema import Programme

Progress = Callable[[float], None]
"""Called with the share of an analysis done [fraction 0-1], where the analysis reports it."""


@dataclass(frozen=True)
class CommandAnswer:
    """A command's ``--json`` data and, when the command would exit with status 1, why."""

    data: dict[str, Any]
    failed: str | None = None


def json_default(value: Any) -> Any:
    """How ``--json`` writes what :mod:`json` does not know: dates (ISO), arrays (lists), pydantic
    models, sets and tuples (lists)."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if hasattr(value, "tolist"):
        return value.tolist()
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"cannot serialise {type(value).__name__}")


def json_text(data: Any) -> str:
    """``data`` as the CLI prints it with ``--json``."""
    return json.dumps(data, indent=2, default=json_default, ensure_ascii=False)


def check_json(programme: Programme, reports: list[DesignReport]) -> dict[str, Any]:
    """``rackforge check --json``: the programme, pass/fail, the built-in records it replaces or extends
    (``catalog_changes``, one sentence each) and each design's findings."""
    from rackforge.io.loader import load_catalog
    from rackforge.io.variants import catalog_changes

    failing = [f for r in reports for f in r.failed]
    return {"programme": programme.info.name, "status": "fail" if failing else "pass",
            "catalog_changes": catalog_changes(programme, load_catalog()),
            "designs": [r.to_dict() for r in reports]}


StressLevel = enum.StrEnum("StressLevel", {x.upper(): x for x in STRESS_LEVEL_CHOICES})  # type: ignore[misc]
"""A group the stress test takes down (``--by``)."""


class Options(BaseModel):
    """Options of one analysis: unknown names are refused."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class CheckOptions(Options):
    """``rackforge check``: ``design`` (repeatable) → ``designs``."""

    designs: list[str] = Field(default_factory=list)


class SourcingOptions(Options):
    """``rackforge sourcing``: ``--rule``."""

    rule: str | None = None


class StressOptions(Options):
    """``rackforge stress``: ``--quarter``, ``--by``."""

    quarter: str | None = None
    by: list[StressLevel] = Field(default_factory=lambda: [StressLevel(x) for x in STRESS_LEVELS],
                                  description=", ".join(STRESS_LEVEL_CHOICES))


class SimulateOptions(Options):
    """``rackforge simulate``: ``--scenarios``, ``--seed``, ``--precision`` (memory options do not change
    results and are not taken)."""

    scenarios: int = Field(MONTE_CARLO_SCENARIOS, ge=1, le=10_000_000)
    seed: int = Field(MONTE_CARLO_SEED, ge=0)
    precision: Literal["single", "double"] = "single"


Share = Annotated[float, Field(ge=0, le=1)]
"""A share [fraction 0-1]."""


def _only_with(options: Options, switch: str, names: tuple[str, ...]) -> None:
    """Refuse ``names`` given (not None) without the ``switch`` flag, naming them (a ValueError, which
    pydantic reports)."""
    given = [name for name in names if getattr(options, name) is not None]
    if given and not getattr(options, switch):
        raise ValueError(f"{', '.join(given)} {'goes' if len(given) == 1 else 'go'} with {switch}: true")


SWEEP_ONLY = ("targets", "caps", "scenarios", "seed")
""":class:`OptimizeOptions` that only go with ``sweep`` (the CLI: ``--targets``, ``--caps`` go with ``--sweep``)."""


class OptimizeOptions(Options):
    """``rackforge optimize``: the policy and solver options; with ``sweep`` (``--sweep``) the
    cost-of-resilience curve over ``targets`` (``--targets``, default the optimiser's 40-90 % grid) ×
    no cap and each of ``caps`` (``--caps``), each point's expected shortfall over ``scenarios``
    Monte Carlo scenarios (0: none) with ``seed``; those four go with ``sweep`` only."""

    domestic_target: float | Literal["rule", "none"] = "rule"
    from_year: int | None = None
    categories: list[str] | None = None
    rule: str | None = None
    country_cap: float | None = Field(None, ge=0, le=1)
    cap_scope: Literal["part", "category"] | None = None
    critical_share: float | None = Field(None, ge=0, le=1)
    relax: bool | None = None
    stock: Literal["source", "pooled"] = "source"
    gap: float | None = Field(None, ge=0, lt=1)
    time_limit: float | None = Field(None, gt=0, le=3600)
    sweep: bool = False
    targets: list[Share] | None = Field(None, min_length=1, max_length=100)
    caps: list[Share] | None = Field(None, max_length=20)
    scenarios: int | None = Field(None, ge=0, le=10_000_000)
    seed: int | None = Field(None, ge=0)

    @model_validator(mode="after")
    def _sweep_options_go_with_sweep(self) -> Self:
        _only_with(self, "sweep", SWEEP_ONLY)
        return self


CAPACITY_ONLY = ("confidence", "max_utilisation")
""":class:`FactoryOptions` that only go with ``plan_capacity`` (the CLI: with ``--plan-capacity``)."""


class FactoryOptions(Options):
    """``rackforge factory``: ``--replications``, ``--seed``, ``--weeks``; with ``plan_capacity``
    (``--plan-capacity``) the fewest stations that meet the build plan, with ``confidence`` and
    ``max_utilisation`` (which go with it only; ``weeks`` does not go with it)."""

    replications: int | None = Field(None, ge=1, le=1000)
    seed: int | None = Field(None, ge=0)
    weeks: float | None = Field(None, ge=1, le=10_000)
    plan_capacity: bool = False
    confidence: float | None = Field(None, gt=0, le=1)
    max_utilisation: float | None = Field(None, gt=0, le=1)

    @model_validator(mode="after")
    def _capacity_options_go_with_plan_capacity(self) -> Self:
        if self.plan_capacity and self.weeks is not None:
            raise ValueError("weeks does not go with plan_capacity: true (capacity is planned for the whole plan)")
        _only_with(self, "plan_capacity", CAPACITY_ONLY)
        return self


class ReadinessOptions(Options):
    """``rackforge readiness`` (``--gaps`` only shortens the printed table; JSON has every gap)."""


class EvaluateOptions(Options):
    """``rackforge evaluate``: ``--as-of``."""

    as_of: dt.date | None = None


OPTIONS: dict[str, type[Options]] = {
    "check": CheckOptions, "sourcing": SourcingOptions, "stress": StressOptions, "simulate": SimulateOptions,
    "optimize": OptimizeOptions, "factory": FactoryOptions, "readiness": ReadinessOptions,
    "evaluate": EvaluateOptions,
}
"""The analyses :func:`answer` runs, with their options."""


def parse_options(analysis: str, options: Mapping[str, Any]) -> Options:
    """``options`` checked for ``analysis``; a :class:`UsageError` naming each bad option otherwise."""
    model = OPTIONS.get(analysis)
    if model is None:
        raise UsageError(f"unknown analysis {analysis!r}; one of {', '.join(sorted(OPTIONS))}")
    try:
        return model.model_validate(dict(options))
    except ValidationError as exc:
        raise UsageError(f"options of {analysis}: {validation_problems(exc)}") from None


def validation_problems(exc: ValidationError) -> str:
    """Each problem of ``exc`` as ``option: message`` (a rule across options: its message, which names
    them), separated by semicolons."""
    def problem(error: Any) -> str:
        where = ".".join(str(x) for x in error["loc"])
        message = str(error["msg"]).removeprefix("Value error, ")
        return f"{where}: {message}" if where else message

    return "; ".join(problem(e) for e in exc.errors())


def answer(analysis: str, programme: Programme, options: Mapping[str, Any] | Options | None = None,
           progress: Progress | None = None) -> CommandAnswer:
    """Run ``analysis`` on ``programme`` with ``options`` (the CLI's option names) and return the JSON
    ``rackforge <analysis> --json`` prints for them, with the reason it would exit 1."""
    parsed = options if isinstance(options, Options) else parse_options(analysis, options or {})
    runner: Callable[[Programme, Any, Progress | None], CommandAnswer] = _RUNNERS[analysis]
    return runner(programme, parsed, progress)


def _check(programme: Programme, o: CheckOptions, _progress: Progress | None) -> CommandAnswer:
    from rackforge import api

    reports = api.check_designs(programme, o.designs)
    failing = [f"{r.design_id}: {f.check}" for r in reports for f in r.failed]
    failed = f"{len(failing)} check(s) failed: {', '.join(failing)}" if failing else None
    return CommandAnswer(check_json(programme, reports), failed)


def _sourcing(programme: Programme, o: SourcingOptions, _progress: Progress | None) -> CommandAnswer:
    from rackforge import api

    return CommandAnswer(api.sourcing(programme, o.rule).to_json())


def _stress(programme: Programme, o: StressOptions, _progress: Progress | None) -> CommandAnswer:
    from rackforge import api

    return CommandAnswer(api.stress_test(programme, quarter=o.quarter, levels=tuple(str(x) for x in o.by)).to_json())


def _simulate(programme: Programme, o: SimulateOptions, progress: Progress | None) -> CommandAnswer:
    from rackforge import api

    done = 0

    def advance(k: int) -> None:
        nonlocal done
        done += k
        if progress is not None:
            progress(done / o.scenarios)

    result = api.simulate(programme, o.scenarios, o.seed, precision=o.precision, progress=advance)
    return CommandAnswer(result.to_json())


def _optimize(programme: Programme, o: OptimizeOptions, progress: Progress | None) -> CommandAnswer:
    if o.sweep:
        return sweep_answer(sweep_curve(programme, o, progress))
    return optimize_answer(optimize_outcome(programme, o))


def sourcing_policy(o: OptimizeOptions) -> SourcingPolicy:
    """The optimiser's policy for ``o``: the policy's default for each option not given."""
    from rackforge.optimize.policy import RULE_THRESHOLDS, SourcingPolicy

    defaults = SourcingPolicy()
    target: float | Literal["rule"] | None = (RULE_THRESHOLDS if o.domestic_target == "rule" else None
                                               if o.domestic_target == "none" else float(o.domestic_target))
    return SourcingPolicy(
        domestic_target=target, from_year=o.from_year,
        categories=None if o.categories is None else tuple(o.categories), rule_id=o.rule, country_cap=o.country_cap,
        cap_scope=defaults.cap_scope if o.cap_scope is None else o.cap_scope,
        critical_share=defaults.critical_share if o.critical_share is None else o.critical_share,
        relax_two_source_rule=defaults.relax_two_source_rule if o.relax is None else o.relax)


def solve_options(o: OptimizeOptions) -> SolveOptions:
    """The solver's options for ``o``: its defaults for ``gap`` and ``time_limit`` when not given."""
    from dataclasses import replace

    from rackforge.optimize.highs import SolveOptions

    solve = SolveOptions()
    if o.gap is not None:
        solve = replace(solve, mip_rel_gap=o.gap)
    if o.time_limit is not None:
        solve = replace(solve, time_limit_s=o.time_limit)
    return solve


def optimize_outcome(programme: Programme, o: OptimizeOptions) -> PolicyOutcome:
    """``rackforge optimize`` (without ``--sweep``): the least-cost plan under ``o``'s policy."""
    from rackforge import api

    return api.optimize(programme, sourcing_policy(o), solve=solve_options(o), stock=o.stock)


def optimize_answer(outcome: PolicyOutcome) -> CommandAnswer:
    """``rackforge optimize --json`` for ``outcome``; failed when no plan meets the targets."""
    failed = None if outcome.targets_met else "no sourcing plan meets the targets (explained in the JSON)"
    return CommandAnswer(outcome.to_dict(), failed)


def sweep_curve(programme: Programme, o: OptimizeOptions, progress: Progress | None = None) -> CostOfResilience:
    """``rackforge optimize --sweep``: the cost-of-resilience curve for ``o``. ``progress`` is told an
    estimate [fraction]: solves so far over one per point of the curve and one for its foot (some
    points need more solves, some none), kept below 1 until the curve is done."""
    from rackforge import api
    from rackforge.optimize.sweep import DEFAULT_TARGETS

    points = len(o.targets or DEFAULT_TARGETS) * (1 + len(o.caps or ()))
    solves = 0

    def advance(_stage: str) -> None:
        nonlocal solves
        solves += 1
        if progress is not None:
            progress(min(solves / (points + 1), 0.99))

    curve = api.optimize_sweep(programme, sourcing_policy(o), domestic_targets=o.targets, country_caps=o.caps or (),
                               scenarios=o.scenarios, seed=MONTE_CARLO_SEED if o.seed is None else o.seed,
                               solve=solve_options(o), stock=o.stock, progress=advance)
    if progress is not None:
        progress(1.0)
    return curve


def sweep_answer(curve: CostOfResilience) -> CommandAnswer:
    """``rackforge optimize --sweep --json`` for ``curve``; failed when a point of it has no plan."""
    missing, total = curve.curve.infeasible_points, len(curve.curve.points)
    failed = (f"{missing} of {total} points of the curve have no plan (infeasible, or none found in time)"
              if missing else None)
    return CommandAnswer(curve.to_dict(), failed)


def _factory(programme: Programme, o: FactoryOptions, _progress: Progress | None) -> CommandAnswer:
    if o.plan_capacity:
        return capacity_answer(capacity_plan(programme, o))
    return factory_answer(programme, o, factory_result(programme, o))


def factory_result(programme: Programme, o: FactoryOptions, workers: int | None = 1) -> FactoryResult:
    """``rackforge factory`` (without ``--plan-capacity``): the line simulated with ``o`` in ``workers``
    processes (None: one per CPU; the numbers do not depend on it)."""
    from rackforge import api

    return api.factory(programme, replications=o.replications, seed=o.seed, workers=workers, weeks=o.weeks)


def factory_answer(programme: Programme, o: FactoryOptions, result: FactoryResult) -> CommandAnswer:
    """``rackforge factory --json`` for ``result``; failed when the line misses the build plan."""
    from rackforge import api

    return CommandAnswer(result.to_dict(), api.factory_plan_missed(programme, result, whole_plan=o.weeks is None))


def capacity_plan(programme: Programme, o: FactoryOptions, workers: int | None = 1) -> CapacityPlan:
    """``rackforge factory --plan-capacity``: the fewest stations that meet the build plan with ``o``, the
    replications in ``workers`` processes (None: one per CPU; the numbers do not depend on it)."""
    from rackforge import api

    return api.plan_factory_capacity(programme, confidence=o.confidence, replications=o.replications, seed=o.seed,
                                     workers=workers, max_utilisation=o.max_utilisation)


def capacity_answer(plan: CapacityPlan) -> CommandAnswer:
    """``rackforge factory --plan-capacity --json`` for ``plan`` (no plan found is an error, not a failed
    check: the planner raises)."""
    return CommandAnswer(plan.to_dict())


def _readiness(programme: Programme, _o: ReadinessOptions, _progress: Progress | None) -> CommandAnswer:
    from rackforge import api

    return CommandAnswer(api.readiness(programme, require_assessments=True).to_dict())


def _evaluate(programme: Programme, o: EvaluateOptions, _progress: Progress | None) -> CommandAnswer:
    from rackforge import api

    return CommandAnswer(api.evaluate(programme, as_of=o.as_of).to_json())


_RUNNERS: dict[str, Callable[[Programme, Any, Progress | None], CommandAnswer]] = {
    "check": _check, "sourcing": _sourcing, "stress": _stress, "simulate": _simulate, "optimize": _optimize,
    "factory": _factory, "readiness": _readiness, "evaluate": _evaluate,
}
