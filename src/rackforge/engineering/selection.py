"""Which designs an engineering question is about: those asked for, each checked to exist, else the
programme's own (:func:`~rackforge.engineering.design_checks.designs_to_check`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rackforge.schema import Programme


def select_designs(programme: Programme, wanted: Sequence[str] = ()) -> list[str]:
    """Design ids to check: ``wanted`` (duplicates dropped; an unknown id is a usage error with a
    did-you-mean hint), else the designs in the build plan and the programme's own files."""
    from rackforge.engineering.design_checks import designs_to_check
    from rackforge.errors import UsageError, did_you_mean

    if not wanted:
        return designs_to_check(programme)
    known = programme.catalog.designs
    for ident in wanted:
        if ident not in known:
            raise UsageError(f"no design {ident!r}{did_you_mean(ident, known)}; designs: {', '.join(sorted(known))}")
    return list(dict.fromkeys(wanted))
