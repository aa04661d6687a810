"""Domestic-content rules as data: thresholds by year, fallback, what counts as domestic.

A rule says how to turn a rack's component costs into one percentage and what that
percentage must reach. Three ship as YAML data in ``rackforge/schema/data/rules``:

- ``far-25.101``: Buy American component test, FAR 25.101 (FAR case 2021-008, effective
  2022-10-25): the end product is manufactured in the US and the cost of its domestic
  components *exceeds* 60% (2022–2023), 65% (2024–2028), 75% (2029 on); fallback 55% until
  2030-01-01 when no offer meets the threshold. Cost of components (FAR 25.003) includes
  transport to the place of incorporation and duty; components of unknown origin are foreign.
- ``ira-adjusted-percentage``: an IRA-style domestic-content bonus test (IRS Notice 2023-38):
  domestic manufactured-product cost is *not less than* an adjusted percentage rising by year.
- ``usmca-rvc-tv``: a USMCA-style regional value content, RVC = (TV − VNM) / TV, with US, CA
  and MX originating and a value added at integration.

A programme selects or defines its rule in a ``rules:`` section::

    rules:
      domestic_content: far-25.101          # a built-in rule by id, or a full rule mapping
      compare: [ira-adjusted-percentage]    # more rules reported alongside

This module is pure pydantic (no numpy): the programme model holds a :class:`Rules`. The analyses
that apply a rule live in :mod:`rackforge.sourcing.domestic`.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, model_validator

from rackforge.schema.base import Id, Model, Sourced
from rackforge.schema.supply import CountryCode
from rackforge.units import Fraction

RULES_DIR = Path(__file__).parent / "data" / "rules"
"""Folder of the built-in rule files (one rule per ``<id>.yaml``, top-level key ``rule``)."""

DEFAULT_RULE_ID = "far-25.101"

COMPARISON_TOLERANCE = 1e-9
"""Shares within this of the threshold are taken as *equal* to it [fraction]: ratios of sums of
prices carry floating-point noise of ~1e-16, far below it, and real figures never differ by less."""


class ThresholdStep(Model):
    """From ``from_year`` on (until the next step), the share must pass ``threshold``."""

    from_year: int = Field(ge=1990, le=2100)
    threshold: Fraction


class Fallback(Model):
    """A lower threshold allowed for deliveries before ``until`` (e.g. when no offer meets the main one)."""

    threshold: Fraction
    until: dt.date = Field(description="deliveries on or after this date get no fallback")
    condition: str = Field("", description="when the fallback may be used, in words")


class DomesticContentRule(Sourced):
    """One domestic-content test, as data.

    ``method``:

    - ``component-cost``: share = domestic component cost / cost of all components.
    - ``regional-value-content``: RVC = (V − VNM) / V with V = component cost × (1 +
      ``value_added_fraction``) and VNM the non-originating component cost; with a value added
      of 0 it equals ``component-cost`` over ``domestic_countries``.

    ``comparison``: ``exceeds`` (strictly more than the threshold, FAR 25.101's "exceeds") or
    ``at-least`` (IRA "not less than", USMCA "not less than").
    """

    id: Id
    name: str
    method: Literal["component-cost", "regional-value-content"] = "component-cost"
    comparison: Literal["exceeds", "at-least"] = "exceeds"
    thresholds: tuple[ThresholdStep, ...] = Field(min_length=1, description="in increasing from_year")
    fallback: Fallback | None = None
    domestic_countries: tuple[CountryCode, ...] = Field(("US",), min_length=1,
                                                        description="origins that count as domestic")
    end_product_countries: tuple[CountryCode, ...] = Field(
        ("US",), description="where the end product must be made (the integration site); empty: anywhere")
    unknown_origin: Literal["foreign", "excluded"] = Field(
        "foreign", description="components with no known source: counted as foreign, or left out of both sums")
    include_transport: bool = Field(True, description="cost of components includes transport to the integration site")
    include_duty: bool = Field(True, description="cost of components includes import duty")
    value_added_fraction: float = Field(0.0, ge=0, le=10,
                                        description="regional-value-content only: value added at integration "
                                        "as a share of component cost")
    notes: str = ""

    @model_validator(mode="after")
    def _steps_in_order(self) -> DomesticContentRule:
        years = [s.from_year for s in self.thresholds]
        if years != sorted(set(years)):
            raise ValueError(f"thresholds must be in strictly increasing from_year, got {years}")
        if self.method == "component-cost" and self.value_added_fraction:
            raise ValueError("value_added_fraction applies only to method 'regional-value-content'")
        return self

    def threshold_for(self, year: int) -> float | None:
        """The threshold in force in ``year`` [fraction], or None before the first step."""
        current = None
        for step in self.thresholds:
            if step.from_year <= year:
                current = step.threshold
        return current

    def fallback_for(self, year: int) -> float | None:
        """The fallback threshold for deliveries in ``year`` [fraction], if any.

        The fallback covers a year only when the whole year is before ``fallback.until``
        (FAR 25.101: 55% until 2030-01-01, so through 2029).
        """
        if self.fallback is None or dt.date(year, 12, 31) >= self.fallback.until:
            return None
        return self.fallback.threshold

    def passes(self, share: float, threshold: float | None) -> bool:
        """True if ``share`` [fraction] passes ``threshold`` under this rule's comparison."""
        if threshold is None:
            return False
        if self.comparison == "exceeds":
            return share - threshold > COMPARISON_TOLERANCE
        return share - threshold >= -COMPARISON_TOLERANCE

    def end_product_ok(self, country: str) -> bool:
        """True if an end product made in ``country`` can qualify at all."""
        return not self.end_product_countries or country in self.end_product_countries


@cache
def builtin_rules() -> dict[str, DomesticContentRule]:
    """The rules shipped with rackforge, by id (read once from ``data/rules/*.yaml``)."""
    from rackforge.errors import InputError, Problem
    from rackforge.schema.shipped import read_shipped_yaml

    out: dict[str, DomesticContentRule] = {}
    for path in sorted(RULES_DIR.glob("*.yaml")):
        data = read_shipped_yaml(path)
        try:
            rule = DomesticContentRule.model_validate(data["rule"])
        except Exception as exc:  # a broken built-in file is a packaging bug; say where
            raise InputError([Problem(f"rackforge/schema/data/rules/{path.name}", None, "rule", str(exc))]) from exc
        out[rule.id] = rule
    return out


def _rule_from_id(value: Any) -> Any:
    """Replace a built-in rule id by the rule it names; leave mappings for normal validation."""
    if not isinstance(value, str):
        return value
    known = builtin_rules()
    if value not in known:
        from rackforge.errors import did_you_mean, valid_list

        raise ValueError(f"no built-in domestic-content rule {value!r}{did_you_mean(value, known)}; "
                         f"{valid_list(known)}; or write the rule out in full")
    return known[value]


RuleSpec = Annotated[DomesticContentRule,
                     BeforeValidator(_rule_from_id, json_schema_input_type=str | DomesticContentRule)]
"""A rule given by built-in id (``far-25.101``) or written out in full."""


def resolve_rule(spec: str | DomesticContentRule | None) -> DomesticContentRule:
    """A rule from its id or definition; None gives the default FAR 25.101 rule."""
    if spec is None:
        spec = DEFAULT_RULE_ID
    if isinstance(spec, str):
        rule: DomesticContentRule = _rule_from_id(spec)
        return rule
    return spec


class Rules(Model):
    """The ``rules:`` section of a programme: the domestic-content rule to apply and others to compare."""

    domestic_content: RuleSpec = Field(default_factory=lambda: resolve_rule(None),
                                       description="a built-in rule id or a full rule (default far-25.101)")
    compare: tuple[RuleSpec, ...] = Field((), description="more rules reported alongside")

    @property
    def rule(self) -> DomesticContentRule:
        """The rule in force."""
        return self.domestic_content


def programme_rule(rules: Any) -> DomesticContentRule:
    """The domestic-content rule of a programme's ``rules`` field (None: FAR 25.101)."""
    if isinstance(rules, Rules):
        return rules.rule
    return resolve_rule(None)
