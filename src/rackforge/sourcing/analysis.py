"""The whole sourcing analysis of a programme as one result: tables (pandas) and JSON.

:func:`analyse_sourcing` explodes the planned designs, resolves the supply network, and computes
domestic content (per design, quarter, year and category, under the programme's rule and any
rules it compares), concentration (per part and category), country exposure and lead-time
paths, each with *qualified sources only* and with *alternates counted from their
qualification date*:

- domestic content: per quarter, sources as on the quarter's first day; a year is the
  rack-weighted ratio over its quarters;
- concentration, exposure, lead times and the BOM costs: the qualified view is taken on the
  first day of the build plan (``as_of``), the alternates view on the first day of its last
  quarter (``horizon``), when every alternate due within the plan counts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from rackforge.core.bom import BomStructure, rack_cost_usd, racks_by_quarter
from rackforge.core.supply import SourceMode, SupplyView, design_view_date, plan_view_date
from rackforge.schema.rules import DomesticContentRule, programme_rule
from rackforge.sourcing.bom import cost_by_assembly, cost_by_category, flat_bom, plan_cost_by_quarter
from rackforge.sourcing.concentration import (
    SHARE_EPS,
    ConcentrationIndex,
    alternate_dates,
    longest_lead_time_paths,
)
from rackforge.sourcing.domestic import (
    DomesticContentCalculator,
    DomesticContentTables,
    domestic_content_tables,
    evaluation_dates,
)

if TYPE_CHECKING:
    from rackforge.schema import Programme

MODES = (SourceMode.QUALIFIED, SourceMode.ALTERNATES)


@dataclass(frozen=True, eq=False)
class SourcingAnalysis:
    """Everything :func:`analyse_sourcing` computes; tables are built on first use."""

    programme: Programme
    structure: BomStructure
    network: SupplyView
    rule: DomesticContentRule
    compared_rules: tuple[DomesticContentRule, ...]
    quarters: tuple[str, ...]
    racks: np.ndarray
    as_of: dt.date
    horizon: dt.date
    lead_time_paths_per_design: int = 10

    # -- shared intermediate arrays -------------------------------------------------------------
    @cached_property
    def calculator(self) -> DomesticContentCalculator:
        return DomesticContentCalculator.build(self.structure, self.network, self.rule)

    @cached_property
    def index(self) -> ConcentrationIndex:
        return ConcentrationIndex.build(self.network)

    def view_date(self, mode: SourceMode | str) -> dt.date:
        """The date a mode's concentration and cost figures are taken on
        (:func:`~rackforge.core.supply.plan_view_date`)."""
        return plan_view_date(self.programme.build_plan, mode)

    @cached_property
    def view_shares(self) -> dict[str, np.ndarray]:
        """Source shares of each mode on its view date [fraction per source row]."""
        return {m.value: self.network.order_shares(self.view_date(m), m) for m in MODES}

    @cached_property
    def unit_cost_usd(self) -> dict[str, np.ndarray]:
        """Landed cost per unit of each part in each mode's programme-wide view [USD]."""
        return {m: self.network.part_unit_cost_usd(s) for m, s in self.view_shares.items()}

    @cached_property
    def design_dates(self) -> dict[str, dict[str, dt.date]]:
        """Per planned design, the date of each view (:func:`~rackforge.core.supply.design_view_date`)."""
        plan = self.programme.build_plan
        return {design: {m.value: design_view_date(plan, design, m) for m in MODES} for design in self.planned}

    def shares_on(self, when: dt.date, mode: SourceMode | str) -> np.ndarray:
        """Source shares on ``when`` under ``mode`` (cached) [fraction per source row]."""
        key = (when, SourceMode(mode).value)
        cache: dict[tuple[dt.date, str], np.ndarray] = self.__dict__.setdefault("_shares_cache", {})
        if key not in cache:
            cache[key] = self.network.order_shares(when, mode)
        return cache[key]

    def design_unit_cost_usd(self, design: str, mode: SourceMode | str) -> np.ndarray:
        """Landed cost per unit of each part in the design's own view [USD]."""
        mode = SourceMode(mode).value
        key = (design, mode)
        cache: dict[tuple[str, str], np.ndarray] = self.__dict__.setdefault("_unit_cache", {})
        if key not in cache:
            cache[key] = self.network.part_unit_cost_usd(self.shares_on(self.design_dates[design][mode], mode))
        return cache[key]

    def _per_design(self, fn: Any, design: str | None, mode: SourceMode | str) -> pd.DataFrame:
        designs = [design] if design is not None else self.planned
        if design is not None and design not in self.design_dates:
            from rackforge.errors import UsageError, did_you_mean

            raise UsageError(f"design {design!r} is not in the build plan{did_you_mean(design, self.planned)}")
        frames = [fn(self.structure, self.design_unit_cost_usd(d, mode), d) for d in designs]
        return pd.concat(frames, ignore_index=True) if frames else frames_empty(fn, self.structure)

    @property
    def planned(self) -> list[str]:
        return self.programme.build_plan.designs

    @cached_property
    def used_parts(self) -> np.ndarray:
        """Indexes of the parts any analysed design holds."""
        return np.flatnonzero(self.structure.quantity_per_rack.sum(axis=0) > 0)

    # -- tables ----------------------------------------------------------------------------------
    @cached_property
    def domestic(self) -> DomesticContentTables:
        """Domestic content under the programme's rule (by_year, by_quarter, by_category)."""
        return domestic_content_tables(self.structure, self.network, self.rule, self.quarters, self.racks,
                                       self.programme.integration_site.country, MODES, self.planned)

    @cached_property
    def rules_comparison(self) -> pd.DataFrame:
        """Per rule (the programme's and the compared ones), design, year and mode: content and verdict."""
        frames = []
        for rule in (self.rule, *self.compared_rules):
            table = self.domestic if rule is self.rule else domestic_content_tables(
                self.structure, self.network, rule, self.quarters, self.racks,
                self.programme.integration_site.country, MODES, self.planned)
            by_year = table.by_year.copy()
            by_year.insert(0, "rule", rule.id)
            frames.append(by_year[["rule", "design", "year", "sources", "domestic_content", "threshold",
                                   "meets_threshold"]])
        return pd.concat(frames, ignore_index=True)

    def bom(self, design: str | None = None, mode: SourceMode | str = SourceMode.QUALIFIED) -> pd.DataFrame:
        """Flat BOM of planned designs with landed unit costs in each design's own view
        (see :func:`~rackforge.sourcing.bom.flat_bom` and :attr:`design_dates`)."""
        return self._per_design(flat_bom, design, mode)

    def cost_by_category(self, design: str | None = None,
                         mode: SourceMode | str = SourceMode.QUALIFIED) -> pd.DataFrame:
        """Cost per rack by category, each design in its own view."""
        return self._per_design(cost_by_category, design, mode)

    def cost_by_assembly(self, design: str | None = None,
                         mode: SourceMode | str = SourceMode.QUALIFIED) -> pd.DataFrame:
        """Cost per rack by assembly, each design in its own view."""
        return self._per_design(cost_by_assembly, design, mode)

    def plan_cost(self, mode: SourceMode | str = SourceMode.QUALIFIED) -> pd.DataFrame:
        """Build-plan component cost per quarter and design, with each quarter's own sources."""
        shares = self.network.order_shares_by_date(evaluation_dates(self.quarters), mode)
        unit = self.network.part_unit_cost_usd(shares)
        return plan_cost_by_quarter(self.structure, self.programme.build_plan, unit)

    @cached_property
    def parts(self) -> pd.DataFrame:
        """Concentration of every part the designs hold, in both views.

        Columns: part, name, category, sources (mode), sources_used, suppliers_used, countries_used,
        hhi_supplier, hhi_country, single_source, single_country, unsourced, suppliers, countries,
        lead_time_weeks (longest production + transit over the sources used), alternate_from
        (qualified view: first date an alternate is expected), max_share_of_rack.
        """
        frames = []
        rack_cost = {m: rack_cost_usd(self.structure.quantity_per_rack, self.unit_cost_usd[m]) for m in
                     self.view_shares}
        for mode, share in self.view_shares.items():
            table = self.index.part_table(share).iloc[self.used_parts].copy()
            table.insert(1, "name", [self.structure.part_name[i] for i in self.used_parts])
            table.insert(2, "category", self.structure.part_category[self.used_parts])
            table.insert(3, "sources", mode)
            used = share > 1e-12
            names = _labels_per_part(self.network.source_part[used], self.network.supplier[used],
                                     self.network.n_parts)
            countries = _labels_per_part(self.network.source_part[used], self.network.country[used],
                                         self.network.n_parts)
            table["suppliers"] = [names[i] for i in self.used_parts]
            table["countries"] = [countries[i] for i in self.used_parts]
            table["lead_time_weeks"] = self.network.part_longest_lead_time_weeks(share, SHARE_EPS)[self.used_parts]
            if mode == SourceMode.QUALIFIED.value:
                dates = alternate_dates(self.network, self.as_of)
                table["alternate_from"] = [dates[i] for i in self.used_parts]
            else:
                table["alternate_from"] = None
            per_rack = self.structure.quantity_per_rack[:, self.used_parts] * self.unit_cost_usd[mode][self.used_parts]
            with np.errstate(invalid="ignore", divide="ignore"):
                frac = per_rack / rack_cost[mode][:, None]
            table["max_share_of_rack"] = np.nan_to_num(frac).max(axis=0) if len(frac) else 0.0
            frames.append(table)
        return pd.concat(frames, ignore_index=True)

    def single_source_parts(self, mode: SourceMode | str = SourceMode.QUALIFIED) -> pd.DataFrame:
        """Parts supplied by one supplier (or none), largest share of rack value first."""
        t = self.parts[self.parts["sources"] == SourceMode(mode).value]
        return t[t["single_source"] | t["unsourced"]].sort_values("max_share_of_rack", ascending=False)

    def single_country_parts(self, mode: SourceMode | str = SourceMode.QUALIFIED) -> pd.DataFrame:
        """Parts whose suppliers all sit in one country, largest share of rack value first."""
        t = self.parts[self.parts["sources"] == SourceMode(mode).value]
        return t[t["single_country"]].sort_values("max_share_of_rack", ascending=False)

    @cached_property
    def exposure_arrays(self) -> dict[str, tuple[list[str], np.ndarray]]:
        """Per view: (countries + 'unknown', cost per rack by country [USD] (n_designs × n_countries+1)),
        each planned design's row taken on its own view date; rows of unplanned designs are 0."""
        out = {}
        fallback = self.network.fallback_cost_usd()
        for mode in self.view_shares:
            countries: list[str] = []
            spend = np.zeros((len(self.structure.design_ids), len(self.index.countries) + 1))
            for design in self.planned:
                d = self.structure.design_index[design]
                share = self.shares_on(self.design_dates[design][mode], mode)
                countries, row = self.index.rack_spend_by_country(
                    self.structure.quantity_per_rack[d:d + 1], share, self.network.landed_cost_usd, fallback)
                spend[d] = row[0]
            out[mode] = (countries or [*self.index.countries.tolist(), "unknown"], spend)
        return out

    @cached_property
    def country_exposure(self) -> pd.DataFrame:
        """Share of each design's rack value by country of origin, both views (each design on its
        own view dates, :attr:`design_dates`).

        Columns: design, sources, as_of, country, cost_per_rack_usd, share_of_rack_value.
        """
        rows = []
        for mode, (countries, spend) in self.exposure_arrays.items():
            for design in self.planned:
                d = self.structure.design_index[design]
                total = spend[d].sum()
                for c, country in enumerate(countries):
                    if spend[d, c] > 0:
                        rows.append({"design": design, "sources": mode, "as_of": self.design_dates[design][mode],
                                     "country": country, "cost_per_rack_usd": float(spend[d, c]),
                                     "share_of_rack_value": float(spend[d, c] / total) if total > 0 else 0.0})
        out = pd.DataFrame(rows, columns=["design", "sources", "as_of", "country", "cost_per_rack_usd",
                                          "share_of_rack_value"])
        return out.sort_values(["design", "sources", "share_of_rack_value"], ascending=[True, False, False],
                               ignore_index=True)

    @cached_property
    def category_concentration(self) -> pd.DataFrame:
        """HHI of each category's spend per rack by supplier and by country, per design and view
        (each design on its own view dates)."""
        frames = []
        for mode in self.view_shares:
            for design in self.planned:
                d = self.structure.design_index[design]
                share = self.shares_on(self.design_dates[design][mode], mode)
                t = self.index.category_hhi(self.structure.quantity_per_rack[d:d + 1], self.structure.part_category,
                                            self.structure.categories, share, self.network.landed_cost_usd)
                t = t.drop(columns=["design_row"])
                t.insert(0, "design", design)
                t.insert(1, "sources", mode)
                frames.append(t)
        return pd.concat(frames, ignore_index=True)

    @cached_property
    def lead_time_paths(self) -> pd.DataFrame:
        """The longest lead-time paths through each planned design's BOM (qualified sources, on the
        design's first build quarter)."""
        rows = []
        mode = SourceMode.QUALIFIED.value
        for design in self.planned:
            share = self.shares_on(self.design_dates[design][mode], mode)
            weeks = self.network.part_longest_lead_time_weeks(share, SHARE_EPS)
            lead = {p: float(w) for p, w in zip(self.network.part_ids, weeks, strict=True)}
            for path, part, w in longest_lead_time_paths(self.programme.catalog, design, lead,
                                                         self.lead_time_paths_per_design):
                rows.append({"design": design, "path": path, "part": part, "lead_time_weeks": w})
        return pd.DataFrame(rows, columns=["design", "path", "part", "lead_time_weeks"])

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table by name (for notebooks and the Excel/CSV export)."""
        return {
            "bom": self.bom(),
            "cost_by_category": self.cost_by_category(),
            "cost_by_assembly": self.cost_by_assembly(),
            "plan_cost": self.plan_cost(),
            "domestic_by_year": self.domestic.by_year,
            "domestic_by_quarter": self.domestic.by_quarter,
            "domestic_by_category": self.domestic.by_category,
            "rules_comparison": self.rules_comparison,
            "parts": self.parts,
            "country_exposure": self.country_exposure,
            "category_concentration": self.category_concentration,
            "lead_time_paths": self.lead_time_paths,
        }

    # -- JSON ------------------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        """The documented JSON of ``rackforge sourcing --json`` (see docs/sourcing.md)."""
        by_year = self.domestic.by_year
        by_cat = self.domestic.by_category
        rack_cost = {d: float(self.structure.quantity_per_rack[self.structure.design_index[d]]
                              @ self.design_unit_cost_usd(d, SourceMode.QUALIFIED)) for d in self.planned}
        designs = []
        for design in self.planned:
            years = []
            for year in sorted(set(by_year.loc[by_year["design"] == design, "year"].tolist())):
                entry: dict[str, Any] = {}
                for mode in MODES:
                    row = by_year[(by_year["design"] == design) & (by_year["year"] == year)
                                  & (by_year["sources"] == mode.value)].iloc[0]
                    cats = by_cat[(by_cat["design"] == design) & (by_cat["year"] == year)
                                  & (by_cat["sources"] == mode.value)]
                    figures = {
                        "domestic_content": _round(row["domestic_content"]),
                        "meets_threshold": bool(row["meets_threshold"]),
                        "meets_fallback": bool(row["meets_fallback"]),
                        "domestic_cost_per_rack_usd": _round(row["domestic_cost_per_rack_usd"], 2),
                        "component_cost_per_rack_usd": _round(row["component_cost_per_rack_usd"], 2),
                        "by_category": {c: _round(v) for c, v in zip(cats["category"], cats["domestic_content"],
                                                                      strict=True)},
                    }
                    if mode is SourceMode.QUALIFIED:
                        entry = {"year": year, "racks": int(row["racks"]), **figures,
                                 "threshold": _none(row["threshold"]),
                                 "fallback_threshold": _none(row["fallback_threshold"])}
                        # keep the key order: content, threshold, verdict first
                        entry = {k: entry[k] for k in ("year", "racks", "domestic_content", "threshold",
                                                       "meets_threshold", "fallback_threshold", "meets_fallback",
                                                       "by_category", "domestic_cost_per_rack_usd",
                                                       "component_cost_per_rack_usd")}
                    else:
                        entry["with_alternates"] = figures
                years.append(entry)
            designs.append({"design": design, "name": self.programme.catalog.designs[design].name,
                            "first_quarter_date": self.design_dates[design][SourceMode.QUALIFIED.value].isoformat(),
                            "cost_per_rack_usd": _round(rack_cost[design], 2), "years": years})
        return {
            "programme": self.programme.info.name,
            "integration_site": {"id": self.programme.integration_site.id,
                                 "country": self.programme.integration_site.country},
            "rule": {"id": self.rule.id, "name": self.rule.name, "method": self.rule.method,
                     "comparison": self.rule.comparison, "source": self.rule.source},
            "as_of": self.as_of.isoformat(),
            "horizon": self.horizon.isoformat(),
            "designs": designs,
            "single_source_parts": _records(self._part_view(self.single_source_parts())),
            "single_country_parts": _records(self._part_view(self.single_country_parts())),
            "country_exposure": self._exposure_json(),
            "category_concentration": _records(self.category_concentration.round(
                {"hhi_supplier": 1, "hhi_country": 1, "spend_per_rack_usd": 2})),
            "lead_time_paths": _records(self.lead_time_paths),
            "compared_rules": _records(self.rules_comparison[self.rules_comparison["rule"] != self.rule.id]
                                       .round({"domestic_content": 6})),
            "missing_lanes": [{"origin": o, "destination": d} for o, d in self.network.missing_lanes],
        }

    def _part_view(self, table: pd.DataFrame) -> pd.DataFrame:
        alternates = self.parts[self.parts["sources"] == SourceMode.ALTERNATES.value].set_index("part")
        out = table[["part", "name", "category", "suppliers", "countries", "lead_time_weeks", "alternate_from",
                     "max_share_of_rack"]].copy()
        out["single_source_with_alternates"] = [bool(alternates.loc[p, "single_source"] or
                                                     alternates.loc[p, "unsourced"]) for p in out["part"]]
        out["max_share_of_rack"] = out["max_share_of_rack"].round(6)
        return out

    def _exposure_json(self) -> list[dict[str, Any]]:
        q = self.country_exposure[self.country_exposure["sources"] == SourceMode.QUALIFIED.value]
        a = self.country_exposure[self.country_exposure["sources"] == SourceMode.ALTERNATES.value]
        alt = {(r.design, r.country): r.share_of_rack_value for r in a.itertuples()}
        rows = []
        for r in q.itertuples():
            rows.append({"design": r.design, "country": r.country,
                         "share_of_rack_value": _round(r.share_of_rack_value),
                         "cost_per_rack_usd": _round(r.cost_per_rack_usd, 2),
                         "with_alternates_share": _round(alt.get((r.design, r.country), 0.0))})
        for (design, country), share in alt.items():
            if not ((q["design"] == design) & (q["country"] == country)).any():
                rows.append({"design": design, "country": country, "share_of_rack_value": 0.0,
                             "cost_per_rack_usd": 0.0, "with_alternates_share": _round(share)})
        return rows


def frames_empty(fn: Any, structure: BomStructure) -> pd.DataFrame:
    """The empty table ``fn`` makes (same columns), for a plan with no designs."""
    return pd.DataFrame(columns=fn(structure, np.zeros(len(structure.part_ids)), None).columns)


def _labels_per_part(part: np.ndarray, labels: np.ndarray, n_parts: int) -> list[str]:
    out: list[set[str]] = [set() for _ in range(n_parts)]
    for p, label in zip(part.tolist(), labels.tolist(), strict=True):
        out[p].add(label)
    return [", ".join(sorted(s)) for s in out]


def _round(value: Any, digits: int = 6) -> float:
    return round(float(value), digits)


def _none(value: Any) -> float | None:
    return None if value is None or (isinstance(value, float) and np.isnan(value)) else float(value)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    out = []
    for row in frame.to_dict(orient="records"):
        clean: dict[str, Any] = {}
        for k, v in row.items():
            if isinstance(v, float) and np.isnan(v):
                v = None
            elif isinstance(v, np.generic):
                v = v.item()
            elif isinstance(v, dt.date):
                v = v.isoformat()
            clean[str(k)] = v
        out.append(clean)
    return out


def analyse_sourcing(programme: Programme, rule: DomesticContentRule | None = None,
                     compare: Sequence[DomesticContentRule] | None = None,
                     structure: BomStructure | None = None,
                     network: SupplyView | None = None) -> SourcingAnalysis:
    """Analyse the sourcing of a programme's planned designs (see module docstring).

    ``rule`` defaults to the programme's ``rules.domestic_content`` (FAR 25.101 if none);
    ``compare`` to its ``rules.compare``.
    """
    from rackforge.calendar import quarter_start

    rule = rule or programme_rule(programme.rules)
    if compare is None:
        compare = programme.rules.compare if programme.rules is not None else ()
    structure = structure or BomStructure.from_catalog(programme.catalog, programme.build_plan.designs)
    network = network or SupplyView.from_programme(programme, structure.part_ids)
    quarters = tuple(programme.build_plan.quarter_list)
    return SourcingAnalysis(
        programme=programme, structure=structure, network=network, rule=rule,
        compared_rules=tuple(r for r in compare if r.id != rule.id),
        quarters=quarters, racks=racks_by_quarter(structure, programme.build_plan),
        as_of=quarter_start(quarters[0]), horizon=quarter_start(quarters[-1]))
