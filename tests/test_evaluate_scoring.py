"""Weighted scoring and weight sensitivity: hand cases, a brute-force check and invariants."""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from rackforge.evaluate.scoring import (
    normalise,
    normalise_minmax,
    normalise_ratio,
    ranking,
    scores_with_weight,
    smallest_flip,
    top_index,
    weight_flips,
    weighted_scores,
)


def test_minmax_hand_values() -> None:
    assert normalise_minmax([2.0, 4.0, 3.0], "higher") == [0.0, 1.0, 0.5]
    assert normalise_minmax([2.0, 4.0, 3.0], "lower") == [1.0, 0.0, 0.5]
    assert normalise_minmax([5.0, 5.0], "lower") == [1.0, 1.0]


def test_ratio_hand_values_and_refuses_zero() -> None:
    assert normalise_ratio([2.0, 4.0], "higher") == [0.5, 1.0]
    assert normalise_ratio([2.0, 4.0], "lower") == [1.0, 0.5]
    with pytest.raises(ValueError, match="minmax"):
        normalise_ratio([0.0, 1.0], "lower")
    with pytest.raises(ValueError):
        normalise([1.0], "higher", "zscore")


def test_two_by_two_flip_points_by_hand() -> None:
    # system 0 is best on criterion 0, system 1 on criterion 1; weights 0.6/0.4 -> scores 0.6 vs 0.4.
    # S0 - S1 = t - (1 - t) = 2t - 1 for the weight t of criterion 0: the top flips at t = 0.5.
    matrix = [[1.0, 0.0], [0.0, 1.0]]
    assert weighted_scores(matrix, [3, 2]) == pytest.approx([0.6, 0.4])
    up, down = weight_flips(matrix, [0.6, 0.4], 0)
    assert up is None
    assert down is not None and down.new_weight == pytest.approx(0.5) and down.new_top == 1
    up, down = weight_flips(matrix, [0.6, 0.4], 1)
    assert down is None and up is not None and up.new_weight == pytest.approx(0.5) and up.new_top == 1
    flip = smallest_flip(matrix, [0.6, 0.4], 1)
    assert flip is not None and flip.change == pytest.approx(0.1)


def test_three_systems_nearest_competitor_wins() -> None:
    # weights 0.5/0.5; scores 0.7, 0.6, 0.5. Raising criterion 0's weight t:
    # S0 = 0.4t + 1.0(1-t); S1 = 1.0t + 0.2(1-t); S2 = 0.9t + 0.1(1-t)
    # S0 = S1 at 1 - 0.6t = 0.2 + 0.8t -> t = 4/7; S0 = S2 at 1 - 0.6t = 0.1 + 0.8t -> t = 9/14.
    matrix = [[0.4, 1.0], [1.0, 0.2], [0.9, 0.1]]
    up, _ = weight_flips(matrix, [1, 1], 0)
    assert up is not None and up.new_weight == pytest.approx(4 / 7) and up.new_top == 1


def test_single_weighted_criterion_lowered_shares_the_rest_equally() -> None:
    matrix = [[1.0, 0.0, 0.0], [0.0, 1.0, 1.0]]
    # all weight on criterion 0; lowering it gives the others (1-t)/2 each: S0 = t, S1 = 1 - t -> t = 0.5
    _, down = weight_flips(matrix, [1, 0, 0], 0)
    assert down is not None and down.new_weight == pytest.approx(0.5) and down.new_top == 1


matrices = st.integers(2, 4).flatmap(lambda n: st.integers(1, 4).flatmap(lambda m: st.tuples(
    st.lists(st.lists(st.integers(0, 10).map(lambda v: v / 10), min_size=m, max_size=m), min_size=n, max_size=n),
    st.lists(st.integers(1, 10).map(float), min_size=m, max_size=m),
)))


@settings(max_examples=50, deadline=None)
@given(data=matrices, factor=st.floats(0.1, 100))
def test_scaling_weights_changes_nothing(data: tuple[list[list[float]], list[float]], factor: float) -> None:
    matrix, weights = data
    assert weighted_scores(matrix, [w * factor for w in weights]) == pytest.approx(weighted_scores(matrix, weights))


@settings(max_examples=50, deadline=None)
@given(values=st.lists(st.floats(-1e3, 1e3), min_size=2, max_size=6), scale=st.floats(0.01, 100),
       shift=st.floats(-1e3, 1e3), better=st.sampled_from(["higher", "lower"]))
def test_minmax_is_invariant_to_positive_affine_change_of_units(values: list[float], scale: float, shift: float,
                                                                better: str) -> None:
    assume(max(values) - min(values) > 1e-3)
    a = normalise_minmax(values, better)  # type: ignore[arg-type]
    b = normalise_minmax([v * scale + shift for v in values], better)  # type: ignore[arg-type]
    assert b == pytest.approx(a, abs=1e-6)
    assert min(a) == pytest.approx(0) and max(a) == pytest.approx(1)


@settings(max_examples=50, deadline=None)
@given(data=matrices, weights_seed=st.lists(st.floats(0.01, 1), min_size=4, max_size=4))
def test_a_dominating_system_is_top_under_any_weights(data: tuple[list[list[float]], list[float]],
                                                      weights_seed: list[float]) -> None:
    matrix, _ = data
    m = len(matrix[0])
    matrix = [row[:] for row in matrix]
    matrix.append([1.0] * m)  # best on every criterion
    ties = [i for i, row in enumerate(matrix) if all(x == 1.0 for x in row)]
    assert top_index(weighted_scores(matrix, weights_seed[:m])) == ties[0]


@settings(max_examples=50, deadline=None)
@given(data=matrices, criterion_seed=st.integers(0, 3))
def test_flip_points_match_a_brute_force_sweep(data: tuple[list[list[float]], list[float]],
                                               criterion_seed: int) -> None:
    matrix, weights = data
    c = criterion_seed % len(weights)
    base = weighted_scores(matrix, weights)
    top = top_index(base)
    order = ranking(base)
    assume(len(order) < 2 or base[order[0]] - base[order[1]] > 1e-6)  # no tie at the current weights
    wc = weights[c] / sum(weights)
    up, down = weight_flips(matrix, weights, c)

    def beaten(t: float) -> bool:
        s = scores_with_weight(matrix, weights, c, t)
        return any(s[k] > s[top] + 1e-9 for k in range(len(s)) if k != top)

    grid = [i / 400 for i in range(401)]
    upper = up.new_weight if up else 1.0
    lower = down.new_weight if down else 0.0
    # inside the flip points nobody beats the top ...
    assert not any(beaten(t) for t in grid if lower + 1e-6 < t < upper - 1e-6)
    # ... and just past each flip point someone does, namely the reported new top
    for flip, t in ((up, upper + 1e-6), (down, lower - 1e-6)):
        if flip is not None and 0.0 <= t <= 1.0:
            s = scores_with_weight(matrix, weights, c, t)
            assert s[flip.new_top] > s[top]
    assert (up is None or up.new_weight >= wc - 1e-9) and (down is None or down.new_weight <= wc + 1e-9)
