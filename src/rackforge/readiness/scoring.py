"""Score readiness assessments: levels per thread, MRL per part and site, heat map and gaps.

Rules (MRL Deskbook; supply-chain-methods.md §3):

- a criterion is met, not applicable (N/A), not met, or unanswered (counts as not met);
- a thread stands at the highest level ``L`` such that every criterion of levels ``1..L`` is met
  or N/A (0 when a level-1 criterion is not met); a thread whose criteria are all N/A has no level;
- a part at a site stands at its lowest thread (threads without a level are left out);
- a gap is a criterion not met (or unanswered) at a level above the thread's and up to the target.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rackforge.errors import InputError, Problem
from rackforge.schema.readiness import (
    EXPECTED_TRL,
    Criteria,
    Readiness,
    ReadinessAssessment,
    ReadinessCriterion,
    load_criteria,
)

if TYPE_CHECKING:
    import pandas as pd

    from rackforge.schema import Programme

MET, NA, NOT_MET, UNANSWERED = "met", "na", "not-met", "unanswered"


def criterion_status(assessment: ReadinessAssessment, criteria: Criteria) -> dict[str, tuple[str, str]]:
    """Status and evidence of every criterion for one assessment: ``{id: (status, evidence)}``.

    Thread answers mark every criterion of the thread at or below ``through_level`` met; answers
    naming a criterion override them.
    """
    status = {c.id: (UNANSWERED, "") for t in criteria.threads for c in t.criteria}
    for answer in assessment.answers:
        if answer.thread is not None and answer.through_level is not None:
            for c in criteria.thread(answer.thread).criteria:
                if c.level <= answer.through_level:
                    status[c.id] = (MET, answer.evidence)
    for answer in assessment.answers:
        if answer.criterion is not None:
            value = NA if answer.met == "na" else (MET if answer.met is True else NOT_MET)
            status[answer.criterion] = (value, answer.evidence or answer.note)
    return status


def thread_level(criteria: tuple[ReadinessCriterion, ...], status: dict[str, str]) -> int | None:
    """Highest level whose criteria, and all lower levels', are met or N/A; None if all are N/A.

    Levels without criteria in the checklist are passed through.
    """
    if all(status[c.id] == NA for c in criteria):
        return None
    level = 0
    for candidate in range(1, 11):
        if all(status[c.id] in (MET, NA) for c in criteria if c.level == candidate):
            level = candidate
        else:
            break
    return level


def part_level(levels: dict[str, int | None]) -> int | None:
    """A part's MRL at a site: its lowest thread level (threads without a level left out)."""
    known = [v for v in levels.values() if v is not None]
    return min(known) if known else None


@dataclass(frozen=True)
class Gap:
    """A criterion to meet, and the action that meets it."""

    part: str
    site: str
    thread: str
    level: int
    criterion: str
    text: str
    action: str
    status: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return dict(self.__dict__)


@dataclass(frozen=True)
class AssessmentResult:
    """Levels of one part at one site."""

    part: str
    site: str
    levels: dict[str, int | None]
    mrl: int | None
    target_mrl: int
    weakest: tuple[str, ...]
    gaps: tuple[Gap, ...]
    trl: int | None = None
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReadinessResult:
    """The programme's readiness: one row per assessed part and site, gaps, unassessed US sources."""

    threads: tuple[str, ...]
    rows: tuple[AssessmentResult, ...]
    unassessed: tuple[tuple[str, str], ...] = ()
    level_names: dict[int, str] = field(default_factory=dict)

    @property
    def gaps(self) -> list[Gap]:
        """All gaps, lowest level first."""
        return sorted((g for r in self.rows for g in r.gaps), key=lambda g: (g.level, g.part, g.site, g.thread))

    def heatmap(self) -> dict[str, Any]:
        """Heat-map data: threads as columns, part@site as rows, levels as values (None: N/A)."""
        return {"threads": list(self.threads),
                "rows": [f"{r.part}@{r.site}" for r in self.rows],
                "levels": [[r.levels[t] for t in self.threads] for r in self.rows],
                "mrl": [r.mrl for r in self.rows]}

    def heatmap_frame(self) -> pd.DataFrame:
        """The heat map as a table (rows part@site, columns threads, plus mrl)."""
        import pandas as pd

        frame = pd.DataFrame([{**r.levels, "mrl": r.mrl} for r in self.rows],
                             index=[f"{r.part}@{r.site}" for r in self.rows], columns=[*self.threads, "mrl"])
        frame.index.name = "part@site"
        return frame

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "threads": list(self.threads),
            "assessments": [{"part": r.part, "site": r.site, "mrl": r.mrl, "target_mrl": r.target_mrl,
                             "levels": r.levels, "weakest": list(r.weakest), "trl": r.trl, "notes": list(r.notes),
                             "gaps": len(r.gaps)} for r in self.rows],
            "heatmap": self.heatmap(),
            "gaps": [g.to_dict() for g in self.gaps],
            "unassessed": [{"part": p, "site": s} for p, s in self.unassessed],
        }


def score_assessment(assessment: ReadinessAssessment, criteria: Criteria, target_mrl: int) -> AssessmentResult:
    """Levels, MRL, weakest threads and gaps of one assessment."""
    status = criterion_status(assessment, criteria)
    plain = {k: v[0] for k, v in status.items()}
    levels = {t.id: thread_level(t.criteria, plain) for t in criteria.threads}
    mrl = part_level(levels)
    target = assessment.target_mrl or target_mrl
    gaps = []
    for t in criteria.threads:
        level = levels[t.id]
        if level is None:
            continue
        for c in t.criteria:
            if level < c.level <= target and plain[c.id] not in (MET, NA):
                gaps.append(Gap(assessment.part, assessment.site, t.id, c.level, c.id, c.text, c.action, plain[c.id]))
    weakest = tuple(t for t, v in levels.items() if v is not None and v == mrl)
    notes = []
    if assessment.trl is not None and mrl is not None and assessment.trl < EXPECTED_TRL[mrl]:
        notes.append(f"MRL {mrl} expects TRL {EXPECTED_TRL[mrl]} or more; the part is at TRL {assessment.trl}")
    return AssessmentResult(assessment.part, assessment.site, levels, mrl, target, weakest, tuple(gaps),
                            assessment.trl, tuple(notes))


def check_readiness(programme: Programme, readiness: Readiness) -> None:
    """Assessed parts and sites must exist in the catalog (:func:`rackforge.io.validate.readiness_problems`,
    which loading runs too); raises :class:`InputError` naming the line."""
    from rackforge.io.validate import raise_if, readiness_problems

    raise_if(readiness_problems(programme, readiness))


def assess_programme(programme: Programme, criteria: Criteria | None = None) -> ReadinessResult:
    """Score every assessment of the programme and list US sources nobody has assessed."""
    criteria = criteria or load_criteria()
    readiness = programme.readiness
    if readiness is None:
        readiness = Readiness()
    elif not isinstance(readiness, Readiness):
        readiness = Readiness.model_validate(readiness)
    check_readiness(programme, readiness)
    rows = tuple(score_assessment(a, criteria, readiness.target_mrl) for a in readiness.assessments)
    assessed = {(a.part, a.site) for a in readiness.assessments}
    unassessed = sorted({(s.part, s.site) for s in programme.sources
                         if s.site in programme.catalog.sites and programme.catalog.sites[s.site].country == "US"
                         and (s.part, s.site) not in assessed})
    return ReadinessResult(tuple(t.id for t in criteria.threads), rows, tuple(unassessed), dict(criteria.levels))


def require_readiness_rows(result: ReadinessResult, programme: Programme) -> None:
    """Raise an input error when the programme has no assessments at all (nothing to report)."""
    if not result.rows:
        raise InputError([Problem(programme.root or "rackforge/reference", None, "readiness",
                                  "the programme has no readiness assessments; add a 'readiness:' section "
                                  "(see docs/readiness.md)")])
