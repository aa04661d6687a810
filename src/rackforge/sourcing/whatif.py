"""What-if: move a part (or a share of it) to another site, and rank the parts to bring home.

A :class:`Move` says "site S supplies ``share`` of part P" (1.0 = all of it); the part's other
sources are scaled to the rest. If S has no source for P yet, a new one is added: its price is
the mean ex-works price of P's current sources (or P's reference price) times ``1 +
price_premium``, its freight and duty come from the trade lane of S's country, and it counts
as qualified on every date.

Two ways to see the effect:

- :func:`apply_moves` gives a new :class:`~rackforge.core.supply.SupplyView`, and
  ``analyse_sourcing(programme, network=...)`` recomputes *every* figure (BOM costs, domestic
  content, concentration, exposure, lead times);
- :class:`WhatIfEngine` precomputes the per-quarter part costs and rack totals once and
  re-evaluates only the moved parts' columns (domestic content by design, year and category,
  country exposure, HHI of the moved parts): a change costs a few array updates, not a rerun.

:meth:`WhatIfEngine.rank_domestic_moves` ranks, for one design and year, every part whose
move to a domestic site raises domestic content, with the added cost per rack, and picks the
cheapest set of whole-part moves that lifts the design over the threshold (greedy on added
cost per unit of "threshold gain" g_p = ΔD_p − τ′ΔC_p, which is additive over parts because
share > τ ⇔ D − τ′C > 0 with τ′ = τ(1 + v) − v for value added v).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import pandas as pd

from rackforge.core.supply import ALWAYS_ORDINAL, SourceMode, SupplyView, apply_share_overrides
from rackforge.errors import UsageError, did_you_mean
from rackforge.schema.rules import COMPARISON_TOLERANCE
from rackforge.sourcing.concentration import grouped_hhi
from rackforge.sourcing.domestic import (
    DomesticArrays,
    DomesticContentTables,
    domestic_arrays,
    evaluation_dates,
    part_origin_cost_usd,
    tables_from_arrays,
    year_weights,
)

if TYPE_CHECKING:
    from rackforge.schema import Programme
    from rackforge.sourcing.analysis import SourcingAnalysis

FloatArray = npt.NDArray[np.float64]

DEFAULT_PRICE_PREMIUM = 0.0
"""Price of a new source over the part's current mean price [fraction]; set it per move or per run."""


@dataclass(frozen=True)
class Move:
    """Site ``site`` supplies ``share`` [fraction] of part ``part``; the others share the rest."""

    part: str
    site: str
    share: float = 1.0
    price_usd: float | None = None
    lead_time_weeks: float | None = None

    @classmethod
    def parse(cls, text: str) -> Move:
        """``part=site`` or ``part=site@0.4`` (share) or ``part=site@40%``."""
        if "=" not in text:
            raise UsageError(f"bad move {text!r}: write PART=SITE or PART=SITE@SHARE, e.g. nic-cx8=us-austin@0.5")
        part, _, rest = text.partition("=")
        site, _, share_text = rest.partition("@")
        share = 1.0
        if share_text:
            try:
                share = float(share_text.rstrip("%")) / (100.0 if share_text.endswith("%") else 1.0)
            except ValueError:
                raise UsageError(f"bad share {share_text!r} in move {text!r}: give 0–1 or a percentage") from None
        if not 0.0 <= share <= 1.0:
            raise UsageError(f"share {share:g} in move {text!r} is outside 0–1")
        return cls(part.strip(), site.strip(), share)


def new_source_price_usd(network: SupplyView, part: int, price_premium: float) -> float:
    """Ex-works price of a new source of ``part`` [USD]: the mean price of its listed sources (or its
    reference price) × (1 + ``price_premium``)."""
    rows = network.source_part == part
    if rows.any():
        return float(network.price_usd[rows].mean()) * (1.0 + price_premium)
    if not np.isnan(network.reference_price_usd[part]):
        return float(network.reference_price_usd[part]) * (1.0 + price_premium)
    raise UsageError(f"part {network.part_ids[part]!r} has no source and no reference price: "
                     "give the new source a price")


def new_source_unit_cost_usd(programme: Programme, network: SupplyView, country: str, price_premium: float,
                             include_transport: bool = True, include_duty: bool = True) -> FloatArray:
    """Per part, the cost per unit at the integration site of a new source in ``country`` [USD]:
    :func:`new_source_price_usd` for every part at once, plus that country's lane freight and duty
    (NaN for parts with no source and no reference price)."""
    counts = np.bincount(network.source_part, minlength=network.n_parts)
    sums = np.bincount(network.source_part, weights=network.price_usd, minlength=network.n_parts)
    mean = np.divide(sums, counts, out=np.full(network.n_parts, np.nan), where=counts > 0)
    price = np.where(counts > 0, mean, network.reference_price_usd) * (1.0 + price_premium)
    lane = next((t for t in programme.trade if t.origin == country and t.destination == network.destination_country),
                None)
    factor = 1.0 + ((lane.freight_rate * include_transport + lane.duty_rate * include_duty) if lane else 0.0)
    return np.asarray(price * factor, dtype=float)


def apply_moves(programme: Programme, network: SupplyView, moves: Sequence[Move],
                price_premium: float = DEFAULT_PRICE_PREMIUM) -> SupplyView:
    """A network in which each move holds (new source rows appended where needed)."""
    catalog = programme.catalog
    lanes = {(lane.origin, lane.destination): lane for lane in programme.trade}
    dest = network.destination_country
    new_rows: dict[str, list[object]] = {k: [] for k in (
        "source_part", "site", "supplier", "country", "price_usd", "freight_usd", "duty_usd", "lead_time_weeks",
        "transit_weeks", "capacity_per_quarter", "planned_share", "status", "qualified_from")}
    overrides: list[tuple[int, float]] = list(network.share_overrides)
    n = network.n_sources
    for move in moves:
        if move.part not in network.part_index:
            raise UsageError(f"no part {move.part!r} in the analysed designs"
                             f"{did_you_mean(move.part, network.part_ids)}")
        if move.site not in catalog.sites:
            raise UsageError(f"no site {move.site!r}{did_you_mean(move.site, catalog.sites)}")
        p = network.part_index[move.part]
        existing = np.flatnonzero((network.source_part == p) & (network.site == move.site))
        if len(existing):
            overrides.append((int(existing[0]), move.share))
            continue
        site = catalog.sites[move.site]
        rows = network.source_part == p
        price = move.price_usd if move.price_usd is not None else new_source_price_usd(network, p, price_premium)
        lane = lanes.get((site.country, dest))
        lead = move.lead_time_weeks if move.lead_time_weeks is not None else (
            float(network.lead_time_weeks[rows].max()) if rows.any() else 0.0)
        for key, value in (("source_part", p), ("site", move.site), ("supplier", site.supplier),
                           ("country", site.country), ("price_usd", price),
                           ("freight_usd", price * (lane.freight_rate if lane else 0.0)),
                           ("duty_usd", price * (lane.duty_rate if lane else 0.0)), ("lead_time_weeks", lead),
                           ("transit_weeks", lane.transit_weeks if lane else 0.0),
                           ("capacity_per_quarter", np.inf), ("planned_share", 0.0), ("status", 0),
                           ("qualified_from", int(ALWAYS_ORDINAL))):
            new_rows[key].append(value)
        overrides.append((n, move.share))
        n += 1
    if not new_rows["source_part"]:
        return network.with_sources(share_overrides=tuple(overrides))
    changes: dict[str, object] = {}
    for key, values in new_rows.items():
        old = getattr(network, key)
        changes[key] = np.concatenate([old, np.array(values, dtype=old.dtype if old.dtype.kind != "U" else str)])
    return network.with_sources(share_overrides=tuple(overrides), **changes)


@dataclass(frozen=True)
class WhatIfResult:
    """Headline figures before and after a set of moves."""

    moves: tuple[Move, ...]
    domestic_before: DomesticContentTables
    domestic_after: DomesticContentTables
    country_exposure: pd.DataFrame
    parts: pd.DataFrame

    @property
    def domestic_by_year(self) -> pd.DataFrame:
        """design, year, sources, domestic_content_before/after, meets_threshold_before/after,
        component_cost_per_rack_usd_before/after, added_cost_per_rack_usd."""
        keys = ["design", "year", "sources"]
        cols = ["domestic_content", "meets_threshold", "component_cost_per_rack_usd", "threshold"]
        before = self.domestic_before.by_year[keys + cols]
        after = self.domestic_after.by_year[keys + cols[:-1]]
        out = before.merge(after, on=keys, suffixes=("_before", "_after"))
        out["added_cost_per_rack_usd"] = out["component_cost_per_rack_usd_after"] - \
            out["component_cost_per_rack_usd_before"]
        return out

    @property
    def domestic_by_category(self) -> pd.DataFrame:
        keys = ["design", "year", "sources", "category"]
        before = self.domestic_before.by_category[[*keys, "domestic_content"]]
        after = self.domestic_after.by_category[[*keys, "domestic_content"]]
        return before.merge(after, on=keys, how="outer", suffixes=("_before", "_after"))


class WhatIfEngine:
    """Precomputed arrays of one analysis for fast, incremental what-if evaluation."""

    def __init__(self, analysis: SourcingAnalysis, price_premium: float = DEFAULT_PRICE_PREMIUM):
        self.analysis = analysis
        self.price_premium = price_premium
        self.calc = analysis.calculator
        self.dates = evaluation_dates(analysis.quarters)
        net = analysis.network
        self.shares = {m.value: net.order_shares_by_date(self.dates, m) for m in SourceMode}
        self.arrays = {m: domestic_arrays(self.calc, s) for m, s in self.shares.items()}
        self.part_costs = {m: self.calc.part_costs(s) for m, s in self.shares.items()}
        self.view_shares = analysis.view_shares
        self.baseline = tables_from_arrays(self.calc, self.arrays, analysis.quarters, analysis.racks,
                                           analysis.programme.integration_site.country, analysis.planned)
        order = np.argsort(net.source_part, kind="stable")
        bounds = np.searchsorted(net.source_part[order], np.arange(net.n_parts + 1))
        self._rows_of_part = [order[bounds[i]:bounds[i + 1]] for i in range(net.n_parts)]
        self._parts_before = analysis.parts.set_index(["sources", "part"])
        self._fallback = net.fallback_cost_usd()
        _ = analysis.exposure_arrays  # precompute

    def rows_of(self, part: int) -> npt.NDArray[np.int64]:
        return self._rows_of_part[part]

    # -- evaluation ------------------------------------------------------------------------------
    def evaluate(self, moves: Sequence[Move]) -> WhatIfResult:
        """Headline figures after ``moves`` (only the moved parts are recomputed)."""
        a = self.analysis
        net = apply_moves(a.programme, a.network, moves, self.price_premium)
        n_old = a.network.n_sources
        moved = sorted({net.part_index[m.part] for m in moves})
        # rows of the moved parts in the new network (old rows + appended ones)
        appended = np.arange(n_old, net.n_sources)
        rows = np.concatenate([*(self.rows_of(p) for p in moved), appended]).astype(np.int64)
        local_part = np.searchsorted(np.array(moved), net.source_part[rows])
        rule = a.rule
        cost = net.component_cost_usd(rule.include_transport, rule.include_duty)[rows]
        is_dom = np.isin(net.country[rows], np.array(rule.domestic_countries, dtype=str))
        fallback = self.calc.fallback_cost_usd[moved]
        overrides = [(int(np.flatnonzero(rows == r)[0]), s) for r, s in net.share_overrides[
            len(a.network.share_overrides):]]
        q = a.structure.quantity_per_rack[:, moved].astype(float)  # (n_d, k)
        cat = self.calc.category_matrix[moved]  # (k, n_c)
        new_arrays: dict[str, DomesticArrays] = {}
        for mode, base_share in self.shares.items():
            sub = np.zeros((len(self.dates), len(rows)))
            sub[:, : len(rows) - len(appended)] = base_share[:, rows[: len(rows) - len(appended)]]
            sub = apply_share_overrides(sub, local_part, overrides)
            d_new, k_new, u_new = part_origin_cost_usd(local_part, sub, cost, is_dom, fallback)
            d_old, k_old, u_old = (x[:, moved] for x in self.part_costs[mode])
            total_new = k_new + u_new if rule.unknown_origin == "foreign" else k_new
            total_old = k_old + u_old if rule.unknown_origin == "foreign" else k_old
            dd, dt_ = d_new - d_old, total_new - total_old  # (n_q, k)
            base = self.arrays[mode]
            new_arrays[mode] = DomesticArrays(
                domestic=base.domestic + dd @ q.T,
                total=base.total + dt_ @ q.T,
                category_domestic=base.category_domestic + np.einsum("qk,dk,kc->qdc", dd, q, cat),
                category_total=base.category_total + np.einsum("qk,dk,kc->qdc", dt_, q, cat))
        after = tables_from_arrays(self.calc, new_arrays, a.quarters, a.racks,
                                   a.programme.integration_site.country, a.planned)
        return WhatIfResult(tuple(moves), self.baseline, after, self._exposure_after(net, moved, rows),
                            self._parts_after(net, moved, rows))

    def _view_share_after(self, net: SupplyView, mode: str, rows: npt.NDArray[np.int64]) -> FloatArray:
        a = self.analysis
        return net.order_shares(a.view_date(mode), mode)[rows]

    def _exposure_after(self, net: SupplyView, moved: list[int], rows: npt.NDArray[np.int64]) -> pd.DataFrame:
        """Country exposure per design before and after, updating only the moved parts' spend."""
        a = self.analysis
        out = []
        old_mask = rows < a.network.n_sources
        local = np.searchsorted(np.array(moved), net.source_part[rows])
        landed = net.landed_cost_usd[rows]
        fallback = self._fallback[moved]
        new_shares: dict[tuple[dt.date, str], FloatArray] = {}
        for mode, (countries_before, before) in a.exposure_arrays.items():
            extra = [c for c in np.unique(net.country[rows]).tolist() if c not in countries_before]
            countries = [*countries_before[:-1], *extra, countries_before[-1]]
            col = {c: i for i, c in enumerate(countries)}
            widen = np.zeros((before.shape[0], len(extra)))
            before_full = np.hstack([before[:, :-1], widen, before[:, -1:]])
            after = before_full.copy()
            row_cols = np.array([col[c] for c in net.country[rows].tolist()], dtype=np.int64)
            for design in a.planned:
                d = a.structure.design_index[design]
                when = a.design_dates[design][mode]
                if (when, mode) not in new_shares:
                    new_shares[(when, mode)] = net.order_shares(when, mode)[rows]
                share_new = new_shares[(when, mode)]
                share_old = np.zeros(len(rows))
                share_old[old_mask] = a.shares_on(when, mode)[rows[old_mask]]
                qty = a.structure.quantity_per_rack[d, net.source_part[rows]]
                np.add.at(after[d], row_cols, qty * (share_new - share_old) * landed)
                cov_new = np.bincount(local, weights=share_new, minlength=len(moved))
                cov_old = np.bincount(local, weights=share_old, minlength=len(moved))
                unknown = (np.clip(1 - cov_new, 0, 1) - np.clip(1 - cov_old, 0, 1)) * fallback
                after[d, -1] += a.structure.quantity_per_rack[d, moved] @ unknown
                tb, ta = before_full[d].sum(), after[d].sum()
                for ci, country in enumerate(countries):
                    if before_full[d, ci] > 0 or after[d, ci] > 1e-9:
                        out.append({"design": design, "sources": mode, "country": country,
                                    "share_of_rack_value_before": before_full[d, ci] / tb if tb > 0 else 0.0,
                                    "share_of_rack_value_after": max(after[d, ci], 0.0) / ta if ta > 0 else 0.0,
                                    "cost_per_rack_usd_before": before_full[d, ci],
                                    "cost_per_rack_usd_after": max(after[d, ci], 0.0)})
        return pd.DataFrame(out, columns=["design", "sources", "country", "share_of_rack_value_before",
                                          "share_of_rack_value_after", "cost_per_rack_usd_before",
                                          "cost_per_rack_usd_after"])

    def _parts_after(self, net: SupplyView, moved: list[int], rows: npt.NDArray[np.int64]) -> pd.DataFrame:
        out = []
        supplier_codes = {s: i for i, s in enumerate(np.unique(net.supplier[rows]).tolist())}
        country_codes = {s: i for i, s in enumerate(np.unique(net.country[rows]).tolist())}
        local = np.searchsorted(np.array(moved), net.source_part[rows])
        sup = np.array([supplier_codes[s] for s in net.supplier[rows].tolist()], dtype=np.int64)
        cty = np.array([country_codes[s] for s in net.country[rows].tolist()], dtype=np.int64)
        before = self._parts_before
        for mode in self.view_shares:
            share = self._view_share_after(net, mode, rows)
            hhi_s = grouped_hhi(local, sup, share, len(moved))
            hhi_c = grouped_hhi(local, cty, share, len(moved))
            for k, p in enumerate(moved):
                part = net.part_ids[p]
                out.append({"part": part, "sources": mode,
                            "hhi_supplier_before": before.at[(mode, part), "hhi_supplier"],
                            "hhi_supplier_after": hhi_s[k],
                            "hhi_country_before": before.at[(mode, part), "hhi_country"],
                            "hhi_country_after": hhi_c[k]})
        return pd.DataFrame(out)

    # -- ranking ---------------------------------------------------------------------------------
    def rank_domestic_moves(self, design: str, year: int, mode: SourceMode | str = SourceMode.QUALIFIED,
                            price_premium: float | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Rank the parts of ``design`` by the cost of moving all of each to a domestic site in ``year``.

        For each part with foreign or unknown supply: the domestic option is its cheapest
        existing domestic source (any qualification state but disqualified), else a new source
        at the integration site priced as :func:`apply_moves` would (mean ex-works price of the
        part's sources × (1 + ``price_premium``), plus the domestic lane's freight and duty), so
        that applying the returned moves with :meth:`evaluate` reproduces the figures.
        Returns (candidates, plan): every candidate with its added cost per rack, the content
        after moving it alone and whether that alone passes the threshold, cheapest first among
        those that do; and the greedy set of moves that passes the threshold at least added cost.
        """
        a = self.analysis
        premium = self.price_premium if price_premium is None else price_premium
        if design not in a.planned:
            raise UsageError(f"design {design!r} is not in the build plan{did_you_mean(design, a.planned)}")
        d = a.structure.design_index[design]
        mode = SourceMode(mode).value
        weights = year_weights(a.quarters, a.racks[:, d])
        if year not in weights:
            raise UsageError(f"year {year} is not in the build plan; years: {sorted(weights)}")
        w = weights[year]
        rule = a.rule
        threshold = rule.threshold_for(year)
        if threshold is None:
            raise UsageError(f"rule {rule.id} sets no threshold for {year}")
        v = rule.value_added_fraction if rule.method == "regional-value-content" else 0.0
        tau = threshold * (1 + v) - v
        dom_p, known_p, unknown_p = self.part_costs[mode]
        total_p = known_p + unknown_p if rule.unknown_origin == "foreign" else known_p
        d_unit = w @ dom_p  # per unit of each part, year-weighted [USD]
        t_unit = w @ total_p
        D = float(w @ self.arrays[mode].domestic[:, d])
        C = float(w @ self.arrays[mode].total[:, d])
        qty = a.structure.quantity_per_rack[d].astype(float)
        net = a.network
        cost = self.calc.cost_usd
        domestic_rows = self.calc.is_domestic & (net.status != 3)
        best_dom = np.full(net.n_parts, np.inf)
        np.minimum.at(best_dom, net.source_part[domestic_rows], cost[domestic_rows])
        best_site = {}
        for r in np.flatnonzero(domestic_rows):
            p = int(net.source_part[r])
            if cost[r] == best_dom[p] and p not in best_site:
                best_site[p] = str(net.site[r])
        home = a.programme.info.integration_site
        new_cost = new_source_unit_cost_usd(a.programme, net, a.programme.catalog.sites[home].country, premium,
                                            rule.include_transport, rule.include_duty)
        candidates = np.flatnonzero((qty > 0) & (t_unit - d_unit > 1e-9 * np.maximum(t_unit, 1.0)))
        rows = []
        for p in candidates.tolist():
            existing = np.isfinite(best_dom[p])
            site = best_site.get(p, home)
            if existing:
                unit = float(best_dom[p])
            elif np.isnan(new_cost[p]):
                continue  # no price to start from
            else:
                unit = float(new_cost[p])
            d_delta = qty[p] * (unit - d_unit[p])
            c_delta = qty[p] * (unit - t_unit[p])
            after = float(a.calculator.share(D + d_delta, C + c_delta))
            rows.append({
                "part": net.part_ids[p], "name": a.structure.part_name[p],
                "category": str(a.structure.part_category[p]), "quantity_per_rack": int(qty[p]),
                "domestic_share_of_part": float(d_unit[p] / t_unit[p]) if t_unit[p] > 0 else 0.0,
                "domestic_site": site,
                "new_source": not existing, "domestic_unit_cost_usd": unit,
                "added_cost_per_rack_usd": c_delta, "domestic_content_after": after,
                "passes_alone": bool(rule.passes(after, threshold) and rule.end_product_ok(
                    a.programme.integration_site.country)),
                "threshold_gain_usd": d_delta - tau * c_delta})
        table = pd.DataFrame(rows, columns=["part", "name", "category", "quantity_per_rack", "domestic_share_of_part",
                                            "domestic_site", "new_source", "domestic_unit_cost_usd",
                                            "added_cost_per_rack_usd", "domestic_content_after", "passes_alone",
                                            "threshold_gain_usd"])
        table = table.sort_values(["passes_alone", "added_cost_per_rack_usd", "domestic_content_after"],
                                  ascending=[False, True, False], ignore_index=True)
        return table, _greedy_plan(table, D, C, tau, a.calculator.share, rule.comparison)


def _greedy_plan(table: pd.DataFrame, domestic: float, total: float, tau: float,
                 share_of: Callable[[float, float], FloatArray], comparison: str) -> pd.DataFrame:
    """Cheapest set of whole-part moves found that passes the threshold.

    Passing means D − τ′C > 0 ('exceeds') or ≥ 0 ('at-least'); each move adds its gain
    g = ΔD − τ′ΔC, so gains add up. Steps: (1) greedy by added cost per unit of gain (moves that
    save money first) until passing - the exact answer of the fractional (LP) relaxation;
    (2) drop moves that cost money and are no longer needed, most expensive first; (3) keep
    the cheapest single move that passes alone if it is cheaper. With whole parts this is a
    good, not always optimal, answer (an exact one is the sourcing optimiser's job).
    Columns: step, part, domestic_site, added_cost_per_rack_usd,
    cumulative_added_cost_per_rack_usd, domestic_content_after, passes.
    """
    scale = max(abs(total), 1.0) * COMPARISON_TOLERANCE

    def passed(g: float) -> bool:
        return g > scale if comparison == "exceeds" else g >= -scale

    gap = domestic - tau * total
    useful = table[table["threshold_gain_usd"] > 0]
    gain = useful["threshold_gain_usd"].to_numpy(dtype=float)
    cost = useful["added_cost_per_rack_usd"].to_numpy(dtype=float)
    parts, sites = useful["part"].tolist(), useful["domestic_site"].tolist()
    order = np.lexsort((cost, cost / gain)) if len(gain) else np.zeros(0, dtype=np.int64)
    chosen: list[int] = []
    g = gap
    for i in order.tolist():
        if passed(g) and cost[i] >= 0:
            break
        chosen.append(i)
        g += gain[i]
    if passed(g):
        for i in sorted(chosen, key=lambda k: -cost[k]):
            if cost[i] > 0 and passed(g - gain[i]):
                chosen.remove(i)
                g -= gain[i]
        alone = [i for i in range(len(gain)) if passed(gap + gain[i])]
        if alone:
            best = min(alone, key=lambda k: cost[k])
            if cost[best] < cost[chosen].sum():
                chosen = [best]
    rows: list[dict[str, object]] = []
    cum_cost, d, c, g = 0.0, domestic, total, gap
    rank = {i: n for n, i in enumerate(order.tolist())}
    for i in sorted(chosen, key=lambda k: rank[k]):
        g += gain[i]
        cum_cost += cost[i]
        d += gain[i] + tau * cost[i]
        c += cost[i]
        rows.append({"step": len(rows) + 1, "part": parts[i], "domestic_site": sites[i],
                     "added_cost_per_rack_usd": float(cost[i]), "cumulative_added_cost_per_rack_usd": cum_cost,
                     "domestic_content_after": float(share_of(d, c)), "passes": passed(g)})
    return pd.DataFrame(rows, columns=["step", "part", "domestic_site", "added_cost_per_rack_usd",
                                       "cumulative_added_cost_per_rack_usd", "domestic_content_after", "passes"])


def whatif_dates(analysis: SourcingAnalysis) -> list[dt.date]:
    """The quarter start dates a what-if evaluates on."""
    return evaluation_dates(analysis.quarters)
