"""Weighted-sum scoring of alternatives and the sensitivity of the ranking to the weights.

Simple additive weighting (SAW; Triantaphyllou, *Multi-Criteria Decision Making Methods*, 2000, ch. 2):
raw values are normalised per criterion to [0, 1] with 1 the best, and a system's score is
Σ_c w_c·x_sc with weights normalised to Σ w_c = 1.

Normalisations:
- ``minmax``: x = (v − min) / (max − min) for higher-is-better, (max − v) / (max − min) for
  lower-is-better; all 1 when every system has the same value;
- ``ratio``: x = v / max for higher-is-better, min / v for lower-is-better (positive values only).

Weight sensitivity (one weight at a time, the others rescaled in proportion so the weights still
sum to 1; Triantaphyllou & Sánchez 1997 give the same one-at-a-time criterion): with t the new
weight of criterion c, each score is linear in t,

    S_s(t) = t·x_sc + (1 − t)·A_s,   A_s = Σ_{j≠c} w_j·x_sj / (1 − w_c),

so the weight at which a competitor k overtakes the top system s* is the root of
S_s*(t) − S_k(t) = 0, and the smallest change that flips the top is the root nearest w_c in [0, 1].
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

Direction = Literal["higher", "lower"]
_TOL = 1e-12


def normalise_minmax(values: Sequence[float], better: Direction) -> list[float]:
    """Min-max normalisation to [0, 1], 1 = best [dimensionless]; all 1 when the values are equal."""
    lo, hi = min(values), max(values)
    span = hi - lo
    if span <= _TOL * max(1.0, abs(hi), abs(lo)):
        return [1.0] * len(values)
    if better == "higher":
        return [(v - lo) / span for v in values]
    return [(hi - v) / span for v in values]


def normalise_ratio(values: Sequence[float], better: Direction) -> list[float]:
    """Ratio-to-best normalisation to (0, 1], 1 = best [dimensionless]; values must be positive."""
    if any(v <= 0 for v in values):
        raise ValueError("ratio normalisation needs positive values; use 'minmax' for this criterion")
    if better == "higher":
        best = max(values)
        return [v / best for v in values]
    best = min(values)
    return [best / v for v in values]


def normalise(values: Sequence[float], better: Direction, method: str = "minmax") -> list[float]:
    """Normalise one criterion's raw values with ``method`` ('minmax' or 'ratio')."""
    if method == "ratio":
        return normalise_ratio(values, better)
    if method == "minmax":
        return normalise_minmax(values, better)
    raise ValueError(f"unknown normalisation {method!r}; valid: minmax, ratio")


def normalised_weights(weights: Sequence[float]) -> list[float]:
    """Weights scaled to sum to 1 [dimensionless]."""
    total = sum(weights)
    if total <= 0 or any(w < 0 for w in weights):
        raise ValueError("weights must be non-negative with a positive sum")
    return [w / total for w in weights]


def weighted_scores(matrix: Sequence[Sequence[float]], weights: Sequence[float]) -> list[float]:
    """Score of each system (row) = Σ_c w_c·x_sc with the weights normalised [0-1]."""
    w = normalised_weights(weights)
    return [sum(wc * x for wc, x in zip(w, row, strict=True)) for row in matrix]


def ranking(scores: Sequence[float]) -> list[int]:
    """Row indices from best to worst score (ties keep input order)."""
    return sorted(range(len(scores)), key=lambda i: (-scores[i], i))


def top_index(scores: Sequence[float]) -> int:
    """Index of the best score (first of equals)."""
    return ranking(scores)[0]


def scores_with_weight(matrix: Sequence[Sequence[float]], weights: Sequence[float], criterion: int,
                       new_weight: float) -> list[float]:
    """Scores when criterion ``criterion`` gets ``new_weight`` and the others are rescaled in proportion.

    When every other weight is 0, they share 1 − ``new_weight`` equally.
    """
    w = normalised_weights(weights)
    rest = 1.0 - w[criterion]
    others = len(w) - 1
    out_w = []
    for j, wj in enumerate(w):
        if j == criterion:
            out_w.append(new_weight)
        elif rest > _TOL:
            out_w.append(wj * (1.0 - new_weight) / rest)
        else:
            out_w.append((1.0 - new_weight) / others if others else 0.0)
    return [sum(wc * x for wc, x in zip(out_w, row, strict=True)) for row in matrix]


@dataclass(frozen=True)
class WeightFlip:
    """The weight of one criterion at which the top system changes, and who takes over."""

    criterion: int
    weight: float  # current normalised weight
    new_weight: float  # weight at which the top changes
    new_top: int

    @property
    def change(self) -> float:
        """Signed weight change needed [fraction points]."""
        return self.new_weight - self.weight


def _other_part(matrix: Sequence[Sequence[float]], w: Sequence[float], criterion: int) -> list[float]:
    rest = 1.0 - w[criterion]
    others = [j for j in range(len(w)) if j != criterion]
    if rest > _TOL:
        return [sum(w[j] * row[j] for j in others) / rest for row in matrix]
    if not others:
        return [0.0 for _ in matrix]
    return [sum(row[j] for j in others) / len(others) for row in matrix]


def weight_flips(matrix: Sequence[Sequence[float]], weights: Sequence[float],
                 criterion: int) -> tuple[WeightFlip | None, WeightFlip | None]:
    """The nearest weights above and below the current one at which the top system changes.

    Returns (raise, lower): each the :class:`WeightFlip` at the first weight in that direction where
    a competitor's score exceeds the current top's, or None if no weight in [0, 1] in that direction
    changes the top.
    """
    w = normalised_weights(weights)
    wc = w[criterion]
    base = scores_with_weight(matrix, weights, criterion, wc)
    top = top_index(base)
    a_part = _other_part(matrix, w, criterion)
    up: list[tuple[float, int]] = []
    down: list[tuple[float, int]] = []
    for k in range(len(matrix)):
        if k == top:
            continue
        # D(t) = S_top(t) - S_k(t) = a + b t
        a = a_part[top] - a_part[k]
        b = (matrix[top][criterion] - matrix[k][criterion]) - a
        if abs(b) <= _TOL:
            continue
        root = -a / b
        if not -_TOL <= root <= 1.0 + _TOL:
            continue
        root = min(max(root, 0.0), 1.0)
        # k overtakes past the root only in the direction where D decreases
        if b < 0 and root >= wc - _TOL:
            up.append((root, k))
        elif b > 0 and root <= wc + _TOL:
            down.append((root, k))

    def flip(candidates: list[tuple[float, int]], nearest_first: bool) -> WeightFlip | None:
        if not candidates:
            return None
        root = min(c[0] for c in candidates) if nearest_first else max(c[0] for c in candidates)
        step = 1e-9 if nearest_first else -1e-9
        probe = min(max(root + step, 0.0), 1.0)
        after = scores_with_weight(matrix, weights, criterion, probe)
        tied = [k for r, k in candidates if abs(r - root) <= 1e-12]
        new_top = max(tied, key=lambda k: (after[k], -k))
        return WeightFlip(criterion, wc, root, new_top)

    return flip(up, True), flip(down, False)


def smallest_flip(matrix: Sequence[Sequence[float]], weights: Sequence[float], criterion: int) -> WeightFlip | None:
    """The smaller (in absolute weight change) of :func:`weight_flips`' two answers, or None."""
    found = [f for f in weight_flips(matrix, weights, criterion) if f is not None]
    return min(found, key=lambda f: abs(f.change)) if found else None
