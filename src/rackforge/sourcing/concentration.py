"""Concentration risk: single-source and single-country parts, HHI, country exposure, lead-time paths.

Herfindahl–Hirschman index of a part's supply (supply-chain-methods.md §5)::

    HHI = Σ_i (100 × share_i)²        10,000 = one source; n equal sources = 10,000 / n

taken over suppliers (sites of one supplier pooled) and over countries (geographic
concentration). For a category the shares are of the category's spend per rack (quantity ×
share × cost), so a category whose expensive parts all come from one supplier scores high even
if its cheap parts are spread out.

Country exposure of a rack: the share of its component cost that comes from each country
(unknown-origin supply listed as ``unknown``): how much of a rack depends on Taiwan.

Lead-time paths: the lead time of a part is the longest, over the sources it actually uses
(share > 0), of production lead time plus transit on the trade lane; a path through the BOM
(rack > tray > board > part) takes the lead time of its part, so the longest paths are the
items to order first.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import pandas as pd

from rackforge.core.supply import UNKNOWN_COUNTRY, SupplyView

if TYPE_CHECKING:
    from rackforge.schema import Catalog

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

SHARE_EPS = 1e-12
"""Shares at or below this count as not used [fraction]."""


# -- pure functions -----------------------------------------------------------------------------

def hhi(shares: Sequence[float] | FloatArray) -> float:
    """Herfindahl–Hirschman index of one distribution of shares [0–10,000].

    Shares are normalised to sum to 1 first (so weights in any unit work); all-zero -> NaN.
    """
    s = np.asarray(shares, dtype=float)
    total = s.sum()
    if total <= 0:
        return float("nan")
    return float(np.sum((100.0 * s / total) ** 2))


def grouped_hhi(owner: IntArray, group: IntArray, weight: FloatArray, n_owners: int) -> FloatArray:
    """HHI per owner of its weight split over groups [0–10,000], (n_owners,); NaN where no weight.

    E.g. owner = part of each source row, group = supplier code, weight = share: each part's
    HHI by supplier, with several rows of one supplier pooled first.
    """
    if len(owner) == 0:
        return np.full(n_owners, np.nan)
    n_groups = int(group.max()) + 1
    key = owner.astype(np.int64) * n_groups + group
    uniq, inverse = np.unique(key, return_inverse=True)
    pooled = np.bincount(inverse, weights=weight)
    pooled_owner = uniq // n_groups
    total = np.bincount(pooled_owner, weights=pooled, minlength=n_owners)
    frac = pooled / np.where(total[pooled_owner] > 0, total[pooled_owner], 1.0)
    out = np.bincount(pooled_owner, weights=(100.0 * frac) ** 2, minlength=n_owners)
    return np.where(total > 0, out, np.nan)


def distinct_used(owner: IntArray, group: IntArray, weight: FloatArray, n_owners: int) -> IntArray:
    """Number of distinct groups with weight > 0 per owner (e.g. suppliers actually used per part)."""
    used = weight > SHARE_EPS
    if not used.any():
        return np.zeros(n_owners, dtype=np.int64)
    n_groups = int(group.max()) + 1
    uniq = np.unique(owner[used].astype(np.int64) * n_groups + group[used])
    return np.bincount(uniq // n_groups, minlength=n_owners).astype(np.int64)


def codes(labels: npt.NDArray[np.str_]) -> tuple[npt.NDArray[np.str_], IntArray]:
    """(sorted unique labels, code of each label)."""
    if len(labels) == 0:
        return np.zeros(0, dtype=str), np.zeros(0, dtype=np.int64)
    uniq, inverse = np.unique(labels, return_inverse=True)
    return uniq, inverse.astype(np.int64)


# -- the network's concentration at one share vector --------------------------------------------

@dataclass(frozen=True, eq=False)
class ConcentrationIndex:
    """Label codes of a network, computed once and reused for every share vector."""

    network: SupplyView
    suppliers: npt.NDArray[np.str_]
    supplier_code: IntArray
    countries: npt.NDArray[np.str_]
    country_code: IntArray

    @classmethod
    def build(cls, network: SupplyView) -> ConcentrationIndex:
        suppliers, supplier_code = codes(network.supplier)
        countries, country_code = codes(network.country)
        return cls(network, suppliers, supplier_code, countries, country_code)

    def part_table(self, share: FloatArray) -> pd.DataFrame:
        """Per part: sources, suppliers and countries used, HHI by supplier and by country.

        Columns: part, sources_used, suppliers_used, countries_used, hhi_supplier, hhi_country,
        single_source, single_country, unsourced.
        """
        net = self.network
        n = net.n_parts
        sources_used = np.bincount(net.source_part, weights=(share > SHARE_EPS).astype(float), minlength=n)
        suppliers_used = distinct_used(net.source_part, self.supplier_code, share, n)
        countries_used = distinct_used(net.source_part, self.country_code, share, n)
        return pd.DataFrame({
            "part": net.part_ids,
            "sources_used": sources_used.astype(np.int64),
            "suppliers_used": suppliers_used,
            "countries_used": countries_used,
            "hhi_supplier": grouped_hhi(net.source_part, self.supplier_code, share, n),
            "hhi_country": grouped_hhi(net.source_part, self.country_code, share, n),
            "single_source": suppliers_used == 1,
            "single_country": countries_used == 1,
            "unsourced": sources_used == 0,
        })

    def rack_spend_by_country(self, quantity_per_rack: IntArray, share: FloatArray, cost_usd: FloatArray,
                              fallback_cost_usd: FloatArray) -> tuple[list[str], FloatArray]:
        """Component cost per rack from each country [USD]: (countries + 'unknown', (n_designs, n_countries+1))."""
        net = self.network
        spend_row = share * cost_usd  # per unit of the part
        n_c = len(self.countries)
        # (n_parts, n_countries) cost per unit of each part by country, then racks @ it
        per_part = np.zeros((net.n_parts, n_c + 1))
        np.add.at(per_part, (net.source_part, self.country_code), spend_row)
        covered = np.bincount(net.source_part, weights=share, minlength=net.n_parts)
        per_part[:, n_c] = np.clip(1.0 - covered, 0.0, 1.0) * fallback_cost_usd
        return [*self.countries.tolist(), UNKNOWN_COUNTRY], np.asarray(quantity_per_rack @ per_part, dtype=float)

    def category_hhi(self, quantity_per_rack: IntArray, part_category: npt.NDArray[np.str_],
                     categories: Sequence[str], share: FloatArray, cost_usd: FloatArray) -> pd.DataFrame:
        """Per design and category: HHI of the category's spend per rack by supplier and by country.

        Columns: design_row, category, spend_per_rack_usd, hhi_supplier, hhi_country.
        """
        net = self.network
        cat_index = {c: i for i, c in enumerate(categories)}
        cat_of_part = np.array([cat_index[c] for c in part_category], dtype=np.int64)
        rows = []
        for d in range(quantity_per_rack.shape[0]):
            spend = quantity_per_rack[d, net.source_part] * share * cost_usd
            cat = cat_of_part[net.source_part]
            by_supplier = grouped_hhi(cat, self.supplier_code, spend, len(categories))
            by_country = grouped_hhi(cat, self.country_code, spend, len(categories))
            total = np.bincount(cat, weights=spend, minlength=len(categories))
            for c, category in enumerate(categories):
                if total[c] > 0:
                    rows.append({"design_row": d, "category": category, "spend_per_rack_usd": float(total[c]),
                                 "hhi_supplier": float(by_supplier[c]), "hhi_country": float(by_country[c])})
        return pd.DataFrame(rows, columns=["design_row", "category", "spend_per_rack_usd", "hhi_supplier",
                                           "hhi_country"])


def alternate_dates(network: SupplyView, when: dt.date) -> list[dt.date | None]:
    """Per part, the earliest expected qualification date of a source not counted as qualified on
    ``when`` (a ``qualifying`` or ``planned`` alternate, or a qualified source dated later); None if none."""
    never = np.iinfo(np.int64).max
    pending = (((network.status == 1) | (network.status == 2))
               | ((network.status == 0) & (network.qualified_from > when.toordinal()))) \
        & (network.qualified_from < never)
    first = np.full(network.n_parts, np.iinfo(np.int64).max)
    np.minimum.at(first, network.source_part[pending], network.qualified_from[pending])
    return [None if v == np.iinfo(np.int64).max else dt.date.fromordinal(int(v)) for v in first]


def longest_lead_time_paths(catalog: Catalog, design: str, lead_time_weeks: Mapping[str, float],
                            limit: int = 10) -> list[tuple[str, str, float]]:
    """The ``limit`` longest lead-time paths through a design's BOM, one per direct item.

    Each direct item of the rack contributes its critical path: the chain of assemblies down to
    the part with the longest lead time under it. Returns (path ``tray/board/part``, part,
    lead time [weeks]) in decreasing lead time; parts without a lead time (unsourced) are skipped.
    """
    memo: dict[str, tuple[float, str, str]] = {}

    def critical(ref: str) -> tuple[float, str, str]:
        if ref in memo:
            return memo[ref]
        if ref in catalog.parts:
            weeks = lead_time_weeks.get(ref, float("nan"))
            result = (float("-inf") if np.isnan(weeks) else float(weeks), ref, ref)
        else:
            best = (float("-inf"), "", "")
            for item in catalog.assemblies[ref].items:
                weeks, path, part = critical(item.ref)
                if weeks > best[0]:
                    best = (weeks, f"{ref}/{path}", part)
            result = best
        memo[ref] = result
        return result

    paths = {}
    for item in catalog.designs[design].items:
        weeks, path, part = critical(item.ref)
        if np.isfinite(weeks):
            paths[path] = (path, part, weeks)
    return sorted(paths.values(), key=lambda p: (-p[2], p[0]))[:limit]
