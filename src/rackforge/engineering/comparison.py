"""Designs side by side, in generation order, and what changed from each to the next."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rackforge.engineering.design_checks import DesignReport
    from rackforge.schema import Programme


@dataclass(frozen=True)
class DesignComparison:
    """Checked designs in generation order (by year) and the sentences saying what changed between them."""

    reports: list[DesignReport]
    changes: list[dict[str, Any]]

    def side_by_side(self) -> list[dict[str, Any]]:
        """One row per compared metric with each design's value
        (:func:`~rackforge.engineering.compare.side_by_side`)."""
        from rackforge.engineering.compare import side_by_side

        return side_by_side(self.reports)

    def to_json(self) -> dict[str, Any]:
        """Plain JSON: design ids, metrics side by side, changes, and each design's check status."""
        return {"designs": [r.design_id for r in self.reports], "metrics": self.side_by_side(),
                "changes": self.changes, "status": {r.design_id: r.status.label for r in self.reports}}


def compare_designs(programme: Programme, designs: Sequence[str] = ()) -> DesignComparison:
    """Check ``designs`` (default: the programme's own; at least two) and compare them generation by generation.

    Raises :class:`~rackforge.errors.UsageError` when fewer than two designs are given or found.
    """
    from rackforge.engineering.compare import generation_changes, ordered
    from rackforge.engineering.design_checks import check_programme
    from rackforge.engineering.selection import select_designs
    from rackforge.errors import UsageError

    ids = select_designs(programme, designs)
    if len(ids) < 2:
        raise UsageError("give two or more design ids to compare, e.g. 'rackforge compare gb200-nvl72 gb300-nvl72'")
    reports = ordered(check_programme(programme, ids))
    return DesignComparison(reports, generation_changes(reports))
