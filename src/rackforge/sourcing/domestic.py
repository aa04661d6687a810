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

For a linear optimiser, :meth:`DomesticContentCalculator.content_coefficients` gives the content
test as linear functions of the shares (:class:`ContentCoefficients`): per source row the domestic
value and total value of one unit, per design and part the units per rack (only the parts the test
covers), and per design constants for the parts of unknown origin, under the rule's own choices
(what a component's cost includes, which origins are domestic, unknown origin foreign or excluded,
value added for regional value content, category scope). "content ≥ τ" is then the linear
constraint V − τ T ≥ 0 (see :class:`ContentCoefficients`); the sourcing optimiser builds its rows
from these coefficients only.
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


def is_domestic_source(country: npt.NDArray[np.str_], rule: DomesticContentRule) -> BoolArray:
    """True for source rows whose origin counts as domestic under ``rule``."""
    return np.isin(country, np.array(rule.domestic_countries, dtype=str))


# -- the content test as linear coefficients ---------------------------------------------------------

@dataclass(frozen=True, eq=False)
class ContentCoefficients:
    """A rule's content test as linear functions of source shares, per rack of each design.

    For shares x (per source row) under which every *covered* part's shares sum to 1 and every other
    part is of unknown origin::

        V_d = Σ_p quantity[d, p] Σ_{s∈p} x_s domestic_usd[s] + domestic_constant_usd[d]   domestic value
        T_d = Σ_p quantity[d, p] Σ_{s∈p} x_s total_usd[s]    + total_constant_usd[d]      total value
        content_d = V_d / T_d

    with domestic_usd = total_usd × domestic_fraction per source row. Component-cost method: V = D
    (domestic component cost), T = C (all component cost), domestic_fraction = δ (1 for a domestic
    origin, else 0). Regional value content with value added v: V = D + v C and T = (1 + v) C
    (transaction value), so V / T is the RVC and domestic_fraction = (δ + v) / (1 + v). ``quantity`` is
    zero for parts outside the test's category scope. A unit of unknown origin has total value
    ``unknown_total_usd`` (0 when the rule leaves unknown origins out) of which
    ``unknown_domestic_fraction`` counts as domestic; the constants are the parts not covered.

    "content ≥ τ" is the linear test V_d − τ T_d ≥ 0:
    Σ_p q_dp Σ_s x_s total_usd_s (domestic_fraction_s − τ) ≥ τ total_constant_usd_d − domestic_constant_usd_d.
    Build with :meth:`DomesticContentCalculator.content_coefficients`.
    """

    quantity: FloatArray  # (n_designs, n_parts) [units/rack], 0 outside the scope
    source_part: IntArray  # (n_sources,) index into parts
    total_usd: FloatArray  # (n_sources,) [USD/unit], 0 for rows of parts not covered
    domestic_fraction: FloatArray  # (n_sources,) [fraction] of a unit's total value that is domestic
    unknown_total_usd: FloatArray  # (n_parts,) [USD/unit]
    unknown_domestic_fraction: float  # [fraction]
    covered: BoolArray  # (n_parts,)

    @property
    def domestic_usd(self) -> FloatArray:
        """Domestic value of one unit from each source row [USD/unit] (0 for rows of parts not covered)."""
        return self.total_usd * self.domestic_fraction

    @property
    def unknown_domestic_usd(self) -> FloatArray:
        """Domestic value of one unit of each part of unknown origin [USD/unit]."""
        return self.unknown_total_usd * self.unknown_domestic_fraction

    @property
    def domestic_constant_usd(self) -> FloatArray:
        """Domestic value per rack of the parts not covered (unknown origin) [USD/rack], (n_designs,)."""
        return np.asarray(self.quantity[:, ~self.covered] @ self.unknown_domestic_usd[~self.covered], dtype=float)

    @property
    def total_constant_usd(self) -> FloatArray:
        """Total value per rack of the parts not covered (unknown origin) [USD/rack], (n_designs,)."""
        return np.asarray(self.quantity[:, ~self.covered] @ self.unknown_total_usd[~self.covered], dtype=float)

    def per_rack(self, share: FloatArray) -> tuple[FloatArray, FloatArray]:
        """(V, T) per rack of each design [USD] for shares (n_sources,) or (k, n_sources); each (…, n_designs)."""
        n_parts = self.quantity.shape[1]
        dom = per_part_sum(self.source_part, share * self.domestic_usd, n_parts) @ self.quantity.T
        tot = per_part_sum(self.source_part, share * self.total_usd, n_parts) @ self.quantity.T
        return dom + self.domestic_constant_usd, tot + self.total_constant_usd

    def take(self, designs: IntArray, parts: IntArray, sources: IntArray) -> ContentCoefficients:
        """The coefficients over a subset: rows ``designs``, parts ``parts``, source rows ``sources``
        (each of a part in ``parts``), renumbered in that order. A part left out must have no
        quantity in the designs kept (its value would be lost): ValueError otherwise."""
        designs, parts, sources = (np.asarray(a, dtype=np.int64) for a in (designs, parts, sources))
        dropped = np.ones(self.quantity.shape[1], dtype=bool)
        dropped[parts] = False
        if np.any(self.quantity[np.ix_(designs, np.flatnonzero(dropped))]):
            raise ValueError("a part left out is used by a design kept")
        new_index = -np.ones(self.quantity.shape[1], dtype=np.int64)
        new_index[parts] = np.arange(len(parts))
        source_part = new_index[self.source_part[sources]]
        if np.any(source_part < 0):
            raise ValueError("a source row kept supplies a part left out")
        return ContentCoefficients(
            quantity=self.quantity[np.ix_(designs, parts)], source_part=source_part,
            total_usd=self.total_usd[sources], domestic_fraction=self.domestic_fraction[sources],
            unknown_total_usd=self.unknown_total_usd[parts], unknown_domestic_fraction=self.unknown_domestic_fraction,
            covered=self.covered[parts])


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

    @property
    def value_added_fraction(self) -> float:
        """Value added at integration as a share of component cost [fraction]: the rule's for the
        regional-value-content method, 0 for the component-cost method."""
        return self.rule.value_added_fraction if self.rule.method == "regional-value-content" else 0.0

    def share(self, domestic_usd: FloatArray | float, total_usd: FloatArray | float) -> FloatArray:
        """Content share [fraction] under this rule's method."""
        return content_share(domestic_usd, total_usd, self.value_added_fraction)

    def scope(self, categories: Sequence[str] | None = None) -> BoolArray:
        """Parts whose cost enters the content test [bool per part]: those of ``categories``, or every
        part when None (the rule's whole-rack test). The same scope as summing
        :meth:`evaluate_by_category` over ``categories``."""
        if categories is None:
            return np.ones(len(self.structure.part_ids), dtype=bool)
        return np.isin(self.structure.part_category, np.array(list(categories), dtype=str))

    def content_coefficients(self, covered: BoolArray | None = None,
                             categories: Sequence[str] | None = None) -> ContentCoefficients:
        """The content test as linear functions of source shares (see :class:`ContentCoefficients`).

        ``covered`` [bool per part]: the parts whose supply the shares cover in full (their shares sum
        to 1); every other part is of unknown origin, costed at :attr:`fallback_cost_usd`. Default: the
        parts with a source that is not disqualified. ``categories``: only parts of these categories
        enter the test (:meth:`scope`). On such shares, :meth:`ContentCoefficients.per_rack` gives
        (V, T) with V / T = :meth:`share` of :meth:`evaluate` (or of the categories' sums of
        :meth:`evaluate_by_category`).
        """
        network = self.network
        if covered is None:
            covered = np.zeros(network.n_parts, dtype=bool)
            covered[network.source_part[network.status != 3]] = True
        covered = np.asarray(covered, dtype=bool)
        v = self.value_added_fraction
        row_covered = covered[network.source_part]
        unknown = self.fallback_cost_usd if self.rule.unknown_origin == "foreign" else np.zeros(network.n_parts)
        return ContentCoefficients(
            quantity=self.structure.quantity_per_rack * self.scope(categories)[None, :].astype(float),
            source_part=network.source_part,
            total_usd=np.where(row_covered, self.cost_usd * (1.0 + v), 0.0),
            domestic_fraction=np.asarray((self.is_domestic + v) / (1.0 + v), dtype=float),
            unknown_total_usd=unknown * (1.0 + v),
            unknown_domestic_fraction=v / (1.0 + v),
            covered=covered,
        )


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
