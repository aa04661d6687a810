"""What-if answers as ``rackforge whatif`` and :func:`rackforge.api.whatif` give them: the figures a
set of moves changes, and the parts of a design whose move to a domestic site lifts domestic content
most cheaply (:class:`~rackforge.sourcing.whatif.WhatIfEngine`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rackforge.sourcing.whatif import DEFAULT_PRICE_PREMIUM

if TYPE_CHECKING:
    import pandas as pd

    from rackforge.sourcing.analysis import SourcingAnalysis
    from rackforge.sourcing.whatif import Move, WhatIfResult

CHANGE_TOLERANCE = 1e-12
"""A figure counts as changed by the moves when it moves by more than this [its unit]."""


@dataclass(frozen=True)
class MoveRanking:
    """Parts of ``design`` to move to a domestic site in ``year``: every candidate, and the cheapest
    set of moves that passes the threshold (see :meth:`WhatIfEngine.rank_domestic_moves
    <rackforge.sourcing.whatif.WhatIfEngine.rank_domestic_moves>`)."""

    design: str
    year: int
    candidates: pd.DataFrame
    cheapest_set: pd.DataFrame


@dataclass(frozen=True)
class WhatIfReport:
    """The answer to one ``whatif`` question: moves evaluated, a ranking, or both."""

    moves: tuple[Move, ...]
    result: WhatIfResult | None
    ranking: MoveRanking | None

    def to_json(self) -> dict[str, Any]:
        """Plain JSON: the moves, the domestic content before and after, the categories, country
        exposure and parts that changed; the ranking (``rank``) when asked for."""
        from rackforge.sourcing.analysis import _records as records

        data: dict[str, Any] = {}
        if self.result is not None:
            result = self.result
            data["moves"] = [{"part": m.part, "site": m.site, "share": m.share} for m in self.moves]
            data["domestic_content"] = records(result.domestic_by_year.round(6))
            by_cat = result.domestic_by_category
            changed = (by_cat["domestic_content_before"] - by_cat["domestic_content_after"]).abs() > CHANGE_TOLERANCE
            data["by_category_changed"] = records(by_cat[changed].round(6))
            exp = result.country_exposure
            moved = (exp["share_of_rack_value_before"] - exp["share_of_rack_value_after"]).abs() > CHANGE_TOLERANCE
            data["country_exposure_changed"] = records(exp[moved].round(6))
            data["parts"] = records(result.parts.round(1))
        if self.ranking is not None:
            r = self.ranking
            data["rank"] = {"design": r.design, "year": r.year, "candidates": records(r.candidates.round(6)),
                            "cheapest_set": records(r.cheapest_set.round(6))}
        return data


def whatif_report(analysis: SourcingAnalysis, moves: Sequence[str] = (), rank_design: str | None = None,
                  year: int | None = None, price_premium: float = DEFAULT_PRICE_PREMIUM) -> WhatIfReport:
    """Evaluate ``moves`` (``PART=SITE[@SHARE]``) and/or rank the domestic moves of ``rank_design`` in
    ``year`` (default: the build plan's first year); ``price_premium`` [fraction] prices new sources
    over the part's current price. At least one of ``moves`` and ``rank_design`` is required."""
    from rackforge.errors import UsageError
    from rackforge.sourcing.whatif import Move, WhatIfEngine

    if not moves and not rank_design:
        raise UsageError("give --move PART=SITE[@SHARE] (one or more) or --rank DESIGN")
    engine = WhatIfEngine(analysis, price_premium=price_premium)
    parsed = tuple(Move.parse(m) for m in moves)
    result = engine.evaluate(parsed) if parsed else None
    ranking = None
    if rank_design:
        chosen_year = year or int(analysis.quarters[0][:4])
        candidates, cheapest = engine.rank_domestic_moves(rank_design, chosen_year)
        ranking = MoveRanking(rank_design, chosen_year, candidates, cheapest)
    return WhatIfReport(parsed, result, ranking)
