"""Readiness criteria (shipped with rackforge) and assessments (in the programme folder).

The ``readiness:`` section of a programme::

    readiness:
      target_mrl: 8
      assessments:
        - part: syn-tray
          site: syn-us
          date: 2026-10-01
          assessor: J. Doe
          trl: 7
          answers:
            - {thread: design, through_level: 6, evidence: "DFM review 2026-06; prototype build report PB-12"}
            - {criterion: design.7.a, met: true, evidence: "drawing release R-2041"}
            - {criterion: facilities.8.a, met: na, evidence: "no special tooling at this level"}
            - {criterion: process.7.a, met: false, note: "yields not yet tracked per serial"}

An answer either names one criterion (``met``: true, false or ``na``) or answers a whole thread
up to a level at once (``through_level``: every criterion of that thread at or below the level is
met). A met or N/A answer needs evidence. Explicit criterion answers override thread answers.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from rackforge.errors import did_you_mean
from rackforge.schema.base import Id, Model, SourceRef

CRITERIA_FILE = Path(__file__).parent / "data" / "readiness_criteria.yaml"

EXPECTED_TRL = {1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 6: 6, 7: 7, 8: 7, 9: 8, 10: 9}
"""Technology readiness a manufacturing readiness level expects (MRL Deskbook pairing)."""


class ReadinessCriterion(Model):
    """One readiness criterion of a thread at a level."""

    id: str = Field(pattern=r"^[a-z]+\.\d{1,2}\.[a-z]$")
    level: int = Field(ge=1, le=10)
    text: str = Field(min_length=5)
    action: str = Field(min_length=5)


class Thread(Model):
    """A readiness thread (technology, design, cost, materials, process, quality, workforce, facilities,
    management) with its criteria."""

    id: Id
    name: str
    deskbook: str = Field(pattern=r"^[A-I]$", description="thread letter in the DoD MRL Deskbook")
    criteria: tuple[ReadinessCriterion, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _ids_match(self) -> Thread:
        for c in self.criteria:
            if not c.id.startswith(f"{self.id}.{c.level}."):
                raise ValueError(f"criterion {c.id!r} must be named {self.id}.{c.level}.<letter>")
        return self


class Criteria(Model):
    """The checklist: level names and threads."""

    source: SourceRef
    levels: dict[int, str]
    threads: tuple[Thread, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _complete(self) -> Criteria:
        if sorted(self.levels) != list(range(1, 11)):
            raise ValueError("levels must name 1 to 10")
        ids = [c.id for t in self.threads for c in t.criteria]
        if len(ids) != len(set(ids)):
            raise ValueError("criterion ids repeat")
        return self

    def thread(self, ident: str) -> Thread:
        """A thread by id."""
        return next(t for t in self.threads if t.id == ident)

    @property
    def by_id(self) -> dict[str, tuple[Thread, ReadinessCriterion]]:
        """Every criterion by id with its thread."""
        return {c.id: (t, c) for t in self.threads for c in t.criteria}


@lru_cache(maxsize=1)
def load_criteria(path: Path | None = None) -> Criteria:
    """The readiness checklist shipped with rackforge (validated; errors name the file and field)."""
    from pydantic import ValidationError

    from rackforge.errors import InputError, Problem
    from rackforge.schema.shipped import read_shipped_yaml

    source = path or CRITERIA_FILE
    display = "rackforge/schema/data/readiness_criteria.yaml" if path is None else str(source)
    try:
        return Criteria.model_validate(read_shipped_yaml(source))
    except ValidationError as exc:
        raise InputError([Problem(display, None, ".".join(str(p) for p in e["loc"]), e["msg"])
                          for e in exc.errors(include_url=False)]) from None


Met = bool | Literal["na"]


class Answer(Model):
    """An answer to one criterion, or to a whole thread through a level."""

    criterion: str | None = None
    thread: str | None = None
    through_level: int | None = Field(None, ge=1, le=10)
    met: Met = True
    evidence: str = ""
    note: str = ""

    @model_validator(mode="after")
    def _shape(self) -> Answer:
        criteria = load_criteria()
        if (self.criterion is None) == (self.thread is None):
            raise ValueError("an answer names either a criterion or a thread (with through_level)")
        if self.thread is not None:
            threads = [t.id for t in criteria.threads]
            if self.thread not in threads:
                raise ValueError(f"unknown thread {self.thread!r}{did_you_mean(self.thread, threads)}; "
                                 f"threads: {', '.join(threads)}")
            if self.through_level is None:
                raise ValueError("a thread answer needs through_level (the highest level whose criteria are met)")
            if self.met is not True:
                raise ValueError("a thread answer states criteria met through a level; answer single criteria "
                                 "for not met or N/A")
        else:
            known = criteria.by_id
            if self.criterion not in known:
                raise ValueError(f"unknown criterion {self.criterion!r}{did_you_mean(str(self.criterion), known)}")
            if self.through_level is not None:
                raise ValueError("through_level goes with a thread answer, not a criterion")
        if self.met is not False and len(self.evidence.strip()) < 5:
            raise ValueError("a met or N/A answer needs evidence (a document, test report or decision)")
        return self


class ReadinessAssessment(Model):
    """The readiness of one part, assembly or rack design made or integrated at one site, with evidence."""

    part: Id
    site: Id
    date: dt.date | None = None
    assessor: str = ""
    trl: int | None = Field(None, ge=1, le=9, description="technology readiness level of the part, if known")
    target_mrl: int | None = Field(None, ge=1, le=10, description="default: the section's target_mrl")
    answers: tuple[Answer, ...] = ()


class Readiness(Model):
    """The ``readiness:`` section: assessments per part and site."""

    source: SourceRef | None = None
    target_mrl: int = Field(8, ge=1, le=10, description="level the gaps are measured to (8: ready for low rate)")
    assessments: tuple[ReadinessAssessment, ...] = ()

    @model_validator(mode="after")
    def _unique(self) -> Readiness:
        keys = [(a.part, a.site) for a in self.assessments]
        dupes = sorted({f"{p}@{s}" for p, s in keys if keys.count((p, s)) > 1})
        if dupes:
            raise ValueError(f"part and site assessed twice: {', '.join(dupes)}")
        return self
