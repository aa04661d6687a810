"""Early-access evaluation: score the evaluated systems, rank them, test the ranking against the
weights, and report where each option to buy stands against the decision record."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from rackforge.errors import InputError, Problem, UsageError
from rackforge.evaluate.checks import check_evaluations
from rackforge.evaluate.criteria import CriterionValue, EvaluationContext, criterion_value, system_tco
from rackforge.evaluate.scoring import normalise, normalised_weights, ranking, weight_flips, weighted_scores
from rackforge.evaluate.tco import TcoBreakdown, tco_assumptions
from rackforge.schema.evaluations import BUILTIN_CRITERIA, Decision, DecisionAction, EvaluatedSystem, Evaluations

if TYPE_CHECKING:
    import pandas as pd

    from rackforge.schema import Programme

DEADLINE_WARNING_DAYS = 30
"""An open option whose deadline is this close [days] is flagged."""


@dataclass(frozen=True)
class CriterionResult:
    """A criterion as used in the scoring."""

    id: str
    stated_weight: float
    weight: float  # normalised over the criteria used
    better: Literal["higher", "lower"]
    unit: str
    description: str
    used: bool
    reason: str = ""


@dataclass(frozen=True)
class SystemResult:
    """One evaluated system's scorecard."""

    id: str
    design: str
    design_name: str
    vendor: str
    access: str
    units: int
    raw: dict[str, float]
    origin: dict[str, str]
    normalised: dict[str, float]
    contribution: dict[str, float]
    score: float
    rank: int
    option: dict[str, Any] | None
    tco: TcoBreakdown


@dataclass(frozen=True)
class Sensitivity:
    """How far one criterion's weight must move before the top system changes."""

    criterion: str
    weight: float
    raise_to: float | None
    raise_new_top: str | None
    lower_to: float | None
    lower_new_top: str | None

    @property
    def smallest_change(self) -> float | None:
        """Smallest absolute weight change that flips the top [fraction points], or None."""
        changes = [abs(x - self.weight) for x in (self.raise_to, self.lower_to) if x is not None]
        return min(changes) if changes else None


@dataclass(frozen=True)
class OptionStatus:
    """Where the option on one system stands on ``as_of``."""

    system: str
    exercise_by: dt.date | None
    days_to_deadline: int | None
    latest_action: str | None
    latest_date: dt.date | None
    status: str  # exercised | declined | deferred | open | lapsed | no-option


@dataclass(frozen=True)
class EvaluationResult:
    """Scores, ranking, weight sensitivity and the decision record of an evaluation."""

    as_of: dt.date
    normalisation: str
    criteria: list[CriterionResult]
    systems: list[SystemResult]  # in rank order
    sensitivity: list[Sensitivity]
    decisions: list[Decision]
    options: list[OptionStatus]
    notes: list[str] = field(default_factory=list)
    as_of_basis: str = "today"
    """Where ``as_of`` came from: ``today``, ``--as-of`` (asked for) or ``evaluations.as_of`` (the programme's)."""

    @property
    def top(self) -> SystemResult:
        """The best-scoring system."""
        return self.systems[0]

    @property
    def used_criteria(self) -> list[CriterionResult]:
        """Criteria that entered the scores."""
        return [c for c in self.criteria if c.used]

    def to_json(self) -> dict[str, Any]:
        """Plain-JSON form."""
        def system_json(s: SystemResult) -> dict[str, Any]:
            data = asdict(s)
            data["tco"] = s.tco.to_json()
            return data

        return {
            "as_of": self.as_of.isoformat(),
            "normalisation": self.normalisation,
            "criteria": [asdict(c) for c in self.criteria],
            "systems": [system_json(s) for s in self.systems],
            "ranking": [s.id for s in self.systems],
            "top": self.top.id,
            "sensitivity": [{**asdict(x), "smallest_change": x.smallest_change} for x in self.sensitivity],
            "decisions": [d.model_dump(mode="json") for d in self.decisions],
            "options": [{**asdict(o), "exercise_by": o.exercise_by.isoformat() if o.exercise_by else None,
                         "latest_date": o.latest_date.isoformat() if o.latest_date else None}
                        for o in self.options],
            "notes": list(self.notes),
        }

    def scorecard_frame(self) -> pd.DataFrame:
        """One row per system: rank, score and each criterion's raw and normalised value."""
        import pandas as pd

        rows = []
        for s in self.systems:
            row: dict[str, Any] = {"rank": s.rank, "system": s.id, "design": s.design, "vendor": s.vendor,
                                   "score": s.score}
            for c in self.criteria:
                row[f"{c.id} [{c.unit}]"] = s.raw.get(c.id)
                if c.used:
                    row[f"{c.id} normalised"] = s.normalised.get(c.id)
            row["tco_usd_per_gpu_hour"] = s.tco.usd_per_gpu_hour
            rows.append(row)
        return pd.DataFrame(rows)


def evaluations_of(programme: Programme) -> Evaluations | None:
    """The programme's ``evaluations:`` section, or None."""
    ev = programme.evaluations
    return ev if isinstance(ev, Evaluations) else None


def evaluate(programme: Programme, analyses: Mapping[str, Any] | None = None,
             as_of: dt.date | None = None) -> EvaluationResult:
    """Run the early-access evaluation of ``programme`` (which must have an ``evaluations:`` section).

    ``analyses`` passes results of other analyses (see :mod:`rackforge.evaluate.criteria`).
    """
    ev = evaluations_of(programme)
    if ev is None:
        raise UsageError("this programme has no 'evaluations:' section; add one listing the early-access "
                         "systems and the criteria (see docs/report.md, 'Early-access evaluation')")
    check_evaluations(programme, ev)
    when, basis = evaluation_date(ev, as_of)
    shared = dict(analyses or {})
    ctx = EvaluationContext(tco_assumptions(programme), [s.design for s in ev.systems], shared,
                            sources={"sourcing": shared["sourcing"]} if "sourcing" in shared else {})
    values: dict[str, dict[str, CriterionValue]] = {
        s.id: {c.id: v for c in ev.criteria if (v := criterion_value(programme, s, c.id, ctx)) is not None}
        for s in ev.systems
    }
    notes: list[str] = []
    criteria = _criteria(ev, values, notes)
    used = [c for c in criteria if c.used]
    if not used:
        message = ("no criterion has a value for every system; state values in systems[].values "
                   f"(criteria: {', '.join(c.id for c in ev.criteria)})")
        raise InputError([programme.problem(("evaluations", "criteria"), message)])
    normalised: dict[str, list[float]] = {}
    for c in used:
        try:
            normalised[c.id] = normalise([values[s.id][c.id].value for s in ev.systems], c.better,
                                         ev.normalisation)
        except ValueError as exc:
            raise InputError([Problem("(programme folder)", None, f"evaluations.criteria.{c.id}", str(exc))]) from exc
    matrix = [[normalised[c.id][i] for c in used] for i in range(len(ev.systems))]
    weights = [c.weight for c in used]
    scores = weighted_scores(matrix, weights)
    order = ranking(scores)
    systems = [_system_result(programme, ev.systems[i], rank + 1, scores[i], values[ev.systems[i].id],
                              {c.id: normalised[c.id][i] for c in used}, used, ctx)
               for rank, i in enumerate(order)]
    sensitivity = _sensitivity(matrix, weights, used, ev.systems) if len(ev.systems) > 1 else []
    decisions = sorted(ev.decisions, key=lambda d: (d.date, d.system))
    options = [_option_status(s, decisions, when) for s in ev.systems]
    notes.extend(_decision_notes(options, systems, decisions, ev))
    return EvaluationResult(when, ev.normalisation, criteria, systems, sensitivity, decisions, options, notes, basis)


def evaluation_date(ev: Evaluations, as_of: dt.date | None = None, today: dt.date | None = None) -> tuple[dt.date, str]:
    """The date option deadlines are judged against, and where it came from: ``as_of`` when asked for
    (``--as-of``), else the section's own ``as_of`` when the programme fixes one, else today."""
    if as_of is not None:
        return as_of, "--as-of"
    if ev.as_of is not None:
        return ev.as_of, "evaluations.as_of"
    return today or dt.date.today(), "today"


def _criteria(ev: Evaluations, values: dict[str, dict[str, CriterionValue]], notes: list[str]) -> list[CriterionResult]:
    usable = []
    missing_by: dict[str, list[str]] = {}
    for c in ev.criteria:
        missing = [s.id for s in ev.systems if c.id not in values[s.id]]
        missing_by[c.id] = missing
        if not missing and c.weight > 0:
            usable.append(c.id)
    total = sum(c.weight for c in ev.criteria if c.id in usable) or 1.0
    out = []
    for c in ev.criteria:
        used = c.id in usable
        reason = ""
        if c.weight == 0:
            reason = "weight 0"
        elif not used:
            reason = ("no value for " + ", ".join(missing_by[c.id]) +
                      " (the analysis that computes it is not available; state it in systems[].values)")
            notes.append(f"criterion {c.id} left out of the scores: {reason}")
        description = c.description or (BUILTIN_CRITERIA[c.id][2] if c.id in BUILTIN_CRITERIA else "")
        out.append(CriterionResult(c.id, c.weight, c.weight / total if used else 0.0, c.direction, c.unit_label,
                                   description, used, reason))
    return out


def _system_result(programme: Programme, system: EvaluatedSystem, rank: int, score: float,
                   values: dict[str, CriterionValue], normalised: dict[str, float], used: list[CriterionResult],
                   ctx: EvaluationContext) -> SystemResult:
    option = system.option.model_dump(mode="json") if system.option is not None else None
    return SystemResult(
        id=system.id, design=system.design, design_name=programme.catalog.designs[system.design].name,
        vendor=system.vendor, access=system.access, units=system.units,
        raw={k: v.value for k, v in values.items()}, origin={k: v.origin for k, v in values.items()},
        normalised=normalised, contribution={c.id: c.weight * normalised[c.id] for c in used},
        score=score, rank=rank, option=option, tco=system_tco(programme, system, ctx),
    )


def _sensitivity(matrix: list[list[float]], weights: list[float], used: list[CriterionResult],
                 systems: tuple[EvaluatedSystem, ...]) -> list[Sensitivity]:
    out = []
    w = normalised_weights(weights)
    for j, c in enumerate(used):
        up, down = weight_flips(matrix, weights, j)
        out.append(Sensitivity(
            c.id, w[j],
            up.new_weight if up else None, systems[up.new_top].id if up else None,
            down.new_weight if down else None, systems[down.new_top].id if down else None,
        ))
    return out


def _option_status(system: EvaluatedSystem, decisions: list[Decision], when: dt.date) -> OptionStatus:
    mine = [d for d in decisions if d.system == system.id]
    latest = mine[-1] if mine else None
    deadline = system.option.exercise_by if system.option else None
    days = (deadline - when).days if deadline else None
    if system.option is None:
        status = "no-option"
    elif latest is not None and latest.action is DecisionAction.EXERCISE:
        status = "exercised"
    elif latest is not None and latest.action is DecisionAction.DECLINE:
        status = "declined"
    elif days is not None and days < 0:
        status = "lapsed"
    elif latest is not None:
        status = "deferred"
    else:
        status = "open"
    return OptionStatus(system.id, deadline, days, latest.action.value if latest else None,
                        latest.date if latest else None, status)


def _decision_notes(options: list[OptionStatus], systems: list[SystemResult], decisions: list[Decision],
                    ev: Evaluations) -> list[str]:
    notes = []
    top = systems[0].id
    for o in options:
        if o.status in ("open", "deferred") and o.days_to_deadline is not None \
                and o.days_to_deadline <= DEADLINE_WARNING_DAYS:
            notes.append(f"option on {o.system} must be exercised within {o.days_to_deadline} days "
                         f"(by {o.exercise_by}); status {o.status}")
        if o.status == "lapsed":
            notes.append(f"option on {o.system} lapsed on {o.exercise_by} without being exercised")
        if o.status == "exercised" and o.system != top:
            notes.append(f"option exercised on {o.system}, but {top} ranks first under the current weights")
    for d in decisions:
        system = ev.system(d.system)
        if system.option is not None and d.action is DecisionAction.EXERCISE and d.date > system.option.exercise_by:
            notes.append(f"decision to exercise {d.system} on {d.date} is after the deadline "
                         f"{system.option.exercise_by}")
    return notes
