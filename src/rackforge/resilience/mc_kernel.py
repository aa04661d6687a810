"""The Monte Carlo kernel compiled with numba: one fused loop per scenario, no temporaries.

The same rules, and the same floating-point operations in the same order and precision, as the
NumPy kernel :func:`rackforge.resilience.montecarlo.simulate_chunk` (the reference): every figure is
equal bit for bit (tests check it). Importing this module imports numba (an ImportError when it is
not installed); :func:`rackforge.resilience.montecarlo.simulate` uses it when it imports and the run
is large enough to repay loading it. The first use compiles the loop (a few seconds; cached on disk
for later processes).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numba
import numpy as np

if TYPE_CHECKING:
    from rackforge.resilience.montecarlo import KernelOutput, SimulationModel

Array = np.ndarray


def simulate_compiled(model: SimulationModel, capacity: Array, late: Array | None, carry_in: Array,
                      eps: float) -> KernelOutput:
    """Run the build for every scenario column of ``capacity`` (P, S, n) with the compiled loop;
    ``late`` (P, K, n) or None and ``carry_in`` (K, n) in the dtype of ``capacity`` (float32 or
    float64), as :func:`rackforge.resilience.montecarlo.simulate`; ``eps``: the rounding tolerance
    [racks]."""
    from rackforge.resilience.montecarlo import KernelOutput

    dt = capacity.dtype
    periods, n_designs, n_parts, _ = model.shape
    n = capacity.shape[2]
    order = np.array(model.priority or tuple(range(n_designs)), dtype=np.int64)
    counts = np.diff(np.append(model.part_starts, len(model.sources))).astype(np.int64)
    response = dt.type(model.alternate_response)
    keep = dt.type(1.0) - response                      # as the NumPy kernel: 1 − r in the dtype
    scalars = np.array([response, keep, eps, 0.0, 1.0, 0.5, np.inf], dtype=dt)
    used = model.bom > 0
    parts_of = np.concatenate([np.flatnonzero(used[d]) for d in range(n_designs)]).astype(np.int64)
    parts_start = np.concatenate([[0], np.cumsum(used.sum(axis=1))]).astype(np.int64)
    users = np.concatenate([np.flatnonzero(used[:, k]) for k in range(n_parts)]).astype(np.int64)
    users_start = np.concatenate([[0], np.cumsum(used.sum(axis=0))]).astype(np.int64)
    delivered = np.empty((periods, n_designs, n), dtype=dt)
    backlog = np.empty((n_designs, n), dtype=dt)
    owed = np.empty((n_parts, n), dtype=dt)
    no_late = np.zeros((periods, n_parts, 1), dtype=dt)
    width = min(n, _SLICE)
    out_delivered = np.empty((periods, n_designs, width), dtype=dt)
    out_backlog = np.empty((n_designs, width), dtype=dt)
    out_owed = np.empty((n_parts, width), dtype=dt)
    for a in range(0, n, _SLICE):
        b = min(n, a + _SLICE)
        _loop(np.ascontiguousarray(capacity[:, :, a:b]),
              no_late if late is None else np.ascontiguousarray(late[:, :, a:b]), late is not None,
              np.ascontiguousarray(carry_in[:, a:b], dtype=dt), model.need.astype(dt), model.share.astype(dt),
              model.plan.astype(dt), model.bom.astype(dt), model.stock_units.astype(dt),
              model.rack_stock.astype(dt), model.part_starts.astype(np.int64), counts, order,
              model.allocation == "proportional", parts_of, parts_start, users, users_start, scalars,
              out_delivered[:, :, :b - a], out_backlog[:, :b - a], out_owed[:, :b - a])
        delivered[:, :, a:b] = out_delivered[:, :, :b - a]
        backlog[:, a:b] = out_backlog[:, :b - a]
        owed[:, a:b] = out_owed[:, :b - a]
    return KernelOutput(delivered, backlog, owed)


_SLICE = 1024
"""Scenarios the compiled loop works on at once (its (K, n) buffers stay in the CPU cache)."""


@numba.njit(cache=True, nogil=True)
def _loop(capacity: Array, late: Array, use_late: bool, carry_in: Array, need: Array, share: Array,
          plan: Array, bom: Array, stock: Array, rack_stock0: Array, part_starts: Array, counts: Array,
          order: Array, proportional: bool, parts_of: Array, parts_start: Array, users: Array, users_start: Array,
          scalars: Array, delivered: Array, backlog_out: Array, owed_out: Array) -> None:
    """Quarter by quarter, for a slice of scenarios (innermost, so the loops vectorise): supply with
    alternates, slips, inventory and builds, as :func:`rackforge.resilience.montecarlo.simulate_chunk`
    with the allocation rule decided per scenario (constants come in ``scalars`` so that every
    operation stays in the arrays' dtype)."""
    periods, _, n = capacity.shape
    n_designs, n_parts = bom.shape
    response, keep, eps, zero, one, half, infinity = (scalars[0], scalars[1], scalars[2], scalars[3],
                                                      scalars[4], scalars[5], scalars[6])
    dt = capacity.dtype
    inv = np.empty((n_parts, n), dtype=dt)
    carry = np.empty((n_parts, n), dtype=dt)
    owed = np.zeros((n_parts, n), dtype=dt)
    racks = np.empty((n_designs, n), dtype=dt)
    backlog = np.zeros((n_designs, n), dtype=dt)
    remaining = np.empty((n_designs, n), dtype=dt)
    from_stock = np.empty((n_designs, n), dtype=dt)
    fill = np.empty((n_designs, n), dtype=dt)
    built = np.empty((n_designs, n), dtype=dt)
    possible = np.empty(n, dtype=dt)
    supply = np.empty(n, dtype=dt)
    total = np.empty(n, dtype=dt)
    short = np.empty(n, dtype=np.bool_)
    for k in range(n_parts):
        for i in range(n):
            inv[k, i] = stock[k]
            carry[k, i] = carry_in[k, i]
    for d in range(n_designs):
        for i in range(n):
            racks[d, i] = rack_stock0[d]
    for t in range(periods):
        # orders and supply with alternates (per part, loops over scenarios innermost)
        for k in range(n_parts):
            s0 = part_starts[k]
            c = counts[k]
            nd = need[t, k]
            if c == 1:
                for i in range(n):
                    want = owed[k, i] + nd
                    cap = capacity[t, s0, i]
                    supply[i] = cap if cap < want else want
                    owed[k, i] = want
            else:
                sh0, sh1 = share[t, s0], share[t, s0 + 1]
                for i in range(n):
                    want = owed[k, i] + nd
                    cap0 = capacity[t, s0, i]
                    cap1 = capacity[t, s0 + 1, i]
                    o0 = want * sh0
                    o1 = want * sh1
                    supply[i] = (cap0 if cap0 < o0 else o0) + (cap1 if cap1 < o1 else o1)
                    total[i] = cap0 + cap1
                    owed[k, i] = want
                for j in range(2, c):
                    sh = share[t, s0 + j]
                    for i in range(n):
                        cap = capacity[t, s0 + j, i]
                        o = owed[k, i] * sh
                        supply[i] += cap if cap < o else o
                        total[i] += cap
                for i in range(n):
                    g = supply[i] * keep + total[i] * response
                    want = owed[k, i]
                    supply[i] = g if g < want else want
            # owed[k] holds what was wanted: keep what is still owed; slips; arrivals
            if use_late:
                for i in range(n):
                    owed[k, i] = owed[k, i] - supply[i]
                    slipped = supply[i] * late[t, k, i]
                    inv[k, i] += (supply[i] - slipped) + carry[k, i]
                    carry[k, i] = slipped
            elif t == 0:
                for i in range(n):
                    owed[k, i] = owed[k, i] - supply[i]
                    inv[k, i] += supply[i] + carry[k, i]
                    carry[k, i] = zero
            else:
                for i in range(n):
                    owed[k, i] = owed[k, i] - supply[i]
                    inv[k, i] += supply[i]
        # builds: finished racks first, then parts
        for d in range(n_designs):
            pd = plan[t, d]
            for i in range(n):
                r = backlog[d, i] + pd
                f = r if r < racks[d, i] else racks[d, i]
                racks[d, i] -= f
                from_stock[d, i] = f
                remaining[d, i] = r - f
                fill[d, i] = one
        for k in range(n_parts):
            u0, u1 = users_start[k], users_start[k + 1]
            for i in range(n):
                total[i] = zero
            for u in range(u0, u1):
                d = users[u]
                q = bom[d, k]
                for i in range(n):
                    total[i] += q * remaining[d, i]
            for i in range(n):
                w = total[i]
                total[i] = inv[k, i] / (w if w > half else half)
            for u in range(u0, u1):
                d = users[u]
                for i in range(n):
                    f = fill[d, i]
                    fill[d, i] = total[i] if total[i] < f else f
        for i in range(n):
            short[i] = False
        for d in range(n_designs):
            for i in range(n):
                short[i] = short[i] | ((fill[d, i] < one) & (remaining[d, i] > zero))
        any_short = False
        for i in range(n):
            any_short = any_short | short[i]
        # where no design is short every rack is built; else the rule: proportional shares first
        for d in range(n_designs):
            if proportional:
                for i in range(n):
                    share_built = np.floor(remaining[d, i] * fill[d, i] + eps)
                    built[d, i] = share_built if short[i] else remaining[d, i]
            else:
                for i in range(n):
                    built[d, i] = zero if short[i] else remaining[d, i]
        for k in range(n_parts):
            u0, u1 = users_start[k], users_start[k + 1]
            for i in range(n):
                total[i] = zero
            for u in range(u0, u1):
                d = users[u]
                q = bom[d, k]
                for i in range(n):
                    total[i] += q * built[d, i]
            for i in range(n):
                inv[k, i] -= total[i]
        # then leftovers design by design in priority order (short scenarios only)
        for d in order:
            if not any_short:
                break
            p0, p1 = parts_start[d], parts_start[d + 1]
            for i in range(n):
                possible[i] = infinity
            for p in range(p0, p1):
                k = parts_of[p]
                q = bom[d, k]
                for i in range(n):
                    x = inv[k, i] / q
                    p_i = possible[i]
                    possible[i] = x if x < p_i else p_i
            for i in range(n):
                left = remaining[d, i] - built[d, i]
                p_i = possible[i]
                extra = np.floor((left if left < p_i else p_i) + eps)
                extra = extra if extra > zero else zero
                extra = extra if short[i] & (left > zero) else zero
                possible[i] = extra
                built[d, i] += extra
            for p in range(p0, p1):
                k = parts_of[p]
                q = bom[d, k]
                for i in range(n):
                    inv[k, i] -= q * possible[i]          # extra ≥ 0; x − 0 is x exactly
        for d in range(n_designs):
            for i in range(n):
                delivered[t, d, i] = built[d, i] + from_stock[d, i]
                backlog[d, i] = remaining[d, i] - built[d, i]
    for d in range(n_designs):
        for i in range(n):
            backlog_out[d, i] = backlog[d, i]
    for k in range(n_parts):
        for i in range(n):
            owed_out[k, i] = owed[k, i] + carry[k, i]
