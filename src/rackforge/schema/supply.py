"""Suppliers, their manufacturing sites, and the sources that tie a part to a site."""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, Field, model_validator

from rackforge.schema.base import Id, Sourced
from rackforge.units import Fraction, Usd, Weeks


def _check_country(value: str) -> str:
    if not re.fullmatch(r"[A-Z]{2}", value):
        raise ValueError(f"{value!r} is not an ISO 3166-1 alpha-2 country code (e.g. US, TW, MX)")
    return value


CountryCode = Annotated[str, AfterValidator(_check_country)]


class Supplier(Sourced):
    """A company that makes parts or integrates systems."""

    id: Id
    name: str
    hq_country: CountryCode
    website: str | None = None


class Site(Sourced):
    """A manufacturing, packaging, test or integration site of a supplier."""

    id: Id
    name: str
    supplier: Id
    country: CountryCode
    region: str = Field(description="e.g. 'East Asia', 'North America', 'Southeast Asia', 'Europe'")
    city: str = ""
    capabilities: tuple[str, ...] = Field((), description="what the site does, e.g. 'rack-integration'")
    operational_from: dt.date | None = Field(None, description="first production, when in the future")


class Qualification(StrEnum):
    """Where a source stands: only qualified sources ship; others count from their date."""

    QUALIFIED = "qualified"
    QUALIFYING = "qualifying"
    PLANNED = "planned"
    DISQUALIFIED = "disqualified"


class Source(Sourced):
    """A site that makes (or could make) a part for this programme."""

    part: Id
    site: Id
    price_usd: Usd = Field(description="unit price ex works")
    lead_time_weeks: Weeks
    capacity_per_quarter: float = Field(ge=0, description="units the site can supply to us per quarter")
    moq: float = Field(0, ge=0, description="minimum order quantity per order [units]")
    share: Fraction | None = Field(None, description="planned share of the part's demand")
    qualification: Qualification = Qualification.QUALIFIED
    qualified_date: dt.date | None = Field(None, description="date qualified, or expected")
    freight_usd: Usd | None = Field(None, description="transport to the integration site per unit; "
                                    "default from the trade lanes")
    duty_rate: Fraction | None = Field(None, description="ad-valorem duty; default from the trade lanes")
    open_cost_usd: Usd = Field(0, description="fixed cost to open or qualify this source")
    open_lead_time_weeks: Weeks = Field(0, description="time from the decision to open until first shipment")

    @model_validator(mode="after")
    def _dated_when_not_qualified(self) -> Source:
        if self.qualification in (Qualification.QUALIFYING, Qualification.PLANNED) and self.qualified_date is None:
            raise ValueError(f"a {self.qualification.value} source needs qualified_date (expected date)")
        return self


class TradeLane(Sourced):
    """Transport and duty from an origin country to a destination country."""

    origin: CountryCode
    destination: CountryCode
    freight_rate: Fraction = Field(description="transport cost as a share of the ex-works price")
    duty_rate: Fraction = Field(description="ad-valorem duty")
    transit_weeks: Weeks = 0.0
