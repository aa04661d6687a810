"""The report's sections in the order they run and appear.

Each module defines ``SECTION`` (a :class:`~rackforge.report.framework.Section`). A section whose
analysis module is not installed is absent from the report; the evaluation runs last so that its
criteria can use what the other analyses computed.
"""

from __future__ import annotations

from rackforge.report.framework import Section
from rackforge.report.sections import (
    engineering,
    evaluation,
    factory,
    optimize,
    overview,
    readiness,
    resilience,
    sourcing,
    tco,
)

SECTIONS: tuple[Section, ...] = (
    overview.SECTION,
    engineering.SECTION,
    sourcing.SECTION,
    tco.SECTION,
    resilience.SECTION,
    optimize.SECTION,
    factory.SECTION,
    readiness.SECTION,
    evaluation.SECTION,
)
