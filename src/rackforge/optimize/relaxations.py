"""The way out of an infeasible plan: the smallest relaxations of the targets that make it feasible.

Each target family has one knob, loosened in one direction until a plan exists:

- domestic content: the target, lowered to at most τ in every year (years already below τ keep
  theirs) — "lower the domestic-content target to 41.2 %";
- country-share cap: the cap, raised (1 = off);
- two sources for critical parts: the most one source may supply, raised (1 = off).

Feasibility is monotone in every knob, so each is bisected on a grid of :data:`RESOLUTION`
(:func:`rackforge.optimize.explain.plan_exists` at every step: the LP relaxation, then the MIP).
First each family alone, the others as asked; when no family alone is enough, the smallest sets of
families that together are (each knob bisected in turn with the later ones off, then fixed). Every
relaxation returned has been re-solved with the least-cost model and carries the relaxed plan's
cost, so it is a verified way out, not an estimate.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from rackforge.optimize.data import OptimizeInput, SourcingTargets
from rackforge.optimize.explain import EXPLAIN_TIME_LIMIT_S, _active_families, plan_exists
from rackforge.optimize.highs import SolveOptions

if TYPE_CHECKING:
    from rackforge.optimize.solve import OptimizeResult

RESOLUTION = 0.001
"""Step of the bisection [fraction]: a relaxed target is exact to 0.1 percentage point (about ten solves
per knob for a target range of 100 points)."""

DOMESTIC, CAP, TWO_SOURCE = "domestic content", "country-share cap", "two sources for critical parts"


@dataclass(frozen=True)
class RelaxedTarget:
    """One target loosened: ``asked`` → ``relaxed_to`` [fraction]; ``relaxed_to`` None: switched off."""

    target: str
    asked: float | None
    relaxed_to: float | None
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {"target": self.target, "asked": self.asked, "relaxed_to": self.relaxed_to, "message": self.message}


@dataclass(frozen=True)
class Relaxation:
    """A set of target changes that together make the plan feasible, with the relaxed plan's least cost
    [USD] (re-solved with the costed model)."""

    changes: tuple[RelaxedTarget, ...]
    cost_usd: float

    @property
    def message(self) -> str:
        """The relaxation in one line, e.g. 'lower the domestic-content target to 41.2 % (asked 65.0 %)'."""
        return " and ".join(c.message for c in self.changes)

    def to_dict(self) -> dict[str, Any]:
        return {"changes": [c.to_dict() for c in self.changes], "cost_usd": self.cost_usd, "message": self.message}


# ----- the knob of each family: its asked value, how to set it, which way is looser -----------------

def _asked_domestic(targets: SourcingTargets, years: list[int]) -> float:
    return max((targets.domestic_target(y) or 0.0) - targets.domestic_margin for y in years)


def _with_domestic(targets: SourcingTargets, years: list[int], tau: float | None) -> SourcingTargets:
    """Every year's domestic-content target lowered to at most ``tau`` (None: no target)."""
    if tau is None:
        return replace(targets, domestic_content=None)
    capped = {y: min(t - targets.domestic_margin, tau) for y in years
              if (t := targets.domestic_target(y)) is not None}
    return replace(targets, domestic_content=capped or None)


def _pct(value: float) -> str:
    return f"{value:.1%}"


@dataclass(frozen=True)
class _Knob:
    family: str
    asked: float
    set: Callable[[SourcingTargets, float | None], SourcingTargets]
    lowers: bool
    """True when loosening lowers the value (domestic content), False when it raises it (caps)."""

    def describe(self, value: float | None) -> RelaxedTarget:
        if value is None:
            what = {DOMESTIC: "drop the domestic-content target", CAP: "switch the country-share cap off",
                    TWO_SOURCE: "switch the two-source rule for critical parts off (--critical-share 1)"}
            return RelaxedTarget(self.family, self.asked, None, f"{what[self.family]} (asked {_pct(self.asked)})")
        verb = {DOMESTIC: "lower the domestic-content target to", CAP: "raise the country-share cap to",
                TWO_SOURCE: "let one source supply up to"}
        tail = " of a critical part" if self.family == TWO_SOURCE else ""
        return RelaxedTarget(self.family, self.asked, value,
                             f"{verb[self.family]} {_pct(value)}{tail} (asked {_pct(self.asked)})")


def _knobs(data: OptimizeInput, targets: SourcingTargets) -> dict[str, _Knob]:
    years = [int(y) for y in data.years]
    out: dict[str, _Knob] = {}
    for family in _active_families(data, targets):
        if family == DOMESTIC:
            out[family] = _Knob(family, _asked_domestic(targets, years),
                                lambda t, v: _with_domestic(t, years, v), lowers=True)
        elif family == CAP:
            out[family] = _Knob(family, float(targets.country_cap or 0.0),
                                lambda t, v: replace(t, country_cap=v), lowers=False)
        elif family == TWO_SOURCE:
            out[family] = _Knob(family, float(targets.critical_max_source_share or 0.0),
                                lambda t, v: replace(t, critical_max_source_share=v), lowers=False)
    return out


# ----- search ---------------------------------------------------------------------------------

def _bisect(knob: _Knob, feasible: Callable[[float | None], bool]) -> float | None:
    """The least loosening of ``knob`` with a plan [fraction], on the :data:`RESOLUTION` grid; None when
    only switching it off helps. ``feasible(None)`` (switched off) must hold."""
    if knob.lowers:  # domestic content: the largest feasible τ in [0, asked)
        lo, hi = 0, math.ceil(knob.asked / RESOLUTION)
        if not feasible(0.0):
            return None
        while hi - lo > 1:  # lo feasible, hi not
            mid = (lo + hi) // 2
            lo, hi = (mid, hi) if feasible(mid * RESOLUTION) else (lo, mid)
        return round(lo * RESOLUTION, 6)
    lo, hi = math.floor(knob.asked / RESOLUTION), round(1.0 / RESOLUTION)  # caps: the smallest in (asked, 1]
    if not feasible(1.0 - RESOLUTION):
        return None
    hi -= 1
    while hi - lo > 1:  # lo infeasible, hi feasible
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if feasible(mid * RESOLUTION) else (mid, hi)
    return round(hi * RESOLUTION, 6)


def _probe(exists: Callable[[SourcingTargets], bool],
           loosened: Callable[[SourcingTargets, dict[str, float | None]], SourcingTargets],
           targets: SourcingTargets, others: dict[str, float | None], family: str) -> Callable[[float | None], bool]:
    """Whether a plan exists with ``family``'s knob at a value and the ``others`` as given."""
    def feasible(value: float | None) -> bool:
        return exists(loosened(targets, {**others, family: value}))
    return feasible


def smallest_relaxations(data: OptimizeInput, targets: SourcingTargets, options: SolveOptions | None = None, *,
                         integer_quantities: bool = False, stock: str = "source") -> list[Relaxation]:
    """The smallest relaxations of ``targets`` that make a plan feasible, each verified by re-solving.

    One per target family that alone is enough (its knob bisected, the others as asked); when none
    is, one per smallest set of families that together are. Empty when the targets are met already
    or when no relaxation of the targets helps (the build plan itself cannot be supplied).
    """
    from rackforge.errors import SolverError
    from rackforge.optimize.solve import optimise

    options = options or SolveOptions()
    kw: dict[str, Any] = {"integer_quantities": integer_quantities, "stock": stock}
    knobs = _knobs(data, targets)

    def exists(t: SourcingTargets) -> bool:
        return plan_exists(data, t, options, **kw)

    def loosened(base: SourcingTargets, values: dict[str, float | None]) -> SourcingTargets:
        for family, value in values.items():
            base = knobs[family].set(base, value)
        return base

    if not knobs or exists(targets) or not exists(loosened(targets, dict.fromkeys(knobs))):
        return []
    out: list[Relaxation] = []
    verify = replace(options, time_limit_s=min(options.time_limit_s, EXPLAIN_TIME_LIMIT_S))
    for size in range(1, len(knobs) + 1):
        for group in itertools.combinations(knobs, size):
            if not exists(loosened(targets, dict.fromkeys(group))):
                continue
            found: dict[str, float | None] = {}
            for i, family in enumerate(group):
                others = {**found, **dict.fromkeys(group[i + 1:])}  # earlier ones as found, later ones off
                found[family] = _bisect(knobs[family], _probe(exists, loosened, targets, others, family))
            try:
                result: OptimizeResult = optimise(data, loosened(targets, found), verify, duals=False, explain=False,
                                                  **kw)
            except SolverError:
                continue
            if result.plan is not None:
                out.append(Relaxation(tuple(knobs[f].describe(v) for f, v in found.items()), result.objective_usd))
        if out:
            break
    return out
