"""Cross-reference checks of the ``evaluations:`` section, located at file and line.

The loader validates the section's schema and, with the rest of the programme, its references
(:func:`rackforge.io.validate.evaluation_problems`: design ids in the catalog, unique ids, decisions
naming evaluated systems). The evaluation calls the same function before it runs, for programmes
built in memory, and reports every problem at once as an :class:`InputError`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rackforge.io.validate import evaluation_problems, raise_if

if TYPE_CHECKING:
    from rackforge.schema import Programme
    from rackforge.schema.evaluations import Evaluations

__all__ = ["check_evaluations", "evaluation_problems"]


def check_evaluations(programme: Programme, evaluations: Evaluations) -> None:
    """Raise :class:`InputError` listing every cross-reference problem of the section."""
    raise_if(evaluation_problems(programme, evaluations))
