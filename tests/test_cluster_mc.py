"""Monte Carlo pieces merged in block order give the one-process result, whatever the pieces and
wherever they ran (in-process task maps: no Dask needed)."""

from __future__ import annotations

import itertools
import json
import pickle
import random
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from rackforge.core.parallel import SerialMap, current_task_map, running_on, split_evenly
from rackforge.resilience.mc_stats import BlockSums, FloatHistogram
from rackforge.resilience.montecarlo import BLOCK, run, synthetic_model, task_count

MODEL = synthetic_model(5, designs=3, parts=10, quarters=5, events=4)


class ShuffledMap:
    """Runs tasks in a random order, each with a pickled copy of its inputs and its result (as a
    cluster does), and yields them in item order."""

    def __init__(self, workers: int, seed: int) -> None:
        self._workers = workers
        self.seed = seed
        self.calls = 0

    @property
    def workers(self) -> int:
        return self._workers

    def map_ordered(self, fn: Callable[[Any, Any], Any], items: Sequence[Any], *, shared: Any) -> Iterator[Any]:
        remote = pickle.loads(pickle.dumps(shared))
        order = list(range(len(items)))
        random.Random(self.seed).shuffle(order)
        done = {}
        for i in order:
            self.calls += 1
            done[i] = pickle.loads(pickle.dumps(fn(remote, items[i])))
        for i in range(len(items)):
            yield done[i]


SERIAL = {n: run(MODEL, n, 11, chunk=2048) for n in (1, 1500, 5000)}


@settings(max_examples=12, deadline=None)
@given(n=st.sampled_from(sorted(SERIAL)), workers=st.integers(1, 6), chunk=st.integers(1, 5000),
       order=st.integers(0, 1000))
def test_pieces_merged_in_block_order_equal_one_process(n: int, workers: int, chunk: int, order: int) -> None:
    task_map = ShuffledMap(workers, order)
    with running_on(task_map):
        merged = run(MODEL, n, 11, chunk=chunk)
    one = SERIAL[n]
    assert task_map.calls == len(split_evenly(n, task_count(n, workers), BLOCK))
    assert json.dumps(merged.to_json()) == json.dumps(one.to_json())
    assert np.array_equal(merged.stats.parts_owed_sum.total, one.stats.parts_owed_sum.total)
    assert np.array_equal(merged.stats.value_histogram.counts, one.stats.value_histogram.counts)
    assert np.array_equal(merged.stats.worst.index, one.stats.worst.index)


def test_kept_scenarios_arrive_in_scenario_order() -> None:
    one = run(MODEL, 3000, 2, chunk=1024, keep_scenarios=True)
    with running_on(ShuffledMap(3, 9)):
        merged = run(MODEL, 3000, 2, chunk=1024, keep_scenarios=True)
    assert one.detail is not None and merged.detail is not None
    assert np.array_equal(one.detail.value_short_usd, merged.detail.value_short_usd)


@given(total=st.integers(0, 50_000), parts=st.integers(1, 40), unit=st.sampled_from([1, 7, 1024]))
def test_split_evenly_covers_the_range_in_whole_units(total: int, parts: int, unit: int) -> None:
    pieces = split_evenly(total, parts, unit)
    assert sum(n for _, n in pieces) == total
    assert len(pieces) <= parts
    assert all(first % unit == 0 and n > 0 for first, n in pieces)
    assert all(a + n == b for (a, n), (b, _) in itertools.pairwise(pieces))


def test_block_sums_merge_in_block_order_bit_for_bit() -> None:
    rng = np.random.default_rng(0)
    values = rng.lognormal(3, 2, size=(4, 10 * 64))
    whole = BlockSums(4, 64)
    whole.add(0, values)
    merged = BlockSums(4, 64)
    for a, b in ((0, 192), (192, 448), (448, 640)):
        piece = BlockSums(4, 64, keep_blocks=True)
        piece.add(a, values[:, a:b])
        merged.merge(piece)
    assert np.array_equal(whole.total, merged.total)


def test_histogram_pickles_sparsely_and_exactly() -> None:
    hist = FloatHistogram(3, mantissa_bits=10)
    hist.add(np.array([[0.0, 1.5, 1.5], [2.0, 3.0, 9.0], [0.0, 0.0, 0.25]]))
    data = pickle.dumps(hist)
    assert len(data) < hist.counts.nbytes // 100    # sparse: a handful of bins, not 3 × 45k
    back = pickle.loads(data)
    assert np.array_equal(back.counts, hist.counts) and back.counts.sum() == 9


def test_serial_map_is_the_default_and_keeps_order() -> None:
    assert isinstance(current_task_map(), SerialMap)
    assert list(SerialMap().map_ordered(lambda s, x: s * x, [3, 1, 2], shared=10)) == [30, 10, 20]
