"""The service times the safety-stock dynamic program tries, and its tables in bounded memory.

The Graves & Willems DP (:func:`rackforge.resilience.safety_stock.optimise`) tabulates, per stage, the
best cost for every outbound service time S and inbound service time SI on a grid of periods. With
every period from 0 to the longest replenishment time M on the grid, a shallow tree with a processing
time of 10^6 periods needed a 10^6 × 10^6 table. Two things bound it:

1. **Candidate service times.** The relaxed problem (``SI_j ≥ S_i`` for each supplier i, ``S_j ≤ SI_j +
   T_j``, bounds) has only difference constraints, and its objective Σ h σ √τ is concave, so an optimum
   sits at a vertex of its polytope. The difference constraints between the 2n variables (S and SI of
   each stage) form a tree, so every vertex value is a bound c of some variable v plus the path sum
   from v to u: ``c + p(u) − p(v)`` with the potentials ``p(S_k) = p(SI_k) + T_k`` and ``p(SI_j) =
   p(S_i)`` along each link. Those values (within [0, M]) are the grid when it is smaller than the
   dense one (:func:`service_grid`): a few dozen for a shallow tree whatever its periods.
2. **Blocks.** Each stage's table is built a block of rows at a time (:func:`best_over`), so memory is
   :data:`BLOCK_CELLS` cells whatever the grid.

The work, stages × grid², is checked before anything is allocated: a tree past
:data:`MAX_DP_CELLS` is refused as bad input, with the figures.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from rackforge.errors import InputError, Problem

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from rackforge.resilience.safety_stock import SupplyTree

DENSE_GRID_MAX = 4096
"""Longest replenishment time + 1 [periods] up to which the grid holds every period (as it always did);
above it, only the candidate service times."""

MAX_DP_CELLS = 2_000_000_000
"""Most table cells (stages × grid²) the DP may evaluate [cells]: about a minute of work."""

BLOCK_CELLS = 1 << 21
"""Cells of one block of a stage's table [cells] (16 MiB per float64 temporary)."""


def potentials(tree: SupplyTree, ups: Sequence[Sequence[int]]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Potentials of each stage's S and SI [periods] (see the module doc), up to a common constant."""
    n = len(tree.stages)
    downs: list[list[int]] = [[] for _ in range(n)]
    for j, suppliers in enumerate(ups):
        for i in suppliers:
            downs[i].append(j)
    p_s = np.zeros(n, dtype=np.int64)
    p_si = np.zeros(n, dtype=np.int64)
    seen = [False] * n
    for start in range(n):
        if seen[start]:
            continue
        seen[start] = True
        stack = [start]
        while stack:  # p_si[k] is set; fix p_s[k] and every neighbour through the link equalities
            k = stack.pop()
            p_s[k] = p_si[k] + tree.stages[k].processing_periods
            for i in ups[k]:  # p(S_i) = p(SI_k)
                if not seen[i]:
                    seen[i] = True
                    p_si[i] = p_si[k] - tree.stages[i].processing_periods
                    stack.append(i)
            for j in downs[k]:  # p(SI_j) = p(S_k)
                if not seen[j]:
                    seen[j] = True
                    p_si[j] = p_s[k]
                    stack.append(j)
    return p_s, p_si


def candidate_service_times(tree: SupplyTree, ups: Sequence[Sequence[int]], longest: NDArray[np.int64],
                            limit: int) -> NDArray[np.int64] | None:
    """Every value an S or SI can take at a vertex of the relaxed problem, within [0, max(longest)]
    [periods], sorted; None as soon as there are more than ``limit``."""
    p_s, p_si = potentials(tree, ups)
    top = int(longest.max())
    bounds: list[tuple[int, int]] = []  # (constant, potential of the variable it bounds)
    for k, stage in enumerate(tree.stages):
        bounds += [(0, int(p_s[k])), (int(longest[k]), int(p_s[k])), (0, int(p_si[k])),
                   (int(longest[k]) - stage.processing_periods, int(p_si[k]))]
        if stage.max_service_periods is not None:
            bounds.append((stage.max_service_periods, int(p_s[k])))
        if not ups[k]:
            bounds.append((stage.external_service_periods, int(p_si[k])))
    every = np.unique(np.concatenate([p_s, p_si]))
    found = np.zeros(0, dtype=np.int64)
    for offset in sorted({c - p for c, p in bounds}):
        values = every + offset
        found = np.union1d(found, values[(values >= 0) & (values <= top)])
        if len(found) > limit:
            return None
    return found


def service_grid(tree: SupplyTree, ups: Sequence[Sequence[int]], longest: NDArray[np.int64]) -> NDArray[np.int64]:
    """The service times [periods] the DP tabulates: every period from 0 to the longest replenishment
    time when that is at most :data:`DENSE_GRID_MAX` long, else the candidate service times.

    Raises :class:`~rackforge.errors.InputError` when the DP would evaluate more than
    :data:`MAX_DP_CELLS` cells.
    """
    dense = int(longest.max()) + 1
    n = len(tree.stages)
    if dense <= DENSE_GRID_MAX:
        return np.arange(dense, dtype=np.int64)
    limit = int((MAX_DP_CELLS / max(n, 1)) ** 0.5)
    grid = candidate_service_times(tree, ups, longest, limit)
    if grid is None:
        raise InputError([Problem(tree.name or "(supply tree)", None, "processing_periods",
                                  f"the supply tree's {n} stages and replenishment times of up to {dense - 1:,} "
                                  f"{tree.period}s have more than {limit:,} candidate service times: the safety-"
                                  f"stock optimisation would evaluate over {MAX_DP_CELLS:,} table cells; use a "
                                  "longer period (e.g. weeks instead of days) or fewer stages")])
    return grid


def best_over(coefficient: float, processing: int, grid: NDArray[np.int64], row_sum: NDArray[np.float64],
              col_sum: NDArray[np.float64], row_ok: NDArray[np.bool_], col_ok: NDArray[np.bool_], *,
              over_columns: bool) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """One stage's table, reduced a block at a time: rows are its outbound service time S, columns its
    inbound SI (positions on ``grid``); cell = ``coefficient`` · √(SI + T − S) (∞ when negative) +
    ``row_sum``[S] + ``col_sum``[SI], ∞ outside ``row_ok`` × ``col_ok``.

    ``over_columns``: for each S, the least cost over SI and its position (the stage's f); else for
    each SI, the least over S (its g). Memory: :data:`BLOCK_CELLS` cells per temporary.
    """
    size = len(grid)
    best = np.full(size, np.inf)
    arg = np.zeros(size, dtype=np.int64)
    step = max(1, BLOCK_CELLS // max(size, 1))
    values = grid.astype(np.float64)
    for lo in range(0, size, step):
        hi = min(size, lo + step)
        if over_columns:  # a block of rows (S), every column (SI)
            tau = values[None, :] + processing - values[lo:hi, None]
            ok = row_ok[lo:hi, None] & col_ok[None, :] & (tau >= 0)
            extra = row_sum[lo:hi, None] + col_sum[None, :]
        else:  # a block of columns (SI), every row (S)
            tau = values[None, lo:hi] + processing - values[:, None]
            ok = row_ok[:, None] & col_ok[None, lo:hi] & (tau >= 0)
            extra = row_sum[:, None] + col_sum[None, lo:hi]
        with np.errstate(invalid="ignore"):
            cell = coefficient * np.sqrt(np.maximum(tau, 0.0)) + extra
        cell = np.where(ok, cell, np.inf)
        axis = 1 if over_columns else 0
        pos = np.argmin(cell, axis=axis)
        arg[lo:hi] = pos
        best[lo:hi] = np.take_along_axis(cell, np.expand_dims(pos, axis), axis=axis).squeeze(axis)
    return best, arg
