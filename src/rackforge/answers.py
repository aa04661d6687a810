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
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from rackforge.errors import UsageError
from rackforge.resilience.defaults import MONTE_CARLO_SCENARIOS, MONTE_CARLO_SEED, STRESS_LEVEL_CHOICES, STRESS_LEVELS

if TYPE_CHECKING:
    from rackforge.engineering.design_checks import DesignReport
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


def check_json(programme_name: str, reports: list[DesignReport]) -> dict[str, Any]:
    """``rackforge check --json``: the programme, pass/fail, and each design's findings."""
    failing = [f for r in reports for f in r.failed]
    return {"programme": programme_name, "status": "fail" if failing else "pass",
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


class OptimizeOptions(Options):
    """``rackforge optimize`` (without ``--sweep``): the policy and solver options."""

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


class FactoryOptions(Options):
    """``rackforge factory`` (without ``--plan-capacity``): ``--replications``, ``--seed``, ``--weeks``."""

    replications: int | None = Field(None, ge=1, le=1000)
    seed: int | None = Field(None, ge=0)
    weeks: float | None = Field(None, ge=1, le=10_000)


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
        problems = "; ".join(f"{'.'.join(str(x) for x in e['loc']) or 'options'}: {e['msg']}" for e in exc.errors())
        raise UsageError(f"options of {analysis}: {problems}") from None


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
    return CommandAnswer(check_json(programme.info.name, reports), failed)


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


def _optimize(programme: Programme, o: OptimizeOptions, _progress: Progress | None) -> CommandAnswer:
    from dataclasses import replace

    from rackforge import api
    from rackforge.optimize.highs import SolveOptions
    from rackforge.optimize.policy import RULE_THRESHOLDS, SourcingPolicy

    defaults = SourcingPolicy()
    target: float | Literal["rule"] | None = (RULE_THRESHOLDS if o.domestic_target == "rule" else None
                                               if o.domestic_target == "none" else float(o.domestic_target))
    policy = SourcingPolicy(
        domestic_target=target, from_year=o.from_year,
        categories=None if o.categories is None else tuple(o.categories), rule_id=o.rule, country_cap=o.country_cap,
        cap_scope=defaults.cap_scope if o.cap_scope is None else o.cap_scope,
        critical_share=defaults.critical_share if o.critical_share is None else o.critical_share,
        relax_two_source_rule=defaults.relax_two_source_rule if o.relax is None else o.relax)
    solve = SolveOptions()
    if o.gap is not None:
        solve = replace(solve, mip_rel_gap=o.gap)
    if o.time_limit is not None:
        solve = replace(solve, time_limit_s=o.time_limit)
    outcome = api.optimize(programme, policy, solve=solve, stock=o.stock)
    failed = None if outcome.targets_met else "no sourcing plan meets the targets (explained in the JSON)"
    return CommandAnswer(outcome.to_dict(), failed)


def _factory(programme: Programme, o: FactoryOptions, _progress: Progress | None) -> CommandAnswer:
    from rackforge import api

    result = api.factory(programme, replications=o.replications, seed=o.seed, workers=1, weeks=o.weeks)
    return CommandAnswer(result.to_dict(), api.factory_plan_missed(programme, result, whole_plan=o.weeks is None))


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
