"""Monte Carlo of racks delivered under disruptions, vectorised across scenarios with NumPy.

Each scenario draws which library events happen (with their probability over the plan horizon),
when they start (uniformly in the horizon), how long they last (triangular), and, with stochastic
lead times, how late each quarter's deliveries of each part are. Then, quarter by quarter:

1. **orders**: every quarter the programme orders the parts its build plan needs, plus what is
   still owed from earlier quarters, split between the part's sources by the one order-share rule
   of :func:`rackforge.core.supply.resolve_order_shares` (among the sources that may ship on the
   quarter's first day, planned shares are kept and sources without one split the rest equally);
2. **supply**: a source delivers ``min(order, capacity × availability)``; what the planned
   sources fail to deliver is called from the spare capacity of all the part's sources, of which
   only ``alternate_response`` can be reached within the quarter; the rest stays owed;
3. **lead times**: a share ``min(1, Δ / quarter)`` of the quarter's deliveries slips into the next
   quarter when the realised lead time exceeds the planned one by Δ;
4. **builds**: racks of each design are built from parts on hand up to the plan plus backlog,
   sharing scarce parts between designs by the allocation rule (``proportional``: each part in
   proportion to the designs' needs, then leftovers by priority; ``priority``: designs in order);
   only whole racks count; unbuilt racks stay in the backlog.

Random numbers come from a :class:`numpy.random.SeedSequence` spawned per fixed block of
:data:`BLOCK` scenarios, so scenario ``i`` gets the same numbers whatever chunks the run is split
into, and any range of scenarios can be computed on its own (by another process, too). Under a
cluster task map (:mod:`rackforge.core.parallel`) a run is cut into pieces of whole blocks
(:func:`simulate_range`), each reduced where it runs and merged here in block order, so the result
is the one-process result bit for bit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from rackforge.calendar import WEEKS_PER_QUARTER, quarter_start
from rackforge.core.bom import BomStructure, explode, racks_by_quarter
from rackforge.core.parallel import current_task_map, is_distributed, split_evenly
from rackforge.core.supply import SourceMode, resolve_order_shares, supply_view
from rackforge.resilience.defaults import MONTE_CARLO_MEMORY_BUDGET_BYTES
from rackforge.resilience.mc_results import (  # noqa: F401  (MonteCarloResult and histogram_quantile re-exported)
    Accumulator,
    MonteCarloResult,
    histogram_quantile,
)
from rackforge.resilience.network import (
    default_part_stock,
    part_lead_times_weeks,
    part_values_usd,
    plan_start,
    rack_value_usd,
)
from rackforge.schema.scenarios import ScenarioLibrary

if TYPE_CHECKING:

    from rackforge.schema import BuildPlan, Programme

BLOCK = 1024
"""Scenarios per random-number block: scenario i draws from block i // BLOCK."""

KERNEL_CHUNK = 2048
"""Scenarios the kernel processes at once (keeps its working arrays in the CPU cache)."""

EPS_RACKS = {"float64": 1e-9, "float32": 1e-3}
"""Tolerance when rounding racks down to whole racks, per kernel precision [racks]. Parts arrive in
fractions (pro-rata capacity, slipped shares); a rack counts as buildable when its parts are there up
to this share of a rack (float32 resolves ~1e-7 of a value, so it needs the wider tolerance)."""

Array = np.ndarray


@dataclass(frozen=True)
class EventSpec:
    """One library event, resolved to source indices."""

    id: str
    name: str
    kind: Literal["outage", "ramp_delay"]
    probability: float
    low_weeks: float
    mode_weeks: float
    high_weeks: float
    capacity_factor: float
    sources: tuple[int, ...]


@dataclass(frozen=True)
class SimulationModel:
    """Scenario-independent inputs of the Monte Carlo, as arrays.

    Sources are ordered by part (``part_starts[k]`` is the first source of part ``k``); every part
    has at least one source (a zero-capacity placeholder when it has none).
    """

    quarters: tuple[str, ...]
    designs: tuple[str, ...]
    parts: tuple[str, ...]
    sources: tuple[str, ...]
    source_part: Array              # (S,) part index of each source
    part_starts: Array              # (K,) first source of each part
    capacity_per_quarter: Array     # (S,) full capacity [units/quarter]
    start_weeks: Array              # (S,) weeks from plan start until the source ships (−inf: already)
    share: Array                    # (P, S) share of the part's orders per quarter (sums to 1 per part
                                    # with a source that may ship; see order_shares_by_quarter)
    plan: Array                     # (P, D) racks planned
    bom: Array                      # (D, K) units per rack
    stock_units: Array              # (K,) parts on hand at plan start
    pipeline_units: Array           # (K,) parts in transit, arriving in the first quarter
    rack_stock: Array               # (D,) finished racks on hand
    lead_time_weeks: Array          # (K,) planned lead time per part, order to integration site
    rack_value_usd: Array           # (D,) value of one rack
    part_price_usd: Array           # (K,) value of one part (landed cost)
    events: tuple[EventSpec, ...] = ()
    lead_time_cv: float = 0.0
    alternate_response: float = 0.5
    allocation: Literal["proportional", "priority"] = "proportional"
    priority: tuple[int, ...] = ()  # design indices, highest first
    period_weeks: float = WEEKS_PER_QUARTER
    warnings: tuple[str, ...] = ()
    may_ship: Array | None = None   # (P, S) bool: may ship on the quarter's first day (None: from start_weeks)

    def __post_init__(self) -> None:
        periods, n_designs, n_parts, n_sources = self.shape
        checks = [
            (self.plan.shape == (periods, n_designs), "plan must be (quarters, designs)"),
            (self.bom.shape == (n_designs, n_parts), "bom must be (designs, parts)"),
            (self.share.shape == (periods, n_sources), "share must be (quarters, sources)"),
            (self.may_ship is None or self.may_ship.shape == (periods, n_sources),
             "may_ship must be (quarters, sources)"),
            (bool(np.all((self.bom > 0).any(axis=1))), "every design needs at least one part"),
            (self.part_starts.shape == (n_parts,) and n_parts > 0 and self.part_starts[0] == 0
             and bool(np.all(np.diff(np.append(self.part_starts, n_sources)) >= 1)),
             "every part needs at least one source, sources grouped by part"),
            (bool(np.all(self.source_part == np.repeat(np.arange(n_parts),
                                                       np.diff(np.append(self.part_starts, n_sources))))),
             "source_part must match part_starts"),
        ]
        for ok, message in checks:
            if not ok:
                raise ValueError(f"inconsistent simulation model: {message}")

    @property
    def shape(self) -> tuple[int, int, int, int]:
        """(periods P, designs D, parts K, sources S)."""
        return len(self.quarters), len(self.designs), len(self.parts), len(self.sources)

    @property
    def horizon_weeks(self) -> float:
        """Length of the plan [weeks]."""
        return len(self.quarters) * self.period_weeks

    @property
    def need(self) -> Array:
        """Parts the plan needs per quarter (P, K) [units]."""
        return self.plan @ self.bom

    def base_capacity(self) -> Array:
        """Capacity per quarter without disruptions (P, S) [units]: zero before a source starts,
        pro rata in its first quarter."""
        return self.capacity_per_quarter[None, :] * up_fraction(self.start_weeks, self.period_weeks,
                                                                len(self.quarters))

    def ships_at_quarter_start(self) -> Array:
        """(P, S) bool: True where a source may ship on a quarter's first day, i.e. counts in that
        quarter's order shares (``may_ship`` when given, else ``start_weeks`` ≤ the quarter's start)."""
        if self.may_ship is not None:
            return self.may_ship
        quarter_starts = np.arange(len(self.quarters), dtype=float) * self.period_weeks
        return np.asarray(self.start_weeks[None, :] <= quarter_starts[:, None])

    def with_shares(self, shares: Mapping[str, float]) -> SimulationModel:
        """A copy with planned shares overridden: ``{"part@site": share}``. Parts named in
        ``shares`` take their split from it (unnamed sources of those parts get 0); other parts keep
        theirs. Each quarter the split is resolved by the one order-share rule
        (:func:`order_shares_by_quarter`) over the sources that may ship on its first day."""
        from dataclasses import replace

        index = {s: i for i, s in enumerate(self.sources)}
        unknown = [k for k in shares if k not in index]
        if unknown:
            from rackforge.errors import UsageError, did_you_mean
            raise UsageError(f"no source {unknown[0]!r}{did_you_mean(unknown[0], index)}; "
                             "shares are keyed 'part@site'")
        raw = np.full(len(self.sources), np.nan)
        overridden = np.zeros(len(self.parts), dtype=bool)
        for key, value in shares.items():
            raw[index[key]] = max(0.0, float(value))
            overridden[self.source_part[index[key]]] = True
        for s in range(len(self.sources)):
            if overridden[self.source_part[s]] and np.isnan(raw[s]):
                raw[s] = 0.0
        new_share = order_shares_by_quarter(self.source_part, raw, self.ships_at_quarter_start(), len(self.parts))
        keep = ~overridden[self.source_part]
        new_share[:, keep] = self.share[:, keep]
        return replace(self, share=new_share)


def up_fraction(start_weeks: Array, period_weeks: float, periods: int) -> Array:
    """Share of each period a source ships when it starts at ``start_weeks`` [0-1], shape (P, *start.shape).

    Period t covers [t·W, (t+1)·W); the share is clip(((t+1)·W − start) / W, 0, 1).
    """
    start = np.asarray(start_weeks, dtype=float)
    ends = ((np.arange(periods, dtype=float) + 1.0) * period_weeks).reshape((periods,) + (1,) * start.ndim)
    frac = (ends - start[None, ...]) / period_weeks
    return np.clip(frac, 0.0, 1.0)


def order_shares_by_quarter(source_part: Array, planned_share: Array, may_ship: Array, n_parts: int) -> Array:
    """Share of each part's orders per quarter and source (P, S) by the one order-share rule,
    :func:`rackforge.core.supply.resolve_order_shares`: among the sources that may ship on the
    quarter's first day (``may_ship``, (P, S) bool), planned shares (``planned_share``, (S,), NaN:
    none given) are kept, sources without one split the rest equally, and the result is normalised
    to 1 per part; a part with no source that may ship gets 0 everywhere."""
    part_of = np.asarray(source_part, dtype=np.int64)
    return np.vstack([resolve_order_shares(part_of, planned_share, active, n_parts) for active in may_ship])


# ---------------------------------------------------------------------------------------------
# sampling


@dataclass(frozen=True)
class Sample:
    """Random inputs of scenarios ``first .. first + n - 1``."""

    first: int
    capacity: Array                 # (P, S, n) units each source can ship per quarter
    late: Array | None              # (P, K, n) share of deliveries slipping to the next quarter
    carry_in: Array                 # (K, n) parts arriving in the first quarter from before the plan
    occurs: Array                   # (E, n) bool
    start_weeks: Array              # (E, n)
    duration_weeks: Array           # (E, n)

    @property
    def n(self) -> int:
        return int(self.capacity.shape[2])


def triangular_inverse(u: Array, low: Array, mode: Array, high: Array) -> Array:
    """Inverse CDF of the triangular distribution (low, mode, high) at ``u`` ∈ [0, 1)."""
    span = high - low
    with np.errstate(invalid="ignore", divide="ignore"):
        cut = np.where(span > 0, (mode - low) / np.where(span > 0, span, 1.0), 0.5)
        left = low + np.sqrt(u * span * (mode - low))
        right = high - np.sqrt((1.0 - u) * span * (high - mode))
    return np.where(span > 0, np.where(u < cut, left, right), low)


def _block_draws(model: SimulationModel, seed: int, block: int) -> tuple[Array, Array, Array, Array | None]:
    """The random numbers of one block of :data:`BLOCK` scenarios (always the same for a seed)."""
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(block,))))
    n_events = len(model.events)
    uniforms = rng.random((3, n_events, BLOCK))
    normals = None
    if model.lead_time_cv > 0:
        periods, _, n_parts, _ = model.shape
        # float32 normals: twice as fast, and the slip shares they make need no more digits
        normals = rng.standard_normal((periods + 1, n_parts, BLOCK), dtype=np.float32)  # [0]: quarter before plan
    return uniforms[0], uniforms[1], uniforms[2], normals


def sample(model: SimulationModel, seed: int, first: int, n: int, *, dtype: Any = np.float64) -> Sample:
    """Random inputs of scenarios ``first .. first + n − 1`` (independent of how a run is chunked);
    capacities and late shares in ``dtype`` (the kernel's precision)."""
    if seed < 0:
        raise ValueError("seed must be ≥ 0")
    periods, _, n_parts, _ = model.shape
    n_events = len(model.events)
    u_occ = np.empty((n_events, n))
    u_start = np.empty((n_events, n))
    u_dur = np.empty((n_events, n))
    normals = np.empty((periods + 1, n_parts, n), dtype=np.float32) if model.lead_time_cv > 0 else None
    done = 0
    while done < n:
        index = first + done
        block, offset = divmod(index, BLOCK)
        take = min(n - done, BLOCK - offset)
        a, b, c, z = _block_draws(model, seed, block)
        sl = slice(done, done + take)
        u_occ[:, sl], u_start[:, sl], u_dur[:, sl] = (x[:, offset:offset + take] for x in (a, b, c))
        if normals is not None and z is not None:
            normals[:, :, sl] = z[:, :, offset:offset + take]
        done += take
    return realise(model, first, u_occ, u_start, u_dur, normals, dtype=dtype)


def realise(model: SimulationModel, first: int, u_occ: Array, u_start: Array, u_dur: Array,
            normals: Array | None, *, dtype: Any = np.float64) -> Sample:
    """Turn uniform and normal draws into capacities, late shares and event timings."""
    periods = len(model.quarters)
    n = u_occ.shape[1]
    W = model.period_weeks
    horizon = model.horizon_weeks
    ev = model.events
    prob = np.array([e.probability for e in ev]).reshape(-1, 1)
    occurs = u_occ < prob
    start = u_start * horizon
    duration = triangular_inverse(u_dur, *(np.array([getattr(e, f) for e in ev]).reshape(-1, 1)
                                           for f in ("low_weeks", "mode_weeks", "high_weeks")))
    capacity = np.empty((periods, model.shape[3], n), dtype=dtype)
    capacity[:] = model.base_capacity()[:, :, None]
    period_start = (np.arange(periods, dtype=float) * W)[:, None]
    for e, spec in enumerate(ev):
        if not spec.sources or not occurs[e].any():
            continue
        idx = np.array(spec.sources)
        if spec.kind == "outage":
            begin = np.where(occurs[e], start[e], np.inf)[None, :]
            end = begin + duration[e][None, :]
            overlap = np.clip(np.minimum(end, period_start + W) - np.maximum(begin, period_start), 0.0, W) / W
            factor = 1.0 - (1.0 - spec.capacity_factor) * overlap          # (P, n)
            capacity[:, idx, :] *= factor[:, None, :]
        else:  # ramp delay: sources that start during the plan start later
            late_start = model.start_weeks[idx]
            future = np.isfinite(late_start) & (late_start > 0)
            if not future.any():
                continue
            idx = idx[future]
            delayed = late_start[future][:, None] + np.where(occurs[e], duration[e], 0.0)[None, :]  # (s, n)
            ratio_new = up_fraction(delayed, W, periods)                                            # (P, s, n)
            ratio_old = up_fraction(late_start[future], W, periods)[:, :, None]                      # (P, s, 1)
            with np.errstate(invalid="ignore", divide="ignore"):
                scale = np.where(ratio_old > 0, ratio_new / np.where(ratio_old > 0, ratio_old, 1.0), 0.0)
            capacity[:, idx, :] *= scale
    late = None
    carry_in = np.repeat(model.pipeline_units[:, None], n, axis=1).astype(dtype)
    if normals is not None:
        late_all = late_shares(normals, model.lead_time_weeks, model.lead_time_cv, W)
        late = late_all[1:]
        # steady start: the quarter before the plan ran at the first quarter's need and slipped alike
        carry_in += (model.need[0][:, None] * late_all[0]).astype(dtype)
    return Sample(first, capacity.astype(dtype, copy=False), None if late is None else late.astype(dtype, copy=False),
                  carry_in.astype(dtype, copy=False), occurs, np.where(occurs, start, np.nan),
                  np.where(occurs, duration, np.nan))


def late_shares(normals: Array, lead_time_weeks: Array, cv: float, period_weeks: float) -> Array:
    """Share of a quarter's deliveries that slips into the next quarter [0-1], from standard normals
    (…, K, n): realised lead time L·m with m lognormal of mean 1 and coefficient of variation ``cv``
    (σ² = ln(1 + cv²)); the delay Δ = L·(m − 1) pushes min(1, Δ/W) of evenly spread deliveries past
    the quarter end; early arrivals wait for their quarter."""
    dt = normals.dtype
    sigma = dt.type(np.sqrt(np.log1p(cv ** 2)))
    x = normals * sigma
    x -= dt.type(0.5) * sigma * sigma
    np.expm1(x, out=x)                                   # m − 1
    x *= (lead_time_weeks / period_weeks).astype(dt)[:, None]
    return np.clip(x, 0.0, 1.0, out=x)


# ---------------------------------------------------------------------------------------------
# the kernel


@dataclass
class KernelOutput:
    """What the kernel returns for ``n`` scenarios."""

    delivered: Array                # (P, D, n) racks delivered per quarter
    backlog: Array                  # (D, n) racks still owed at the end
    parts_owed: Array               # (K, n) part units ordered and not delivered by the end


KERNELS = ("auto", "numpy", "compiled")
"""Kernel choices: ``numpy`` (the vectorised reference), ``compiled`` (numba, the same numbers; see
:mod:`rackforge.resilience.mc_kernel`), ``auto`` (compiled when numba imports and the call has at
least :data:`COMPILED_MIN_UPDATES` updates)."""

COMPILED_MIN_UPDATES = 20_000_000
"""Smallest call (scenarios × quarters × parts [updates]) for which ``kernel="auto"`` uses the
compiled kernel: below it the NumPy kernel is done before numba has loaded (about 0.5 s)."""


def compiled_kernel_available() -> bool:
    """True when the compiled kernel can be used (numba imports)."""
    try:
        import rackforge.resilience.mc_kernel  # noqa: F401
    except ImportError:
        return False
    return True


def simulate(model: SimulationModel, capacity: Array, late: Array | None, carry_in: Array | None = None, *,
             dtype: Any = None, kernel: str = "numpy") -> KernelOutput:
    """Run the quarter-by-quarter build for every scenario column of ``capacity`` (P, S, n).

    ``late`` (P, K, n): share of each quarter's deliveries slipping to the next (None: none);
    ``carry_in`` (K, n): parts arriving in the first quarter from before the plan (default: the
    pipeline stock). Works in ``dtype`` (default: the dtype of ``capacity``; float64 or float32).
    ``kernel`` (one of :data:`KERNELS`): ``numpy`` processes the scenarios in slices of
    :data:`KERNEL_CHUNK` (see :func:`simulate_chunk`); ``compiled`` runs the numba loop of
    :mod:`rackforge.resilience.mc_kernel`, which gives the same numbers.
    """
    dt = np.dtype(dtype if dtype is not None else capacity.dtype)
    if dt.name not in EPS_RACKS:
        raise ValueError(f"the kernel works in float64 or float32, not {dt.name}")
    if kernel not in KERNELS:
        raise ValueError(f"kernel must be one of {', '.join(KERNELS)}")
    capacity = capacity.astype(dt, copy=False)
    late = None if late is None else late.astype(dt, copy=False)
    n = capacity.shape[2]
    if carry_in is None:
        carry_in = np.repeat(model.pipeline_units[:, None], n, axis=1)
    carry_in = carry_in.astype(dt, copy=False)
    periods, n_designs, n_parts, _ = model.shape
    if kernel == "auto":
        large = n * periods * n_parts >= COMPILED_MIN_UPDATES
        kernel = "compiled" if large and compiled_kernel_available() else "numpy"
    if kernel == "compiled":
        from rackforge.resilience.mc_kernel import simulate_compiled

        return simulate_compiled(model, capacity, late, carry_in, EPS_RACKS[dt.name])
    out = KernelOutput(np.empty((periods, n_designs, n), dt), np.empty((n_designs, n), dt),
                       np.empty((n_parts, n), dt))
    consts = _KernelConstants.of(model, dt)
    for a in range(0, n, KERNEL_CHUNK):
        b = min(n, a + KERNEL_CHUNK)
        part = simulate_chunk(consts, capacity[:, :, a:b], None if late is None else late[:, :, a:b],
                              carry_in[:, a:b])
        out.delivered[:, :, a:b] = part.delivered
        out.backlog[:, a:b] = part.backlog
        out.parts_owed[:, a:b] = part.parts_owed
    return out


@dataclass(frozen=True)
class _Group:
    """Parts ``k0:k1`` that each have ``alternates`` sources, which are sources ``s0:s1``."""

    k0: int
    k1: int
    alternates: int
    s0: int
    s1: int
    share: Array            # (P, k1 - k0, alternates)


@dataclass(frozen=True)
class _UseClass:
    """Parts ``k0:k1`` (in allocation order) used by exactly the designs ``designs``."""

    k0: int
    k1: int
    designs: tuple[int, ...]
    qty: dict[int, Array]   # design -> (k1 - k0, 1) units per rack


@dataclass(frozen=True)
class _KernelConstants:
    """Arrays the kernel reuses, prepared once per model.

    Supply runs in the model's part order (grouped by number of sources); builds run in
    *allocation order*, parts grouped by the set of designs that use them, so that every
    per-design step works on contiguous slices instead of gathered rows.
    """

    model: SimulationModel
    dtype: Any
    eps: float
    need: Array
    plan: Array
    groups: tuple[_Group, ...]
    to_alloc: Array                 # allocation order -> model part index
    identity_order: bool
    bom_alloc: Array                # (K, D) units per rack, allocation order
    classes: tuple[_UseClass, ...]
    order: tuple[int, ...]
    design_classes: tuple[tuple[_UseClass, ...], ...]

    @classmethod
    def of(cls, model: SimulationModel, dtype: Any = np.float64) -> _KernelConstants:
        n_designs = len(model.designs)
        used = model.bom > 0                                            # (D, K)
        key = [tuple(int(d) for d in np.flatnonzero(used[:, k])) for k in range(len(model.parts))]
        to_alloc = np.array(sorted(range(len(model.parts)), key=lambda k: (key[k], k)), dtype=np.intp)
        bom_alloc = np.ascontiguousarray(model.bom.T[to_alloc])
        classes = []
        k0 = 0
        while k0 < len(to_alloc):
            k1 = k0
            while k1 < len(to_alloc) and key[to_alloc[k1]] == key[to_alloc[k0]]:
                k1 += 1
            designs = key[to_alloc[k0]]
            classes.append(_UseClass(k0, k1, designs, {d: bom_alloc[k0:k1, d:d + 1].copy() for d in designs}))
            k0 = k1
        order = model.priority or tuple(range(n_designs))
        dt = np.dtype(dtype)
        used_classes = tuple(
            _UseClass(c.k0, c.k1, c.designs, {d: q.astype(dt) for d, q in c.qty.items()}) for c in classes if c.designs)
        return cls(model, dt, EPS_RACKS[dt.name], model.need.astype(dt), model.plan.astype(dt),
                   _groups(model, dt), to_alloc, bool(np.all(to_alloc == np.arange(len(to_alloc)))),
                   bom_alloc.astype(dt), used_classes, tuple(order),
                   tuple(tuple(c for c in used_classes if d in c.designs) for d in range(n_designs)))


def _groups(model: SimulationModel, dtype: Any = np.float64) -> tuple[_Group, ...]:
    """Runs of consecutive parts with the same number of sources (constructors order parts by
    their number of sources, so there are few runs)."""
    n_parts = len(model.parts)
    counts = np.diff(np.append(model.part_starts, len(model.sources)))
    groups = []
    k0 = 0
    while k0 < n_parts:
        k1 = k0
        while k1 < n_parts and counts[k1] == counts[k0]:
            k1 += 1
        a = int(counts[k0])
        s0, s1 = int(model.part_starts[k0]), int(model.part_starts[k0]) + a * (k1 - k0)
        share = model.share[:, s0:s1].reshape(len(model.quarters), k1 - k0, a).astype(dtype)
        groups.append(_Group(k0, k1, a, s0, s1, share))
        k0 = k1
    return tuple(groups)


def simulate_chunk(c: _KernelConstants, capacity: Array, late: Array | None, carry_in: Array) -> KernelOutput:
    """The vectorised kernel over one slice of scenarios.

    Arrays are (item, scenario), so every operation runs along contiguous rows; work buffers are
    allocated once per slice and reused every quarter. Parts are processed in groups with the same
    number of sources, so a source's share and capacity line up without gathers. Single-source
    parts need only ``supply = min(capacity, wanted)`` (the alternate term is zero for them).
    Arrivals are ``(supply − slipped) + carry``; inventory is kept in allocation order (see
    :class:`_KernelConstants`). ``capacity`` and ``late`` must have the constants' dtype.
    """
    m = c.model
    dt = c.dtype
    periods, n_designs, n_parts, n_sources = m.shape
    n = capacity.shape[2]
    response = dt.type(m.alternate_response)
    keep = dt.type(1.0) - response

    def buffer(rows: int, fill: Array | float | None = None) -> Array:
        out = np.empty((rows, n), dtype=dt)
        if fill is not None:
            out[:] = fill
        return out

    inv = buffer(n_parts, m.stock_units[c.to_alloc, None])
    carry = buffer(n_parts, carry_in)
    owed = buffer(n_parts, 0.0)
    want, supply, spare, scratch, spent = (buffer(n_parts) for _ in range(5))
    orders = buffer(n_sources)
    rack_stock = buffer(n_designs, m.rack_stock[:, None])
    backlog = buffer(n_designs, 0.0)
    from_stock, remaining = buffer(n_designs), buffer(n_designs)
    delivered = np.empty((periods, n_designs, n), dtype=dt)
    for t in range(periods):
        # orders and supply, with alternates
        np.add(owed, c.need[t][:, None], out=want)
        for g in c.groups:
            cap = capacity[t, g.s0:g.s1]
            w = want[g.k0:g.k1]
            got = supply[g.k0:g.k1]
            if g.alternates == 1:
                np.minimum(cap, w, out=got)
                continue
            kg, a = g.k1 - g.k0, g.alternates
            cap3 = cap.reshape(kg, a, n)
            o3 = orders[g.s0:g.s1].reshape(kg, a, n)
            np.multiply(w[:, None, :], g.share[t][:, :, None], out=o3)
            np.minimum(cap3, o3, out=o3)
            np.add(o3[:, 0], o3[:, 1], out=got)
            total = spare[g.k0:g.k1]
            np.add(cap3[:, 0], cap3[:, 1], out=total)
            for j in range(2, a):
                got += o3[:, j]
                total += cap3[:, j]
            # got + min(w − got, r·(total − got)) = min(w, (1 − r)·got + r·total)
            total *= response
            got *= keep
            got += total
            np.minimum(got, w, out=got)
        np.subtract(want, supply, out=owed)
        # arrivals: what is not slipped, plus last quarter's slips
        if late is not None:
            np.multiply(supply, late[t], out=scratch)
            np.subtract(supply, scratch, out=spare)
            spare += carry
            carry, scratch = scratch, carry
            arrive = spare
        else:
            arrive = supply
            if t == 0:
                arrive += carry
                carry[:] = 0.0
        if c.identity_order:
            inv += arrive
        else:
            np.take(arrive, c.to_alloc, axis=0, out=want)
            inv += want
        # builds: finished racks first, then parts
        np.add(backlog, c.plan[t][:, None], out=remaining)
        np.minimum(remaining, rack_stock, out=from_stock)
        rack_stock -= from_stock
        remaining -= from_stock
        built, inv, spent = _allocate(c, inv, remaining, want, spent)
        np.add(built, from_stock, out=delivered[t])
        np.subtract(remaining, built, out=backlog)
    return KernelOutput(delivered, backlog, owed + carry)


def _allocate(c: _KernelConstants, inv: Array, demand: Array, wanted: Array, spare: Array
              ) -> tuple[Array, Array, Array]:
    """Whole racks built per design (D, n) from ``inv`` (allocation order) up to ``demand``.

    Returns (built, inventory after the builds, a free (K, n) buffer); ``wanted`` and ``spare`` are
    (K, n) work buffers. The fill of each part is parts on hand / parts the demand needs; a design's
    fill is the lowest over its parts (at most 1). Where every design with demand has fill 1 the whole
    demand is built (both rules give that); otherwise the rule decides.
    """
    m = c.model
    dt = c.dtype
    eps = dt.type(c.eps)
    np.matmul(c.bom_alloc, demand, out=wanted)
    # wanted is a whole number; where it is 0 no design using the part has demand left, so any
    # finite fill gives the same builds: divide by 0.5 there instead of branching
    np.maximum(wanted, 0.5, out=spare)
    np.divide(inv, spare, out=spare)
    fill = np.ones_like(demand)
    for cl in c.classes:
        lowest = spare[cl.k0:cl.k1].min(axis=0)
        for d in cl.designs:
            np.minimum(fill[d], lowest, out=fill[d])
    if not ((fill < 1.0) & (demand > 0)).any():
        inv -= wanted
        return demand.copy(), inv, spare
    if m.allocation == "proportional":
        built = demand * fill
        built += eps
        np.floor(built, out=built)
        inv -= c.bom_alloc @ built
    else:
        built = np.zeros_like(demand)
    for d in c.order:
        left = demand[d] - built[d]
        if left.max() <= 0:
            continue
        mine = c.design_classes[d]
        possible = np.full(demand.shape[1], np.inf, dtype=dt)
        for cl in mine:
            np.minimum(possible, (inv[cl.k0:cl.k1] / cl.qty[d]).min(axis=0), out=possible)
        extra = np.minimum(left, possible)
        extra += eps
        np.floor(extra, out=extra)
        np.maximum(extra, 0.0, out=extra)
        if extra.max() <= 0:
            continue
        for cl in mine:
            inv[cl.k0:cl.k1] -= cl.qty[d] * extra
        built[d] += extra
    return built, inv, spare


# ---------------------------------------------------------------------------------------------
# runs and results (reduced on the fly: rackforge.resilience.mc_results)


PRECISIONS = {"single": np.float32, "double": np.float64}
"""Kernel precision: ``single`` (float32, ~7 significant digits, about twice as fast) or ``double``."""

MEMORY_BUDGET_BYTES = MONTE_CARLO_MEMORY_BUDGET_BYTES
"""Default working memory of a run's chunk (sampling, kernel, reduction) [bytes]: 128 MiB. The
results themselves take a fixed few MB more (histograms), whatever the number of scenarios."""


def bytes_per_scenario(model: SimulationModel, dtype: Any = np.float32) -> int:
    """Working memory one scenario of a chunk takes at the peak of sampling, kernel and reduction
    [bytes], an upper estimate counted from the arrays they hold at once: P·S capacities with one
    float64 temporary of their size (event factors), (P+1)·K normals and late shares, the uniforms,
    the kernel's (P, D) output and (K, n) buffers, and the reduction's int64 copies. On the
    reference programme it is 30 kB against about 15 kB measured."""
    periods, n_designs, n_parts, n_sources = model.shape
    item = np.dtype(dtype).itemsize
    n_events = len(model.events)
    sampling = 6 * 8 * n_events + periods * n_sources * (item + 8) + 3 * 4 * (periods + 1) * n_parts
    kernel = periods * n_designs * item + (n_designs + 8 * n_parts + n_sources) * item
    reduction = 3 * 8 * periods * n_designs + 3 * 8 * n_parts + 8 * (n_designs + 3 * n_events)
    return int(sampling + kernel + reduction) + 64


def chunk_scenarios(model: SimulationModel, memory_budget_bytes: int = MEMORY_BUDGET_BYTES,
                    dtype: Any = np.float32) -> int:
    """Scenarios per chunk that fit ``memory_budget_bytes``: a whole number of random-number blocks
    (at least one) [scenarios]."""
    fit = memory_budget_bytes // bytes_per_scenario(model, dtype)
    return int(max(1, fit // BLOCK) * BLOCK)


def run(model: SimulationModel, scenarios: int, seed: int = 0, *, chunk: int | None = None,
        memory_budget_bytes: int = MEMORY_BUDGET_BYTES, precision: str = "single",
        progress: Callable[[int], None] | None = None, keep_scenarios: bool = False,
        kernel: str = "auto") -> MonteCarloResult:
    """Simulate ``scenarios`` scenarios chunk by chunk, reducing each chunk's results on the fly.

    Chunks hold :func:`chunk_scenarios` scenarios for ``memory_budget_bytes`` [bytes], or ``chunk``
    scenarios rounded up to whole blocks of :data:`BLOCK` when given; results do not depend on either.
    ``keep_scenarios``: also keep every scenario's end figures (``result.detail``; memory grows with
    the number of scenarios). ``kernel``: one of :data:`KERNELS`; ``auto`` runs the compiled kernel
    when numba imports and the run has at least :data:`COMPILED_MIN_UPDATES` updates (both kernels
    give the same numbers)."""
    if scenarios < 1:
        raise ValueError("scenarios must be ≥ 1")
    if chunk is not None and chunk < 1:
        raise ValueError("chunk must be ≥ 1")
    if memory_budget_bytes < 1:
        raise ValueError("memory_budget_bytes must be ≥ 1")
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}")
    if kernel not in KERNELS:
        raise ValueError(f"kernel must be one of {', '.join(KERNELS)}")
    dtype = PRECISIONS[precision]
    if kernel == "auto":
        periods, _, n_parts, _ = model.shape
        large = scenarios * periods * n_parts >= COMPILED_MIN_UPDATES
        kernel = "compiled" if large and compiled_kernel_available() else "numpy"
    step = -(-chunk // BLOCK) * BLOCK if chunk is not None else chunk_scenarios(model, memory_budget_bytes, dtype)
    acc = Accumulator(model, BLOCK, keep_scenarios)
    task_map = current_task_map()
    if not is_distributed(task_map):
        _reduce_range(model, seed, 0, scenarios, step, dtype, kernel, acc, progress)
        return acc.result(scenarios, seed)
    pieces = split_evenly(scenarios, task_count(scenarios, task_map.workers), BLOCK)
    settings = _RangeSettings(model, seed, step, np.dtype(dtype).name, kernel, keep_scenarios)
    for (_, n), part in zip(pieces, task_map.map_ordered(simulate_range, pieces, shared=settings), strict=True):
        acc.merge(part)
        if progress is not None:
            progress(n)
    return acc.result(scenarios, seed)


TASK_BLOCKS = 64
"""Most random-number blocks one cluster task simulates [blocks] (65,536 scenarios: about a second of
work, so a lost worker costs little and the workers stay balanced)."""


def task_count(scenarios: int, workers: int) -> int:
    """Cluster tasks for a run of ``scenarios``: pieces of at most :data:`TASK_BLOCKS` blocks, and at
    least four per worker while there are blocks enough [tasks]."""
    blocks = -(-scenarios // BLOCK)
    return max(-(-blocks // TASK_BLOCKS), min(blocks, 4 * workers))


@dataclass(frozen=True)
class _RangeSettings:
    """What every piece of a run shares (sent once to each worker)."""

    model: SimulationModel
    seed: int
    step: int
    dtype: str
    kernel: str
    keep_scenarios: bool


def simulate_range(settings: _RangeSettings, piece: tuple[int, int]) -> Accumulator:
    """Scenarios ``first .. first + n − 1`` of a run (``piece`` = (first, n), first on a block boundary)
    reduced into a partial :class:`Accumulator`, to be merged in block order (a cluster task)."""
    first, n = piece
    acc = Accumulator(settings.model, BLOCK, settings.keep_scenarios, partial=True)
    _reduce_range(settings.model, settings.seed, first, n, settings.step, np.dtype(settings.dtype), settings.kernel,
                  acc, None)
    return acc


def _reduce_range(model: SimulationModel, seed: int, first: int, n: int, step: int, dtype: Any, kernel: str,
                  acc: Accumulator, progress: Callable[[int], None] | None) -> None:
    """Sample, simulate and reduce scenarios ``first .. first + n − 1`` into ``acc``, ``step`` at a time."""
    for start in range(first, first + n, step):
        take = min(step, first + n - start)
        s = sample(model, seed, start, take, dtype=dtype)
        acc.add(s, simulate(model, s.capacity, s.late, s.carry_in, kernel=kernel))
        del s
        if progress is not None:
            progress(take)


# ---------------------------------------------------------------------------------------------
# from a programme: parts and sources, shares and capacities, BOM and plan, stock, events
#
# Every supply figure comes from rackforge.core through rackforge.resilience.network (may ship,
# order shares, lead times to the integration site, landed part costs, rack component costs), so
# the Monte Carlo values a rack and splits an order exactly as the BOM, the TCO and the optimiser do.


@dataclass(frozen=True)
class _ModelSources:
    """The model's parts and source rows (see :func:`_parts_and_sources`)."""

    parts: tuple[str, ...]
    ids: tuple[str, ...]            # (S,) "part@site"
    view_row: Array                 # (S,) row of the programme's supply view; −1 for a placeholder
    source_part: Array              # (S,) part index of each source
    part_starts: Array              # (K,) first source of each part
    warnings: tuple[str, ...]


@dataclass(frozen=True)
class _SourceFigures:
    """Per-source and per-part supply figures of the model (see :func:`_shares_and_capacities`)."""

    capacity_per_quarter: Array     # (S,) [units/quarter]
    start_weeks: Array              # (S,) weeks from plan start until the source may ship
    may_ship: Array                 # (P, S) may ship on the quarter's first day
    share: Array                    # (P, S) order share per quarter
    lead_time_weeks: Array          # (K,) order to integration site


def _parts_and_sources(programme: Programme, structure: BomStructure, designs: Sequence[str]) -> _ModelSources:
    """The parts the planned ``designs`` contain and the sources the Monte Carlo draws on.

    Parts are ordered by their number of sources, then by id (the kernel handles runs of parts
    with as many sources as one block). A part's sources are the rows of the programme's supply
    view (:func:`rackforge.core.supply.supply_view`, programme order) that ever may ship under the
    plan's expectation; a part with none gets one zero-capacity placeholder ``part@(none)`` (and a
    warning), so its racks can be built only from stock.
    """
    view = supply_view(programme)
    rows = [structure.design_index[d] for d in designs]
    used = [structure.part_ids[k] for k in np.flatnonzero(structure.quantity_per_rack[rows].any(axis=0))]
    ever_ships = view.may_ship_on(dt.date.max, SourceMode.ALTERNATES)
    rows_of = {p: np.flatnonzero((view.source_part == view.part_index[p]) & ever_ships) for p in used}
    parts = tuple(sorted(used, key=lambda p: (max(1, len(rows_of[p])), p)))
    ids: list[str] = []
    view_row: list[int] = []
    source_part: list[int] = []
    part_starts: list[int] = []
    warnings: list[str] = []
    for k, part in enumerate(parts):
        part_starts.append(len(ids))
        found = rows_of[part].tolist() or [-1]
        if found == [-1]:
            warnings.append(f"part {part} has no source that ever ships: racks that need it are built from "
                            "stock only")
        for row in found:
            ids.append(f"{part}@{view.site[row] if row >= 0 else '(none)'}")
            view_row.append(row)
            source_part.append(k)
    return _ModelSources(parts, tuple(ids), np.array(view_row, dtype=np.intp), np.array(source_part, dtype=np.intp),
                         np.array(part_starts, dtype=np.intp), tuple(warnings))


def _shares_and_capacities(programme: Programme, src: _ModelSources, quarters: Sequence[str]) -> _SourceFigures:
    """Capacities, start dates, order shares and lead times of the model's sources and parts.

    - capacity: the source's ``capacity_per_quarter`` (0 for a placeholder);
    - start: weeks from the plan's first day until the source may ship (−inf: it already may;
      +inf: never), from the supply view's first shipping date;
    - order shares per quarter: :meth:`SupplyView.order_shares` with alternates on the quarter's first
      day (planned shares kept, sources without one split the rest, over the sources that may ship
      then), read at the model's rows; ``may_ship`` records which sources counted;
    - part lead time: :func:`~rackforge.resilience.network.part_lead_times_weeks` (order to arrival
      at the integration site, the lane's transit included).
    """
    view = supply_view(programme)
    real = src.view_row >= 0
    rows = src.view_row[real]
    capacity = np.zeros(len(src.ids))
    capacity[real] = view.capacity_per_quarter[rows]
    start_weeks = np.full(len(src.ids), np.inf)
    begins = view.qualified_from[rows]
    first_day = plan_start(programme).toordinal()
    start_weeks[real] = np.where(begins <= first_day, -np.inf, (begins - first_day) / 7.0)
    may_ship = np.zeros((len(quarters), len(src.ids)), dtype=bool)
    share = np.zeros((len(quarters), len(src.ids)))
    for t, quarter in enumerate(quarters):
        when = quarter_start(quarter)
        may_ship[t, real] = view.may_ship_on(when, SourceMode.ALTERNATES)[rows]
        share[t, real] = view.order_shares(when, SourceMode.ALTERNATES)[rows]
    lead = part_lead_times_weeks(programme)
    return _SourceFigures(capacity, start_weeks, may_ship, share, np.array([lead[p] for p in src.parts]))


def _bom_and_plan(structure: BomStructure, build_plan: BuildPlan, designs: Sequence[str],
                  parts: Sequence[str]) -> tuple[Array, Array]:
    """Racks planned per quarter and design (P, D) and units of each part per rack (D, K), from the
    one bill-of-materials explosion (:class:`rackforge.core.bom.BomStructure`)."""
    rows = [structure.design_index[d] for d in designs]
    columns = [structure.part_index[p] for p in parts]
    plan = racks_by_quarter(structure, build_plan)[:, rows].astype(float)
    bom = structure.quantity_per_rack[np.ix_(rows, columns)].astype(float)
    return plan, bom


def _stock(programme: Programme, library: ScenarioLibrary, parts: Sequence[str],
           designs: Sequence[str]) -> tuple[Array, Array, Array]:
    """Stock at plan start: parts on hand (K,) and in the pipeline (K,), finished racks (D,) [units].

    Part stock: the library's entries for parts plus, exploded into their parts, its entries for
    assemblies; parts without an entry get :func:`~rackforge.resilience.network.default_part_stock`.
    Pipeline units arrive in the first quarter.
    """
    catalog = programme.catalog
    part_index = {p: k for k, p in enumerate(parts)}
    stock = np.zeros(len(parts))
    pipeline = np.zeros(len(parts))
    rack_stock = np.zeros(len(designs))
    for part, units in default_part_stock(programme, library).items():
        if part in part_index:
            stock[part_index[part]] += units
    for entry in library.stock:
        if entry.ref in part_index:
            stock[part_index[entry.ref]] += entry.on_hand_units
            pipeline[part_index[entry.ref]] += entry.pipeline_units
        elif entry.ref in designs:
            rack_stock[list(designs).index(entry.ref)] += entry.total_units
        elif entry.ref in catalog.assemblies:
            for p, q in explode(catalog, entry.ref).items():
                if p in part_index:
                    stock[part_index[p]] += q * entry.on_hand_units
                    pipeline[part_index[p]] += q * entry.pipeline_units
    return stock, pipeline, rack_stock


def _events(programme: Programme, library: ScenarioLibrary, src: _ModelSources,
            horizon_weeks: float) -> tuple[tuple[EventSpec, ...], list[str]]:
    """The library's events resolved to the model's sources: each event hits the sources whose part,
    site, supplier, country, region and category it ``affects`` (placeholders are never hit), with
    its probability over the plan's horizon. Warns of events that hit no source."""
    view = supply_view(programme)
    catalog = programme.catalog
    located = [(i, src.parts[src.source_part[i]], str(view.site[row]), str(view.supplier[row]),
                str(view.country[row])) for i, row in enumerate(src.view_row) if row >= 0]
    events: list[EventSpec] = []
    warnings: list[str] = []
    for ev in library.events:
        hit = tuple(i for i, part, site, supplier, country in located
                    if ev.affects.matches(part=part, site=site, supplier=supplier, country=country,
                                          region=catalog.sites[site].region,
                                          category=catalog.parts[part].category.value))
        if not hit:
            warnings.append(f"event {ev.id} hits no source of the planned designs")
        span = ev.duration
        events.append(EventSpec(ev.id, ev.name, ev.kind, ev.horizon_probability(horizon_weeks),
                                span.low_weeks, span.mode_weeks, span.high_weeks, ev.capacity_factor, hit))
    return tuple(events), warnings


def simulation_model(programme: Programme, library: ScenarioLibrary | None = None) -> SimulationModel:
    """The Monte Carlo inputs of a programme: the designs with racks in the plan, their parts and
    sources (:func:`_parts_and_sources`), capacities, order shares and lead times
    (:func:`_shares_and_capacities`), bills of materials and plan (:func:`_bom_and_plan`), stock
    (:func:`_stock`) and events (:func:`_events`); racks valued by
    :func:`~rackforge.resilience.network.rack_value_usd` and parts by
    :func:`~rackforge.resilience.network.part_values_usd`."""
    from rackforge.io.validate import build_plan_problems, raise_if
    from rackforge.resilience.scenarios import require_valid_scenarios

    lib = library if library is not None else require_valid_scenarios(programme)
    plan = programme.build_plan
    quarters = tuple(plan.quarter_list)
    designs = tuple(d for d in plan.designs if sum(plan.racks(d).values()) > 0)
    if not designs:
        raise_if(list(build_plan_problems(programme)))
    structure = BomStructure.from_catalog(programme.catalog, plan.designs)
    src = _parts_and_sources(programme, structure, designs)
    figures = _shares_and_capacities(programme, src, quarters)
    plan_arr, bom = _bom_and_plan(structure, plan, designs, src.parts)
    stock, pipeline, rack_stock = _stock(programme, lib, src.parts, designs)
    events, event_warnings = _events(programme, lib, src, len(quarters) * WEEKS_PER_QUARTER)
    part_value = part_values_usd(programme)
    priority = tuple(designs.index(d) for d in lib.priority if d in designs)
    priority += tuple(i for i in range(len(designs)) if i not in priority)
    return SimulationModel(
        quarters=quarters, designs=designs, parts=src.parts, sources=src.ids, source_part=src.source_part,
        part_starts=src.part_starts, capacity_per_quarter=figures.capacity_per_quarter,
        start_weeks=figures.start_weeks, share=figures.share, plan=plan_arr, bom=bom, stock_units=stock,
        pipeline_units=pipeline, rack_stock=rack_stock, lead_time_weeks=figures.lead_time_weeks,
        rack_value_usd=np.array([rack_value_usd(programme, d, lib) for d in designs]),
        part_price_usd=np.array([part_value[p] for p in src.parts]),
        events=events, lead_time_cv=lib.lead_time.cv if lib.lead_time is not None else 0.0,
        alternate_response=lib.alternate_response, allocation=lib.allocation, priority=priority,
        warnings=(*src.warnings, *event_warnings), may_ship=figures.may_ship)


def simulate_programme(programme: Programme, scenarios: int = 10_000, seed: int = 0, *, chunk: int | None = None,
                       memory_budget_bytes: int = MEMORY_BUDGET_BYTES, precision: str = "single",
                       progress: Callable[[int], None] | None = None) -> MonteCarloResult:
    """Monte Carlo of a programme's build plan under its scenario library (see :func:`run`)."""
    return run(simulation_model(programme), scenarios, seed, chunk=chunk, memory_budget_bytes=memory_budget_bytes,
               precision=precision, progress=progress)


@dataclass(frozen=True)
class ShortfallEstimate:
    """Expected shortfall of a sourcing mix (for the sourcing optimiser)."""

    expected_racks_short: dict[str, float]
    expected_value_short_usd: float
    value_at_risk_95_usd: float
    probability_of_shortfall: float
    scenarios: int
    seed: int


def expected_shortfall(programme: Programme | None, shares: Mapping[str, float] | None = None, *,
                       scenarios: int = 2000, seed: int = 0,
                       model: SimulationModel | None = None) -> ShortfallEstimate:
    """Expected racks and value short at the end of the plan for a sourcing mix.

    ``shares`` maps ``"part@site"`` to a planned share; parts it names take their split from it
    (their unnamed sources get 0), other parts keep the programme's shares. Runs with the same
    ``seed`` share their random numbers (common random numbers), so two mixes are compared on the
    same disruptions. Pass ``model`` (from :func:`simulation_model`) to avoid rebuilding it (then
    ``programme`` may be None).
    """
    if model is None and programme is None:
        raise ValueError("expected_shortfall needs a programme or a model")
    base = model if model is not None else simulation_model(programme)  # type: ignore[arg-type]
    m = base.with_shares(shares) if shares else base
    result = run(m, scenarios, seed, precision="double")
    summary = result.summary()
    return ShortfallEstimate(summary["expected_racks_short"], summary["expected_value_short_usd"],
                             summary["value_at_risk_95_usd"], summary["probability_of_shortfall"], scenarios, seed)


def source_indices(model: SimulationModel, keys: Sequence[str]) -> list[int]:
    """Indices of sources by ``part@site`` key."""
    index = {s: i for i, s in enumerate(model.sources)}
    return [index[k] for k in keys]


def synthetic_model(seed: int = 0, *, designs: int = 2, parts: int = 12, sources_per_part: tuple[int, int] = (1, 3),
                    quarters: int = 6, events: int = 3, lead_time_cv: float = 0.3,
                    allocation: Literal["proportional", "priority"] = "proportional",
                    shared_parts: float = 0.5, capacity_margin: float = 1.0,
                    event_probability: tuple[float, float] = (0.05, 0.6)) -> SimulationModel:
    """A random programme for tests and benchmarks: designs sharing some parts, sources with random
    capacities (about ``capacity_margin`` × the peak quarterly need of each part in total; some start
    late), stock, and outage and ramp-delay events."""
    rng = np.random.default_rng(seed)
    bom = np.zeros((designs, parts))
    for k in range(parts):
        users = rng.random(designs) < shared_parts
        users[k % designs if k < designs else rng.integers(designs)] = True  # every design uses a part
        bom[users, k] = rng.integers(1, 37, size=int(users.sum()))
    plan = rng.integers(0, 12, size=(quarters, designs)).astype(float)
    need = plan @ bom
    source_part: list[int] = []
    capacity: list[float] = []
    start: list[float] = []
    raw_share: list[float] = []
    part_starts: list[int] = []
    counts = np.sort(rng.integers(sources_per_part[0], sources_per_part[1] + 1, size=parts))
    for k in range(parts):
        part_starts.append(len(source_part))
        n_src = int(counts[k])
        peak_need = float(need[:, k].max())
        for j in range(n_src):
            source_part.append(k)
            capacity.append(capacity_margin * float(rng.uniform(1.0, 1.3)) * peak_need / max(1, n_src - 1))
            late_start = j > 0 and rng.random() < 0.3  # the first source of a part ships from the start
            start.append(float(rng.uniform(0, quarters * WEEKS_PER_QUARTER)) if late_start else -np.inf)
            raw_share.append(float(rng.random()) if rng.random() < 0.7 else np.nan)
    sp = np.array(source_part, dtype=np.intp)
    cap = np.array(capacity)
    st = np.array(start)
    may_ship = st[None, :] <= (np.arange(quarters) * WEEKS_PER_QUARTER)[:, None]
    evs = []
    for e in range(events):
        low = float(rng.uniform(1, 20))
        mode = low + float(rng.uniform(0, 10))
        high = mode + float(rng.uniform(0, 20))
        hit = tuple(int(i) for i in np.flatnonzero(rng.random(len(sp)) < 0.3))
        evs.append(EventSpec(f"e{e}", f"event {e}", "ramp_delay" if e % 3 == 2 else "outage",
                             float(rng.uniform(*event_probability)), low, mode, high, float(rng.uniform(0, 0.5)),
                             hit))
    order = tuple(int(i) for i in rng.permutation(designs))
    return SimulationModel(
        quarters=tuple(f"{2027 + t // 4}Q{t % 4 + 1}" for t in range(quarters)),
        designs=tuple(f"d{d}" for d in range(designs)), parts=tuple(f"p{k}" for k in range(parts)),
        sources=tuple(f"p{sp[i]}@s{i}" for i in range(len(sp))), source_part=sp,
        part_starts=np.array(part_starts, dtype=np.intp), capacity_per_quarter=cap, start_weeks=st,
        share=order_shares_by_quarter(sp, np.array(raw_share), may_ship, parts), plan=plan, bom=bom,
        stock_units=rng.uniform(0, 0.5, parts) * need.mean(axis=0),
        pipeline_units=rng.uniform(0, 0.3, parts) * need.mean(axis=0),
        rack_stock=rng.integers(0, 3, designs).astype(float), lead_time_weeks=rng.uniform(2, 30, parts),
        rack_value_usd=rng.uniform(1e5, 4e6, designs), part_price_usd=rng.uniform(10, 4e4, parts),
        events=tuple(evs), lead_time_cv=lead_time_cv, alternate_response=float(rng.uniform(0, 1)),
        allocation=allocation, priority=order, may_ship=may_ship)
