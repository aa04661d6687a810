"""Domestic content of each design per year, under a rule given as data.

The rule (:class:`~rackforge.schema.rules.DomesticContentRule`, default FAR 25.101) says which
origins are domestic, whether transport and duty are part of a component's cost, how unknown
origins count and which threshold applies in which year. The arithmetic is a handful of pure
array functions, usable by the sourcing optimiser as well as by the reports:

Per source row s (part p(s), share x_s of its part, cost c_s = price + freight + duty, domestic
flag δ_s), per unit of part p::

    D_p = Σ_{s∈p} x_s c_s δ_s                 domestic cost           [USD]
    K_p = Σ_{s∈p} x_s c_s                     cost from known sources [USD]
    U_p = (1 − Σ_{s∈p} x_s) × fallback_p      unknown-origin cost     [USD]

Per rack of design d, with q_dp units of part p per rack (from the BOM explosion)::

    D_d = Σ_p q_dp D_p,   C_d = Σ_p q_dp (K_p + U_p)    (U_p left out if unknown_origin = excluded)
    share_d = D_d / C_d                                   (component-cost method)
    RVC_d  = (D_d + v C_d) / ((1 + v) C_d)                (regional-value-content, v = value added)

FAR 25.101 passes when share_d *exceeds* the year's threshold (65% in 2024–2028), the fallback
55% until 2030-01-01, and the end product is made in the US (the integration site's country).

For a linear optimiser, :func:`domestic_content_coefficients` gives, per source row, the
coefficients a_s = q_{d,p(s)} c_s and b_s = a_s δ_s, so that D_d = b·x and C_d = a·x (plus the
unknown-origin constant), and "share > τ" becomes the linear constraint (b − τ a)·x > τ U.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import pandas as pd

from rackforge.core.bom import BomStructure, racks_by_quarter
from rackforge.core.supply import SourceMode, SupplyView, per_part_sum
from rackforge.schema.rules import DomesticContentRule, programme_rule

if TYPE_CHECKING:
    from rackforge.schema import Programme

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


# -- pure functions -----------------------------------------------------------------------------

def part_origin_cost_usd(source_part: IntArray, share: FloatArray, cost_usd: FloatArray, is_domestic: BoolArray,
                         fallback_cost_usd: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Cost of one unit of each part split by origin [USD]: (domestic D_p, known K_p, unknown U_p).

    ``share`` is (n_sources,) or (k, n_sources) (k dates or scenarios); outputs are (…, n_parts)
    with n_parts = len(fallback_cost_usd). Supply not covered by shares (1 − Σ shares, clipped to
    [0, 1]) has unknown origin and is costed at ``fallback_cost_usd``.
    """
    n_parts = len(fallback_cost_usd)
    domestic = per_part_sum(source_part, share * (cost_usd * is_domestic), n_parts)
    known = per_part_sum(source_part, share * cost_usd, n_parts)
    covered = per_part_sum(source_part, share, n_parts)
    unknown = np.clip(1.0 - covered, 0.0, 1.0) * fallback_cost_usd
    return domestic, known, unknown


def rack_origin_cost_usd(quantity_per_rack: IntArray | FloatArray, domestic_usd: FloatArray, known_usd: FloatArray,
                         unknown_usd: FloatArray, unknown_origin: str = "foreign") -> tuple[FloatArray, FloatArray]:
    """Domestic and total component cost per rack [USD]: (D_d, C_d), each (…, n_designs).

    ``quantity_per_rack`` is (n_designs, n_parts); part costs are (…, n_parts). With
    ``unknown_origin="excluded"`` unknown-origin cost is left out of the total.
    """
    q = quantity_per_rack.T
    total_part = known_usd + unknown_usd if unknown_origin == "foreign" else known_usd
    return np.asarray(domestic_usd @ q, dtype=float), np.asarray(total_part @ q, dtype=float)


def content_share(domestic_usd: FloatArray | float, total_usd: FloatArray | float,
                  value_added_fraction: float = 0.0) -> FloatArray:
    """Domestic (or regional value) content [fraction] from domestic and total component cost.

    component cost: D / C. Regional value content (USMCA transaction value): with V = C (1 + v)
    and VNM = C − D, RVC = (V − VNM) / V = (D + v C) / ((1 + v) C). A zero total gives 0.
    """
    d = np.asarray(domestic_usd, dtype=float)
    c = np.asarray(total_usd, dtype=float)
    num = d + value_added_fraction * c
    den = (1.0 + value_added_fraction) * c
    return np.divide(num, den, out=np.zeros(np.broadcast(num, den).shape), where=den > 0)


def domestic_content_coefficients(quantity_per_part: FloatArray | IntArray, source_part: IntArray,
                                  cost_usd: FloatArray, is_domestic: BoolArray) -> tuple[FloatArray, FloatArray]:
    """Linear coefficients over source-row shares x for one design [USD per rack per unit share].

    Returns (a, b) with a_s = q_{p(s)} c_s and b_s = a_s δ_s: component cost per rack from known
    sources = a·x, domestic cost per rack = b·x.
    """
    a = np.asarray(quantity_per_part, dtype=float)[source_part] * cost_usd
    return a, a * is_domestic


def is_domestic_source(country: npt.NDArray[np.str_], rule: DomesticContentRule) -> BoolArray:
    """True for source rows whose origin counts as domestic under ``rule``."""
    return np.isin(country, np.array(rule.domestic_countries, dtype=str))


# -- the calculator: precomputed arrays for one structure, network and rule ------------------------

@dataclass(frozen=True, eq=False)
class DomesticContentCalculator:
    """Precomputed arrays to evaluate domestic content for any share vectors quickly.

    Build with :meth:`build`; call :meth:`evaluate` with shares (n_sources,) or (k, n_sources).
    """

    structure: BomStructure
    network: SupplyView
    rule: DomesticContentRule
    cost_usd: FloatArray
    is_domestic: BoolArray
    fallback_cost_usd: FloatArray
    category_matrix: FloatArray

    @classmethod
    def build(cls, structure: BomStructure, network: SupplyView,
              rule: DomesticContentRule) -> DomesticContentCalculator:
        if network.part_ids != structure.part_ids:
            raise ValueError("network and BOM structure must use the same part order "
                             "(build the network with part_ids=structure.part_ids)")
        return cls(structure, network, rule,
                   cost_usd=network.component_cost_usd(rule.include_transport, rule.include_duty),
                   is_domestic=is_domestic_source(network.country, rule),
                   fallback_cost_usd=network.fallback_cost_usd(rule.include_transport, rule.include_duty),
                   category_matrix=structure.category_matrix())

    def part_costs(self, share: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        """(D_p, K_p, U_p) per unit of each part [USD] for the given shares."""
        return part_origin_cost_usd(self.network.source_part, share, self.cost_usd, self.is_domestic,
                                    self.fallback_cost_usd)

    def evaluate(self, share: FloatArray) -> tuple[FloatArray, FloatArray]:
        """(D_d, C_d) per rack of each design [USD] for the given shares, each (…, n_designs)."""
        d, k, u = self.part_costs(share)
        return rack_origin_cost_usd(self.structure.quantity_per_rack, d, k, u, self.rule.unknown_origin)

    def evaluate_by_category(self, share: FloatArray) -> tuple[FloatArray, FloatArray]:
        """(D, C) per rack by design and category [USD], each (…, n_designs, n_categories)."""
        d, k, u = self.part_costs(share)
        total = k + u if self.rule.unknown_origin == "foreign" else k
        q = self.structure.quantity_per_rack
        cat = self.category_matrix
        dom = np.matmul(q * d[..., None, :], cat)
        tot = np.matmul(q * total[..., None, :], cat)
        return dom, tot

    def share(self, domestic_usd: FloatArray | float, total_usd: FloatArray | float) -> FloatArray:
        """Content share [fraction] under this rule's method."""
        v = self.rule.value_added_fraction if self.rule.method == "regional-value-content" else 0.0
        return content_share(domestic_usd, total_usd, v)


# -- per design and year ---------------------------------------------------------------------------

@dataclass(frozen=True)
class DomesticContentTables:
    """Results as DataFrames: ``by_year`` (design × year), ``by_quarter`` and ``by_category``."""

    by_year: pd.DataFrame
    by_quarter: pd.DataFrame
    by_category: pd.DataFrame


def year_weights(quarters: Sequence[str], racks: IntArray) -> dict[int, FloatArray]:
    """Per year, the weight of each of its quarters for one design [fraction summing to 1].

    Weights are the racks built per quarter; a year with no racks of the design weighs its
    quarters equally.
    """
    years = np.array([int(q[:4]) for q in quarters])
    out: dict[int, FloatArray] = {}
    for year in sorted(set(years.tolist())):
        mask = years == year
        w = np.where(mask, racks, 0).astype(float)
        out[year] = w / w.sum() if w.sum() > 0 else mask / mask.sum()
    return out


def evaluation_dates(quarters: Sequence[str]) -> list[dt.date]:
    """The date on which a quarter's sources are taken: its first day (a source must be qualified
    and its site operating when the quarter starts)."""
    from rackforge.calendar import quarter_start

    return [quarter_start(q) for q in quarters]


@dataclass(frozen=True, eq=False)
class DomesticArrays:
    """Per-quarter domestic and total cost per rack [USD] for one source mode.

    ``domestic``/``total``: (n_quarters, n_designs); ``category_domestic``/``category_total``:
    (n_quarters, n_designs, n_categories). The what-if engine updates these incrementally.
    """

    domestic: FloatArray
    total: FloatArray
    category_domestic: FloatArray
    category_total: FloatArray


def domestic_arrays(calc: DomesticContentCalculator, shares_by_quarter: FloatArray) -> DomesticArrays:
    """Evaluate ``calc`` on (n_quarters, n_sources) shares."""
    dom, tot = calc.evaluate(shares_by_quarter)
    cat_dom, cat_tot = calc.evaluate_by_category(shares_by_quarter)
    return DomesticArrays(dom, tot, cat_dom, cat_tot)


def domestic_content_tables(structure: BomStructure, network: SupplyView, rule: DomesticContentRule,
                            quarters: Sequence[str], racks: IntArray, end_product_country: str,
                            modes: Sequence[SourceMode | str] = (SourceMode.QUALIFIED, SourceMode.ALTERNATES),
                            designs: Sequence[str] | None = None) -> DomesticContentTables:
    """Domestic content per design and quarter, per year (rack-weighted) and per category.

    ``racks`` is (n_quarters × n_designs of ``structure``) racks built. A year's figure is the
    ratio of rack-weighted sums over its quarters (Σ w_q D_q / Σ w_q C_q). ``meets_threshold``
    needs both the share to pass the rule's threshold and the end product to be made in an
    allowed country.
    """
    calc = DomesticContentCalculator.build(structure, network, rule)
    dates = evaluation_dates(quarters)
    arrays = {SourceMode(m).value: domestic_arrays(calc, network.order_shares_by_date(dates, m)) for m in modes}
    return tables_from_arrays(calc, arrays, quarters, racks, end_product_country, designs)


def tables_from_arrays(calc: DomesticContentCalculator, arrays: Mapping[str, DomesticArrays],
                       quarters: Sequence[str], racks: IntArray, end_product_country: str,
                       designs: Sequence[str] | None = None) -> DomesticContentTables:
    """Build the by_year / by_quarter / by_category tables from per-quarter arrays of each mode."""
    structure, rule = calc.structure, calc.rule
    design_rows = [structure.design_index[d] for d in (designs if designs is not None else structure.design_ids)]
    made_ok = rule.end_product_ok(end_product_country)
    quarter_years = np.array([int(q[:4]) for q in quarters])
    weights = {d: year_weights(quarters, racks[:, d]) for d in design_rows}
    year_rows, quarter_rows, category_rows = [], [], []
    for mode, arr in arrays.items():
        for d in design_rows:
            design = structure.design_ids[d]
            for qi, quarter in enumerate(quarters):
                quarter_rows.append(_verdict(rule, made_ok, end_product_country, int(quarter_years[qi]),
                                             arr.domestic[qi, d], arr.total[qi, d], calc, design=design,
                                             quarter=quarter, sources=mode, racks=int(racks[qi, d])))
            for year, w in weights[d].items():
                dom, tot = float(w @ arr.domestic[:, d]), float(w @ arr.total[:, d])
                n_racks = int(racks[quarter_years == year, d].sum())
                year_rows.append(_verdict(rule, made_ok, end_product_country, year, dom, tot, calc,
                                          design=design, year=year, sources=mode, racks=n_racks))
                cat_dom = w @ arr.category_domestic[:, d, :]
                cat_tot = w @ arr.category_total[:, d, :]
                for c, category in enumerate(structure.categories):
                    if cat_tot[c] <= 0:
                        continue
                    category_rows.append({
                        "design": design, "year": year, "sources": mode, "category": category,
                        "domestic_content": float(calc.share(cat_dom[c], cat_tot[c])),
                        "domestic_cost_per_rack_usd": float(cat_dom[c]),
                        "component_cost_per_rack_usd": float(cat_tot[c])})
    return DomesticContentTables(
        by_year=pd.DataFrame(year_rows, columns=_YEAR_COLUMNS),
        by_quarter=pd.DataFrame(quarter_rows, columns=_QUARTER_COLUMNS),
        by_category=pd.DataFrame(category_rows, columns=["design", "year", "sources", "category",
                                                         "domestic_content", "domestic_cost_per_rack_usd",
                                                         "component_cost_per_rack_usd"]))


_VERDICT_COLUMNS = ["sources", "domestic_content", "threshold", "meets_threshold", "fallback_threshold",
                    "meets_fallback", "end_product_country", "domestic_cost_per_rack_usd",
                    "component_cost_per_rack_usd", "racks"]
_YEAR_COLUMNS = ["design", "year", *_VERDICT_COLUMNS]
_QUARTER_COLUMNS = ["design", "quarter", *_VERDICT_COLUMNS]


def _verdict(rule: DomesticContentRule, made_ok: bool, country: str, in_year: int, dom: float, tot: float,
             calc: DomesticContentCalculator, **keys: object) -> dict[str, object]:
    share = float(calc.share(dom, tot))
    threshold = rule.threshold_for(in_year)
    fallback = rule.fallback_for(in_year)
    return {**keys, "domestic_content": share, "threshold": threshold,
            "meets_threshold": bool(made_ok and rule.passes(share, threshold)),
            "fallback_threshold": fallback,
            "meets_fallback": bool(made_ok and fallback is not None and rule.passes(share, fallback)),
            "end_product_country": country, "domestic_cost_per_rack_usd": float(dom),
            "component_cost_per_rack_usd": float(tot)}


def programme_domestic_content(programme: Programme, rule: DomesticContentRule | None = None,
                               modes: Sequence[SourceMode | str] = (SourceMode.QUALIFIED, SourceMode.ALTERNATES),
                               structure: BomStructure | None = None,
                               network: SupplyView | None = None) -> DomesticContentTables:
    """Domestic content of every planned design per quarter and year of the build plan.

    ``rule`` defaults to the programme's ``rules.domestic_content`` (FAR 25.101 if none).
    """
    rule = rule or programme_rule(programme.rules)
    structure = structure or BomStructure.from_catalog(programme.catalog, programme.build_plan.designs)
    network = network or SupplyView.from_programme(programme, structure.part_ids)
    quarters = programme.build_plan.quarter_list
    racks = racks_by_quarter(structure, programme.build_plan)
    return domestic_content_tables(structure, network, rule, quarters, racks, programme.integration_site.country,
                                   modes, designs=programme.build_plan.designs)
