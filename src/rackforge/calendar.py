"""Quarters and weeks: the programme's calendar, defined once.

A quarter is written ``2027Q1``; its first and last days are :func:`quarter_start` and
:func:`quarter_end`. :data:`WEEKS_PER_QUARTER` converts rates per quarter to rates per week.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated

from pydantic import AfterValidator

WEEKS_PER_QUARTER = 52.1775 / 4.0
"""Weeks in an average quarter of the Gregorian calendar [weeks] (365.2425 d / 7 / 4)."""

_QUARTER = re.compile(r"^(\d{4})Q([1-4])$")

FIRST_YEAR = 2000
"""Earliest year a quarter may name: the calendar's sane range starts here."""

LAST_YEAR = 2100
"""Latest year a quarter may name; plans, lead times and dates beyond it are typos, and date
arithmetic near year 9999 would overflow."""


def _check_quarter(value: str) -> str:
    """``value`` if it is a quarter like ``2027Q1`` within FIRST_YEAR..LAST_YEAR; else ``ValueError``."""
    match = _QUARTER.match(value)
    if not match:
        raise ValueError(f"{value!r} is not a quarter; write it like 2027Q1")
    year = int(match.group(1))
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValueError(f"{value!r} is outside the calendar: quarters run from {FIRST_YEAR}Q1 to {LAST_YEAR}Q4")
    return value


Quarter = Annotated[str, AfterValidator(_check_quarter)]


def quarter_start(quarter: str) -> dt.date:
    """First day of a quarter such as ``2027Q3`` -> 2027-07-01."""
    match = _QUARTER.match(quarter)
    if not match:
        raise ValueError(f"bad quarter {quarter!r}")
    return dt.date(int(match.group(1)), 3 * int(match.group(2)) - 2, 1)


def quarter_end(quarter: str) -> dt.date:
    """Last day of a quarter [date]."""
    start = quarter_start(quarter)
    month = start.month + 3
    year = start.year + (month > 12)
    return dt.date(year, (month - 1) % 12 + 1, 1) - dt.timedelta(days=1)
