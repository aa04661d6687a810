"""Monte Carlo results reduced on the fly: what :func:`rackforge.resilience.montecarlo.run` keeps of
each chunk of scenarios, and the figures the CLI, the report, the evaluation and the optimiser read.

Memory does not grow with the number of scenarios: racks delivered go into exact per-design and
per-quarter histograms (whole racks), racks short and events into integer sums and counts, parts
owed into block sums and fixed-bin histograms, the value short into a fixed-bin histogram, and only
the :data:`WORST_KEPT` worst scenarios keep their detail. ``keep_scenarios=True`` also keeps every
scenario's detail (:class:`ScenarioDetail`; tests and small runs).

Streamed figures and their error (see docs/resilience.md):

- exact: delivered quantiles and means, expected racks short, the probabilities, the expected value
  short (rack values × mean racks short), the mean value short with and without each event, mean
  units owed, the worst scenarios;
- within 2**−(:data:`VALUE_HISTOGRAM_BITS` + 1) ≈ 3.1e-5 of the exact figure: VaR and CVaR;
- within 2**−(bits + 1) of the exact figure, bits from :func:`parts_histogram_bits` (0.05 % up to
  about 100 parts): P90 units owed (values below 2**−:data:`HISTOGRAM_OCTAVES` of a part's bound
  are reported as half of that).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from rackforge.resilience.mc_stats import BlockSums, FloatHistogram, WorstScenarios

if TYPE_CHECKING:
    import pandas as pd

    from rackforge.resilience.montecarlo import KernelOutput, Sample, SimulationModel

Array = np.ndarray

WORST_KEPT = 20
"""Worst scenarios (by value short) kept with their detail [scenarios]."""

VALUE_HISTOGRAM_BITS = 14
"""Mantissa bits of the value-short histogram: bins 2**−14 of an octave wide, estimates within
2**−15 ≈ 3.1e-5 of the exact figure."""

PARTS_HISTOGRAM_BITS = 10
"""Most mantissa bits of the parts-owed histograms: estimates within 2**−11 ≈ 0.05 % (164 kB per
part); fewer with many parts, see :func:`parts_histogram_bits`."""

PARTS_HISTOGRAM_BYTES = 32 * 2**20
"""Memory the parts-owed histograms may take together [bytes]."""

HISTOGRAM_OCTAVES = 20
"""Octaves below each histogram's upper bound that are resolved; smaller positive values fall in
one underflow bin [octaves]."""


def histogram_quantile(counts: Array, q: float) -> int:
    """The q-quantile of integer data given its histogram (inverse empirical CDF, as
    ``numpy.quantile(method="inverted_cdf")``): the smallest v with CDF(v) ≥ q."""
    total = counts.sum()
    cdf = np.cumsum(counts)
    return int(np.searchsorted(cdf, q * total - 1e-9 * total, side="left"))


def parts_histogram_bits(n_parts: int) -> int:
    """Mantissa bits of the parts-owed histograms for ``n_parts`` parts: the most (at most
    :data:`PARTS_HISTOGRAM_BITS`, at least 4) that keep them within :data:`PARTS_HISTOGRAM_BYTES`;
    P90 units owed are then within 2**−(bits + 1) of the exact figure (84 parts: 10 bits, 0.05 %;
    840 parts: 7 bits, 0.39 %; 4,000 parts: 5 bits, 1.6 %)."""
    per_bit_row = max(1, n_parts) * HISTOGRAM_OCTAVES * 8
    fit = int(np.floor(np.log2(max(1.0, PARTS_HISTOGRAM_BYTES / per_bit_row))))
    return int(min(PARTS_HISTOGRAM_BITS, max(4, fit)))


def scaled_histogram(rows: int, bound: float, mantissa_bits: int) -> tuple[FloatHistogram, float]:
    """A histogram for values in [0, ``bound``] once divided by the returned power of two (so
    scaling is exact): bins cover (2**−HISTOGRAM_OCTAVES, 2] of the scaled values."""
    scale = float(2.0 ** np.ceil(np.log2(max(bound, 1.0))))
    return FloatHistogram(rows, 1 - HISTOGRAM_OCTAVES, 1, mantissa_bits), scale


def value_short_usd(rack_value_usd: Array, backlog: Array) -> Array:
    """Value of the racks not delivered by the end of the plan, per scenario (n,) [USD]: rack values
    times racks short, added design by design (the same per scenario however a run is chunked)."""
    out = np.zeros(backlog.shape[1])
    for d in range(backlog.shape[0]):
        out += float(rack_value_usd[d]) * backlog[d].astype(np.float64)
    return out


@dataclass(frozen=True)
class ScenarioDetail:
    """Every scenario's end-of-plan figures (kept only when asked: memory grows with N)."""

    backlog: Array                  # (D, N) racks short at the end
    parts_owed: Array               # (K, N) part units owed at the end
    occurs: Array                   # (E, N) bool
    event_start_weeks: Array        # (E, N) NaN where the event did not happen
    event_duration_weeks: Array     # (E, N)
    value_short_usd: Array          # (N,)


@dataclass
class Accumulator:
    """Results of a run gathered chunk by chunk (chunks start on multiples of ``block``)."""

    model: SimulationModel
    block: int
    keep_scenarios: bool = False
    partial: bool = False
    """Gathers a piece of a run to be merged into another (keeps its per-block sums)."""
    max_racks: int = field(init=False)
    histogram: Array = field(init=False)
    delivered_sum: Array = field(init=False)
    backlog_sum: Array = field(init=False)
    short_count: int = 0
    short_over_1pct_count: int = 0
    event_count: Array = field(init=False)
    event_backlog_sum: Array = field(init=False)
    parts_owed_sum: BlockSums = field(init=False)
    parts_short_count: Array = field(init=False)
    parts_histogram: FloatHistogram = field(init=False)
    parts_scale: Array = field(init=False)
    value_histogram: FloatHistogram = field(init=False)
    value_scale: float = field(init=False)
    worst: WorstScenarios = field(init=False)
    detail: list[tuple[Array, ...]] = field(default_factory=list)

    def __post_init__(self) -> None:
        m = self.model
        periods, n_designs, n_parts, _ = m.shape
        n_events = len(m.events)
        self.max_racks = int(m.plan.sum(axis=0).max() + m.rack_stock.max()) if m.plan.size else 0
        self.histogram = np.zeros((periods * n_designs, self.max_racks + 1), dtype=np.int64)
        self.delivered_sum = np.zeros((periods, n_designs), dtype=np.int64)
        self.backlog_sum = np.zeros(n_designs, dtype=np.int64)
        self.event_count = np.zeros(n_events, dtype=np.int64)
        self.event_backlog_sum = np.zeros((n_events, n_designs), dtype=np.int64)
        self.parts_owed_sum = BlockSums(n_parts, self.block, keep_blocks=self.partial)
        self.parts_short_count = np.zeros(n_parts, dtype=np.int64)
        # parts owed at the end ≤ the plan's whole need plus a quarter's slipped deliveries
        bound = 2.0 * m.need.sum(axis=0) + m.pipeline_units + 1.0
        bits = parts_histogram_bits(n_parts)
        self.parts_histogram, _ = scaled_histogram(n_parts, 1.0, bits)
        self.parts_scale = np.array([scaled_histogram(1, float(b), bits)[1] for b in bound])
        planned = m.plan.sum(axis=0)
        self.value_histogram, self.value_scale = scaled_histogram(
            1, float(m.rack_value_usd @ planned) + 1.0, VALUE_HISTOGRAM_BITS)
        self.worst = WorstScenarios(WORST_KEPT, n_designs + 3 * n_events)

    def add(self, s: Sample, out: KernelOutput) -> None:
        """Reduce the kernel's output for the scenarios of ``s``."""
        m = self.model
        periods, n_designs, _, _ = m.shape
        racks = np.rint(out.delivered).astype(np.int64).reshape(periods * n_designs, -1)
        np.clip(racks, 0, self.max_racks, out=racks)
        self.delivered_sum += racks.sum(axis=1).reshape(periods, n_designs)
        racks += (np.arange(periods * n_designs) * (self.max_racks + 1))[:, None]
        self.histogram += np.bincount(racks.ravel(), minlength=self.histogram.size).reshape(self.histogram.shape)
        del racks
        backlog = np.rint(out.backlog).astype(np.int64)
        self.backlog_sum += backlog.sum(axis=1)
        short = backlog.sum(axis=0)
        self.short_count += int((short > 0.5).sum())
        self.short_over_1pct_count += int((short > 0.01 * float(m.plan.sum())).sum())
        self.event_count += s.occurs.sum(axis=1)
        self.event_backlog_sum += s.occurs.astype(np.int64) @ backlog.T
        owed = out.parts_owed
        self.parts_owed_sum.add(s.first, owed)
        self.parts_short_count += (owed > 0.5).sum(axis=1)
        self.parts_histogram.add(owed / self.parts_scale[:, None])
        value = value_short_usd(m.rack_value_usd, out.backlog)
        self.value_histogram.add(value[None, :] / self.value_scale)
        starts = s.start_weeks.astype(np.float32).astype(np.float64)
        durations = s.duration_weeks.astype(np.float32).astype(np.float64)
        detail = np.concatenate([out.backlog.astype(np.float64), s.occurs.astype(np.float64), starts, durations]).T
        self.worst.add(s.first, value, detail)
        if self.keep_scenarios:
            self.detail.append((out.backlog.astype(np.float32), out.parts_owed.astype(np.float32), s.occurs,
                                s.start_weeks.astype(np.float32), s.duration_weeks.astype(np.float32), value))

    def __getstate__(self) -> dict[str, Any]:
        """Pickled without the model (the caller that merges it has it): what a cluster task sends back."""
        state = dict(self.__dict__)
        state["model"] = None
        return state

    def merge(self, other: Accumulator) -> None:
        """Add what ``other`` gathered (a later range of scenarios, whole blocks, its block sums kept:
        :attr:`partial`). Counts and histograms are integers; block sums are added block
        by block; the worst list keeps the largest; so merging the pieces of a run in block order gives
        the same figures bit for bit as gathering the run here."""
        for name in ("histogram", "delivered_sum", "backlog_sum", "event_count", "event_backlog_sum",
                     "parts_short_count"):
            mine, theirs = getattr(self, name), getattr(other, name)
            if mine.shape != theirs.shape:
                raise ValueError(f"cannot merge Monte Carlo results of different models ({name})")
            mine += theirs
        self.short_count += other.short_count
        self.short_over_1pct_count += other.short_over_1pct_count
        self.parts_owed_sum.merge(other.parts_owed_sum)
        self.parts_histogram.merge(other.parts_histogram)
        self.value_histogram.merge(other.value_histogram)
        self.worst.merge(other.worst)
        self.detail.extend(other.detail)

    def result(self, scenarios: int, seed: int) -> MonteCarloResult:
        """The run's result once all ``scenarios`` have been added."""
        detail = None
        if self.keep_scenarios:
            columns = list(zip(*self.detail, strict=True)) if self.detail else []
            detail = ScenarioDetail(*(np.concatenate(c, axis=-1) for c in columns))
        return MonteCarloResult(self.model, scenarios, seed, self, detail)


@dataclass(frozen=True)
class MonteCarloResult:
    """Racks delivered (quantiles), shortfalls, value at risk and the worst scenarios, from the
    figures streamed by an :class:`Accumulator`."""

    model: SimulationModel
    scenarios: int
    seed: int
    stats: Accumulator
    detail: ScenarioDetail | None = None

    @property
    def histogram(self) -> Array:
        """Scenarios per whole number of racks delivered (P·D, max + 1) [count]."""
        return self.stats.histogram

    @property
    def delivered_mean(self) -> Array:
        """Mean racks delivered per quarter and design (P, D) [racks]."""
        return self.stats.delivered_sum / self.scenarios

    @property
    def backlog_mean(self) -> Array:
        """Mean racks short at the end of the plan per design (D,) [racks]."""
        return self.stats.backlog_sum / self.scenarios

    @property
    def expected_value_short_usd(self) -> float:
        """Mean value of the racks not delivered by the end of the plan [USD]."""
        return float(self.model.rack_value_usd.astype(np.float64) @ self.backlog_mean)

    def quantile(self, design: int, period: int, q: float) -> int:
        """q-quantile of racks of ``design`` delivered in ``period`` [racks]."""
        return histogram_quantile(self.histogram[period * len(self.model.designs) + design], q)

    def delivered_table(self) -> dict[str, list[dict[str, Any]]]:
        """Per design, per quarter: plan, mean, P10, P50, P90 of racks delivered."""
        m = self.model
        mean = self.delivered_mean
        out: dict[str, list[dict[str, Any]]] = {}
        for d, design in enumerate(m.designs):
            rows = []
            for t, quarter in enumerate(m.quarters):
                rows.append({"quarter": quarter, "plan": int(m.plan[t, d]),
                             "mean": round(float(mean[t, d]), 3),
                             "p10": self.quantile(d, t, 0.10), "p50": self.quantile(d, t, 0.50),
                             "p90": self.quantile(d, t, 0.90)})
            out[design] = rows
        return out

    def value_at_risk_usd(self, level: float = 0.95) -> float:
        """Value-at-risk of the shortfall: its ``level`` quantile over scenarios [USD] (streamed:
        within a relative 2**−15 of the exact figure)."""
        return self.stats.value_histogram.quantile(0, level) * self.stats.value_scale

    def conditional_value_at_risk_usd(self, level: float = 0.95) -> float:
        """Mean shortfall value in the worst 1 − ``level`` of scenarios [USD] (streamed: within a
        relative 2**−15 of the exact figure)."""
        return self.stats.value_histogram.tail_mean(0, level) * self.stats.value_scale

    def shortfall_by_part(self) -> list[dict[str, Any]]:
        """Units of each part still owed at the end: mean, P90 (streamed, within
        :attr:`FloatHistogram.relative_error` of the parts' histogram), probability, mean value."""
        m = self.model
        s = self.stats
        n = self.scenarios
        rows: list[dict[str, Any]] = []
        for k, part in enumerate(m.parts):
            mean = float(s.parts_owed_sum.total[k]) / n
            p90 = s.parts_histogram.quantile(k, 0.9) * float(s.parts_scale[k])
            rows.append({"part": part, "mean_units": round(mean, 3), "p90_units": round(p90, 3),
                         "probability": round(int(s.parts_short_count[k]) / n, 6),
                         "mean_value_usd": round(mean * float(m.part_price_usd[k]), 2)})
        rows.sort(key=lambda r: (-float(r["mean_value_usd"]), -float(r["mean_units"]), str(r["part"])))
        return rows

    def shortfall_by_event(self) -> list[dict[str, Any]]:
        """Per library event: how often it happened and the mean shortfall value with and without it."""
        s = self.stats
        value = self.model.rack_value_usd.astype(np.float64)
        rows: list[dict[str, Any]] = []
        for e, spec in enumerate(self.model.events):
            hit = int(s.event_count[e])
            miss = self.scenarios - hit
            when = float(value @ s.event_backlog_sum[e]) / hit if hit else None
            otherwise = float(value @ (s.backlog_sum - s.event_backlog_sum[e])) / miss if miss else None
            rows.append({
                "event": spec.id, "name": spec.name, "probability": round(spec.probability, 6),
                "occurred_share": round(hit / self.scenarios, 6),
                "mean_value_short_usd_when_occurred": None if when is None else round(when, 2),
                "mean_value_short_usd_otherwise": None if otherwise is None else round(otherwise, 2),
            })
        rows.sort(key=lambda r: -float(r["mean_value_short_usd_when_occurred"] or 0.0))
        return rows

    def worst_scenarios(self, count: int = 5) -> list[dict[str, Any]]:
        """The scenarios with the largest shortfall value (at most :data:`WORST_KEPT`), with the events
        that happened in them."""
        if count > WORST_KEPT:
            raise ValueError(f"a run keeps the {WORST_KEPT} worst scenarios, not {count}")
        worst = self.stats.worst
        designs, events = self.model.designs, self.model.events
        n_d, n_e = len(designs), len(events)
        rows = []
        for i, value, row in zip(worst.index[:count], worst.value[:count], worst.detail[:count], strict=True):
            if value <= 0:
                break
            occurred = row[n_d:n_d + n_e]
            starts, durations = row[n_d + n_e:n_d + 2 * n_e], row[n_d + 2 * n_e:]
            rows.append({"scenario": int(i), "value_short_usd": round(float(value), 2),
                         "racks_short": {d: round(float(row[k])) for k, d in enumerate(designs)},
                         "events": [{"event": spec.id, "start_week": round(float(starts[e]), 2),
                                     "duration_weeks": round(float(durations[e]), 2)}
                                    for e, spec in enumerate(events) if occurred[e]]})
        return rows

    def summary(self) -> dict[str, Any]:
        """Headline figures: expected racks and value short at the end of the plan, VaR, CVaR, and the
        probability of any shortfall and of one above 1 % of the planned racks."""
        n = self.scenarios
        backlog = self.backlog_mean
        return {
            "expected_racks_short": {d: round(float(backlog[k]), 4) for k, d in enumerate(self.model.designs)},
            "probability_of_shortfall": round(self.stats.short_count / n, 6),
            "probability_of_shortfall_over_1pct": round(self.stats.short_over_1pct_count / n, 6),
            "expected_value_short_usd": round(self.expected_value_short_usd, 2),
            "value_at_risk_95_usd": round(self.value_at_risk_usd(0.95), 2),
            "conditional_value_at_risk_95_usd": round(self.conditional_value_at_risk_usd(0.95), 2),
        }

    def to_json(self) -> dict[str, Any]:
        """JSON form (see docs/resilience.md)."""
        return {
            "scenarios": self.scenarios, "seed": self.seed, "quarters": list(self.model.quarters),
            "designs": self.delivered_table(), "summary": self.summary(),
            "shortfall_by_part": self.shortfall_by_part(), "shortfall_by_event": self.shortfall_by_event(),
            "worst_scenarios": self.worst_scenarios(), "warnings": list(self.model.warnings),
        }

    def to_frame(self) -> pd.DataFrame:
        """Racks delivered per design and quarter (plan, mean, p10, p50, p90) [racks]."""
        import pandas as pd

        rows = [{"design": d, **row} for d, table in self.delivered_table().items() for row in table]
        return pd.DataFrame(rows).rename(columns={"plan": "plan_racks", "mean": "mean_racks", "p10": "p10_racks",
                                                  "p50": "p50_racks", "p90": "p90_racks"})
