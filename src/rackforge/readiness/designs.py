"""Readiness of a whole design: the manufacturing readiness level of its least ready part.

A rack is only as ready as the least ready thing in it, so a design's MRL is the lowest MRL among the
assessments of the design itself and of every assembly and part in its tree (DoD MRL Deskbook: the
system's level is bounded by its weakest element).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rackforge.readiness.scoring import ReadinessResult
    from rackforge.schema import Catalog


def design_refs(catalog: Catalog, design: str) -> set[str]:
    """The design and every assembly and part id in its tree."""
    seen = {design}
    stack = [design]
    while stack:
        node = catalog.designs.get(stack[-1]) or catalog.assemblies.get(stack[-1])
        stack.pop()
        if node is None:
            continue
        for item in node.items:
            if item.ref not in seen:
                seen.add(item.ref)
                stack.append(item.ref)
    return seen


def design_readiness(catalog: Catalog, result: ReadinessResult, designs: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Per design with a scored assessment in its tree: ``mrl`` (the lowest level) and the ``part`` and
    ``site`` it belongs to; designs with none are left out."""
    out: dict[str, dict[str, Any]] = {}
    for design in designs:
        refs = design_refs(catalog, design)
        scored = [r for r in result.rows if r.part in refs and r.mrl is not None]
        if scored:
            low = min(scored, key=lambda r: r.mrl if r.mrl is not None else 0)
            out[design] = {"mrl": low.mrl, "part": low.part, "site": low.site}
    return out
