"""Streaming statistics for the Monte Carlo: results reduced chunk by chunk in memory that does not
grow with the number of scenarios, and that give the same numbers however a run is chunked.

- :class:`FloatHistogram`: counts of non-negative values in fixed bins cut from the float32 bit
  pattern (a zero bin, then ``2**mantissa_bits`` bins per octave between ``2**low_exponent`` and
  ``2**high_exponent``); quantiles and tail means from it are within a relative
  :meth:`FloatHistogram.relative_error` of the exact ones (inside the range).
- :class:`BlockSums`: float64 sums taken per fixed block of scenarios and added block after block,
  so the rounding does not depend on where chunks end.
- :class:`WorstScenarios`: the ``keep`` scenarios with the largest shortfall value and their detail.

Counts are integers (order-free); sums are fixed-block sums; the worst list breaks ties by scenario
index; so all three are the same for a seed whatever the chunking. Each also merges with another of
its kind (``merge``: counts added, block sums added block by block in block order, worst lists
combined), so pieces of a run computed elsewhere give the same figures once merged in block order.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

Array = np.ndarray

_MANTISSA_BITS_FLOAT32 = 23
_EXPONENT_BIAS_FLOAT32 = 127


@dataclass
class FloatHistogram:
    """Histograms of non-negative values, one per row, in bins of fixed relative width.

    Bin 0 holds values ≤ 0 (exactly 0 for the Monte Carlo's shortfalls); bin 1 values in
    (0, 2**low_exponent); then ``2**mantissa_bits`` bins per octave up to ``2**high_exponent``; the
    last bin holds larger values. A value is binned by its float32 bit pattern (its leading mantissa
    bits), so binning is exact integer arithmetic and no two runs can disagree about a bin.
    """

    rows: int
    low_exponent: int = -10
    high_exponent: int = 34
    mantissa_bits: int = 10
    counts: Array = field(init=False)

    def __post_init__(self) -> None:
        if not -126 <= self.low_exponent < self.high_exponent <= 127:
            raise ValueError("exponents must satisfy -126 ≤ low < high ≤ 127")
        if not 0 <= self.mantissa_bits <= _MANTISSA_BITS_FLOAT32:
            raise ValueError("mantissa_bits must be in 0..23")
        self.counts = np.zeros((self.rows, self.bins), dtype=np.int64)

    def __getstate__(self) -> dict[str, object]:
        """Pickled sparsely (the non-zero bins only, as 32-bit positions and the narrowest unsigned
        counts that hold them): a piece of a run fills a fraction of the bins, and this is what a
        cluster worker sends back per task."""
        state = dict(self.__dict__)
        flat = self.counts.ravel()
        where = np.flatnonzero(flat)
        values = flat[where]
        index_type = np.int32 if flat.size < 2**31 else np.int64
        state["counts"] = (where.astype(index_type), values.astype(np.min_scalar_type(int(values.max(initial=0)))))
        return state

    def __setstate__(self, state: dict[str, object]) -> None:
        sparse = state.pop("counts")
        assert isinstance(sparse, tuple)
        self.__dict__.update(state)
        counts = np.zeros(self.rows * self.bins, dtype=np.int64)
        counts[sparse[0]] = sparse[1]
        self.counts = counts.reshape(self.rows, self.bins)

    def merge(self, other: FloatHistogram) -> None:
        """Add the counts of ``other`` (same bins) [exact: integer counts]."""
        if other.counts.shape != self.counts.shape:
            raise ValueError("histograms with different bins cannot be merged")
        self.counts += other.counts

    @property
    def regular_bins(self) -> int:
        """Bins between 2**low_exponent and 2**high_exponent."""
        return (self.high_exponent - self.low_exponent) << self.mantissa_bits

    @property
    def bins(self) -> int:
        """All bins per row: zero, underflow, regular, overflow."""
        return self.regular_bins + 3

    @property
    def relative_error(self) -> float:
        """Largest |estimate − exact| / exact of a quantile inside the range [fraction]: half a bin's
        width relative to its lower edge, 2**−(mantissa_bits + 1)."""
        return 2.0 ** -(self.mantissa_bits + 1)

    def bin_of(self, values: Array) -> Array:
        """Bin index of each value (any shape) [index]."""
        x = np.asarray(values, dtype=np.float32)
        shift = _MANTISSA_BITS_FLOAT32 - self.mantissa_bits
        first = (self.low_exponent + _EXPONENT_BIAS_FLOAT32) << self.mantissa_bits
        key = (x.view(np.int32) >> shift).astype(np.int64) - first + 2   # regular bins start at 2
        np.clip(key, 1, self.regular_bins + 2, out=key)
        key[x <= 0] = 0
        key[np.isnan(x)] = self.regular_bins + 2
        return key

    def add(self, values: Array) -> None:
        """Count ``values`` (rows, n)."""
        if values.shape[1] == 0:
            return
        key = self.bin_of(values)
        key += (np.arange(self.rows, dtype=np.int64) * self.bins)[:, None]
        self.counts += np.bincount(key.ravel(), minlength=self.counts.size).reshape(self.counts.shape)

    def bin_values(self) -> Array:
        """The value each bin stands for (bins,): 0, the underflow edge's midpoint, the midpoint of
        each regular bin, and the overflow edge."""
        j = np.arange(self.regular_bins, dtype=np.float64)
        octave, step = np.divmod(j, 2 ** self.mantissa_bits)
        low = np.ldexp(1.0 + step / 2 ** self.mantissa_bits, (octave + self.low_exponent).astype(np.int64))
        width = np.ldexp(1.0 / 2 ** self.mantissa_bits, (octave + self.low_exponent).astype(np.int64))
        return np.concatenate([[0.0, 2.0 ** self.low_exponent / 2], low + width / 2,
                               [2.0 ** self.high_exponent]])

    def quantile(self, row: int, q: float) -> float:
        """Estimate of the q-quantile of a row (inverse empirical CDF, as ``numpy.quantile(method=
        "inverted_cdf")``): the value of the bin that holds it; exact for 0."""
        counts = self.counts[row]
        total = int(counts.sum())
        if total == 0:
            return 0.0
        rank = inverted_cdf_rank(total, q)
        index = int(np.searchsorted(np.cumsum(counts), rank + 1, side="left"))
        return float(self.bin_values()[index])

    def tail_mean(self, row: int, level: float) -> float:
        """Estimate of the mean of the values from rank ⌊level·n⌋ up (the worst 1 − level) [same unit]."""
        counts = self.counts[row]
        total = int(counts.sum())
        start = int(np.floor(level * total))
        take = total - start
        if take <= 0:
            return 0.0
        values = self.bin_values()
        above = np.cumsum(counts[::-1])[::-1]          # values in this bin or higher
        first = int(np.searchsorted(-above, -take, side="right")) - 1   # lowest bin still (partly) in the tail
        first = max(first, 0)
        full = float(counts[first + 1:] @ values[first + 1:])
        partial = take - int(counts[first + 1:].sum())
        return (full + partial * float(values[first])) / take


def inverted_cdf_rank(total: int, q: float) -> int:
    """0-based rank of the q-quantile among ``total`` sorted values by the inverse empirical CDF
    (``numpy.quantile(method="inverted_cdf")``): the smallest k with (k + 1) / total ≥ q."""
    return max(0, int(np.ceil(q * total - 1e-9 * total)) - 1)


@dataclass
class BlockSums:
    """Float64 sums over scenarios of ``rows`` figures, added block by block.

    Each chunk must start on a block boundary (the last one may end anywhere); every block is summed
    on its own and the block sums are added in block order, so the total is the same bit for bit
    whatever the chunking.
    """

    rows: int
    block: int
    keep_blocks: bool = False
    total: Array = field(init=False)
    per_block: list[Array] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        self.total = np.zeros(self.rows)

    def add(self, first: int, values: Array) -> None:
        """Add ``values`` (rows, n) of scenarios ``first .. first + n − 1``."""
        if first % self.block:
            raise ValueError("chunks must start on a block boundary")
        x = np.asarray(values, dtype=np.float64)
        for a in range(0, x.shape[1], self.block):
            block_sum = x[:, a:a + self.block].sum(axis=1)
            self.total += block_sum
            if self.keep_blocks:
                self.per_block.append(block_sum)

    def merge(self, other: BlockSums) -> None:
        """Add the blocks of ``other`` (which kept them: ``keep_blocks``), one after another, as if
        they had been added here: merged in block order, the total is the same bit for bit as one
        run over all the blocks."""
        if not other.keep_blocks:
            raise ValueError("merge needs the per-block sums (keep_blocks=True)")
        for block_sum in other.per_block:
            self.total += block_sum
            if self.keep_blocks:
                self.per_block.append(block_sum)


@dataclass
class WorstScenarios:
    """The ``keep`` scenarios with the largest value, ties broken by scenario index (lower first),
    with a row of detail each (any float columns)."""

    keep: int
    columns: int
    index: Array = field(init=False)
    value: Array = field(init=False)
    detail: Array = field(init=False)

    def __post_init__(self) -> None:
        self.index = np.zeros(0, dtype=np.int64)
        self.value = np.zeros(0)
        self.detail = np.zeros((0, self.columns))

    def add(self, first: int, value: Array, detail: Array) -> None:
        """Offer scenarios ``first .. first + n − 1`` with their ``value`` (n,) and ``detail`` (n, columns)."""
        n = value.shape[0]
        if n == 0 or self.keep == 0:
            return
        candidates = np.argsort(-value, kind="stable")[:self.keep]
        index = np.concatenate([self.index, first + candidates])
        values = np.concatenate([self.value, value[candidates]])
        details = np.concatenate([self.detail, detail[candidates]])
        order = np.lexsort((index, -values))[:self.keep]
        self.index, self.value, self.detail = index[order], values[order], details[order]

    def merge(self, other: WorstScenarios) -> None:
        """Keep the ``keep`` largest of both lists (ties by scenario index): the same whatever the
        order lists are merged in."""
        index = np.concatenate([self.index, other.index])
        values = np.concatenate([self.value, other.value])
        details = np.concatenate([self.detail, other.detail])
        order = np.lexsort((index, -values))[:self.keep]
        self.index, self.value, self.detail = index[order], values[order], details[order]
