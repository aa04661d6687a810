"""Readiness of a whole design: the manufacturing readiness level of its least ready part.

A rack is only as ready as the least ready thing in it, so a design's MRL is the lowest MRL among the
assessments of the design itself and of every assembly and part in its tree (DoD MRL Deskbook: the
system's level is bounded by its weakest element).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rackforge.core.bom import contained_refs

if TYPE_CHECKING:
    from rackforge.readiness.scoring import ReadinessResult
    from rackforge.schema import Catalog


def design_readiness(catalog: Catalog, result: ReadinessResult, designs: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Per design with a scored assessment in its tree: ``mrl`` (the lowest level) and the ``part`` and
    ``site`` it belongs to; designs with none are left out."""
    out: dict[str, dict[str, Any]] = {}
    for design in designs:
        refs = contained_refs(catalog, design)
        scored = [r for r in result.rows if r.part in refs and r.mrl is not None]
        if scored:
            low = min(scored, key=lambda r: r.mrl if r.mrl is not None else 0)
            out[design] = {"mrl": low.mrl, "part": low.part, "site": low.site}
    return out
