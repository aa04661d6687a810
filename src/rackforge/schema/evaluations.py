"""The ``evaluations:`` section of a programme: early-access systems, criteria, option terms, decisions.

```yaml
evaluations:
  as_of: 2026-11-24
  tco: {years: 5, maintenance_fraction_per_year: 8%, source: "estimate: ..."}
  criteria:
    - {id: performance_per_watt, weight: 0.25}
    - {id: tco_per_gpu_hour, weight: 0.25}
    - {id: test_yield, weight: 0.1}
  systems:
    - id: gb300-foxconn
      design: gb300-nvl72
      vendor: Foxconn
      option: {option_price_usd: 2 MUSD, price_per_rack_usd: 3.9 MUSD, racks: 120, exercise_by: 2027-03-31}
      values: {test_yield: 0.91}
      source: "early-access test report EA-17, 2026-10"
  decisions:
    - {system: gb300-foxconn, action: defer, date: 2026-11-20, by: "A. Rivera, programme manager",
       rationale: "wait for the second leak-test lot before committing"}
```
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Literal

from pydantic import Field, PositiveInt, model_validator

from rackforge.schema.base import Id, Model, Sourced
from rackforge.units import Fraction, Usd


class TcoAssumptions(Sourced):
    """Stated rates for TCO; every figure needs a source or an estimate with its reasoning.

    PUE and electricity price come from the programme's facility unless given here.
    """

    years: PositiveInt = Field(5, le=30, description="service life over which TCO is counted")
    discount_rate: Fraction = Field(0.0, description="yearly discount rate for present values (0 = none)")
    availability: Fraction = Field(1.0, description="share of hours a GPU is in service (for GPU-hours)")
    maintenance_fraction_per_year: Fraction = Field(
        0.08, description="IT hardware maintenance and support per year as a share of hardware capital")
    cooling_om_usd_per_kw_year: float = Field(
        40.0, ge=0, description="liquid/air cooling operations and maintenance per kW of IT load per year")
    integration_usd_per_rack: Usd = Field(0.0, description="rack integration, test and logistics per rack")
    pue: float | None = Field(None, ge=1.0, le=3.0, description="overrides facility.pue")
    electricity_usd_per_kwh: float | None = Field(None, ge=0, description="overrides the facility's price")


DEFAULT_TCO_ASSUMPTIONS = TcoAssumptions(
    source=("estimate: 5-year service life is the common depreciation period for AI servers; 8%/year hardware "
            "support is the middle of typical OEM support contracts (5-12% of list per year); 40 USD per kW-year "
            "for cooling O&M is about 2.5% per year of a ~1,500 USD/kW liquid-cooling plant; no discounting"),
)
"""Used when a programme states no ``evaluations.tco`` assumptions."""


class CriterionId(StrEnum):
    """Criteria rackforge knows how to compute (others may be given in data with ``better``)."""

    PERFORMANCE_PER_WATT = "performance_per_watt"
    TCO_PER_GPU_HOUR = "tco_per_gpu_hour"
    DOMESTIC_CONTENT = "domestic_content"
    RISK = "risk"
    READINESS = "readiness"
    TEST_YIELD = "test_yield"


BUILTIN_CRITERIA: dict[str, tuple[Literal["higher", "lower"], str, str]] = {
    CriterionId.PERFORMANCE_PER_WATT: ("higher", "TFLOPS/W",
                                       "published peak throughput per watt of rack IT power at full load"),
    CriterionId.TCO_PER_GPU_HOUR: ("lower", "USD/GPU-h", "levelised TCO per GPU-hour over the service life"),
    CriterionId.DOMESTIC_CONTENT: ("higher", "fraction", "share of component cost made in the US"),
    CriterionId.RISK: ("lower", "index 0-1", "supply risk exposure (0 = none, 1 = worst)"),
    CriterionId.READINESS: ("higher", "MRL 1-10", "manufacturing readiness level of the least ready part"),
    CriterionId.TEST_YIELD: ("higher", "fraction", "first-pass rack test yield"),
}
"""Built-in criterion -> (which direction is better, unit, what it measures)."""


class EvaluationCriterion(Model):
    """A weighted criterion. Built-in ids know their direction; others must say ``better``."""

    id: Id
    weight: float = Field(ge=0, description="relative weight; weights are normalised to sum to 1")
    better: Literal["higher", "lower"] | None = Field(None, description="required for criteria not built in")
    unit: str = ""
    description: str = ""

    @model_validator(mode="after")
    def _direction_known(self) -> EvaluationCriterion:
        if self.id not in BUILTIN_CRITERIA and self.better is None:
            raise ValueError(f"criterion {self.id!r} is not built in ({', '.join(BUILTIN_CRITERIA)}); "
                             "say whether 'higher' or 'lower' is better with 'better:'")
        return self

    @property
    def direction(self) -> Literal["higher", "lower"]:
        """Which way is better."""
        return self.better or BUILTIN_CRITERIA[self.id][0]

    @property
    def unit_label(self) -> str:
        """Unit of the raw values."""
        return self.unit or (BUILTIN_CRITERIA[self.id][1] if self.id in BUILTIN_CRITERIA else "")


class OptionTerms(Model):
    """The option to buy that comes with early access."""

    option_price_usd: Usd = Field(0.0, description="price paid for the option itself (premium), sunk")
    price_per_rack_usd: Usd | None = Field(None, description="price per rack if the option is exercised")
    racks: PositiveInt | None = Field(None, description="racks the option covers")
    exercise_by: dt.date = Field(description="last day to exercise the option")


class EvaluatedSystem(Sourced):
    """A system on early access: a design from a vendor, with its option terms and measured values."""

    id: Id
    design: Id = Field(description="rack design id (catalog or programme)")
    vendor: str
    access: Literal["early-access", "loaner", "production", "paper"] = "early-access"
    units: int = Field(0, ge=0, description="early-access units on hand")
    option: OptionTerms | None = None
    values: dict[str, float] = Field(default_factory=dict,
                                     description="criterion values stated in data (override computed ones)")
    notes: str = ""


class DecisionAction(StrEnum):
    EXERCISE = "exercise"
    DEFER = "defer"
    DECLINE = "decline"


class Decision(Model):
    """One entry of the decision record: what was decided about an option, when, by whom and why."""

    system: Id
    action: DecisionAction
    date: dt.date
    by: str = Field(min_length=2)
    rationale: str = Field(min_length=10)
    racks: PositiveInt | None = None


class Evaluations(Model):
    """Early-access evaluation: the systems, the criteria and their weights, and the decisions made."""

    as_of: dt.date | None = Field(None, description="date the evaluation stands at (default: today)")
    normalisation: Literal["minmax", "ratio"] = "minmax"
    tco: TcoAssumptions | None = None
    criteria: tuple[EvaluationCriterion, ...] = Field(min_length=1)
    systems: tuple[EvaluatedSystem, ...] = Field(min_length=1)
    decisions: tuple[Decision, ...] = ()

    @model_validator(mode="after")
    def _some_weight(self) -> Evaluations:
        if sum(c.weight for c in self.criteria) <= 0:
            raise ValueError("at least one criterion needs a weight above 0")
        return self

    @property
    def weights(self) -> dict[str, float]:
        """Criterion weights normalised to sum to 1."""
        total = sum(c.weight for c in self.criteria)
        return {c.id: c.weight / total for c in self.criteria}

    def system(self, ident: str) -> EvaluatedSystem:
        """An evaluated system by id."""
        return next(s for s in self.systems if s.id == ident)
