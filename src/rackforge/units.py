"""Quantities with units at the input boundary.

Inside rackforge every quantity is a float in one canonical unit, named in the field
(``power_w``, ``mass_kg``, ``flow_lpm``). Input files may instead write a string with a unit
("132 kW", "1.5 L/min", "3,000 lb"); :func:`parse_quantity` converts it, and a unit of the
wrong dimension or a string with no unit is an error naming the units that would be valid.
A bare number is taken to be in the field's canonical unit.

Conversion factors are exact by definition (SI prefixes, international pound 0.45359237 kg,
inch 25.4 mm, US gallon 3.785411784 L, psi 6.894757 kPa) except where noted.
"""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BeforeValidator, Field, WithJsonSchema

# canonical unit -> {accepted spelling: factor to canonical}. Spellings are matched
# case-sensitively first (mW vs MW), then case-insensitively when unambiguous.
UNITS: dict[str, dict[str, float]] = {
    "W": {"W": 1.0, "kW": 1e3, "MW": 1e6, "mW": 1e-3},
    "V": {"V": 1.0, "kV": 1e3, "mV": 1e-3, "VDC": 1.0, "VAC": 1.0},
    "A": {"A": 1.0, "kA": 1e3, "mA": 1e-3},
    "kg": {"kg": 1.0, "g": 1e-3, "t": 1e3, "lb": 0.45359237, "lbs": 0.45359237},
    "mm": {"mm": 1.0, "cm": 10.0, "m": 1e3, "in": 25.4},
    "m": {"m": 1.0, "km": 1e3, "cm": 1e-2, "mm": 1e-3, "ft": 0.3048, "mi": 1609.344},
    "lpm": {"L/min": 1.0, "l/min": 1.0, "lpm": 1.0, "m3/h": 1000.0 / 60.0, "m³/h": 1000.0 / 60.0,
            "gpm": 3.785411784},
    "C": {"°C": 1.0, "C": 1.0, "degC": 1.0},
    "K": {"K": 1.0, "°C": 1.0, "C": 1.0, "degC": 1.0},
    "weeks": {"weeks": 1.0, "week": 1.0, "wk": 1.0, "w": 1.0, "days": 1.0 / 7.0, "day": 1.0 / 7.0,
              "d": 1.0 / 7.0, "months": 52.1775 / 12.0, "month": 52.1775 / 12.0,
              "quarters": 52.1775 / 4.0, "years": 52.1775, "year": 52.1775},
    "s": {"s": 1.0, "ms": 1e-3, "min": 60.0, "h": 3600.0},
    "h": {"h": 1.0, "min": 1.0 / 60.0, "s": 1.0 / 3600.0, "d": 24.0, "days": 24.0},
    "usd": {"USD": 1.0, "$": 1.0, "kUSD": 1e3, "MUSD": 1e6},
    "gbps": {"Gb/s": 1.0, "Gbps": 1.0, "Tb/s": 1e3, "Tbps": 1e3, "G": 1.0},
    "wh": {"Wh": 1.0, "kWh": 1e3},
    "kg_m2": {"kg/m2": 1.0, "kg/m²": 1.0, "lb/ft2": 4.882427636, "lb/ft²": 4.882427636},
    "kpa": {"kPa": 1.0, "bar": 100.0, "psi": 6.894757293},
    "cfm": {"CFM": 1.0, "cfm": 1.0, "m3/h": 1.0 / 1.699010796, "m³/h": 1.0 / 1.699010796},
    "fraction": {"%": 0.01},
    "usd_per_kwh": {"USD/kWh": 1.0, "$/kWh": 1.0},
}

MAX_MAGNITUDE = 1e15
"""Largest absolute value of any quantity in its canonical unit (1 PW, 10^15 USD, 10^15 kg): anything
larger is a typo or an overflow, never a rack programme's figure."""

_NUMBER = r"[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d*)?(?:[eE][-+]?\d+)?|[-+]?\.\d+(?:[eE][-+]?\d+)?"
_QUANTITY = re.compile(rf"^\s*(?P<num>{_NUMBER})\s*(?P<unit>\S.*?)?\s*$")


def parse_quantity(value: Any, canonical: str) -> float:
    """Convert ``value`` to the canonical unit ``canonical`` [canonical unit].

    A bare int or float is already in the canonical unit. A string must be a number followed
    by a unit of the same dimension ("132 kW" -> 132000.0 for ``W``). Raises ``ValueError``
    with the valid units otherwise (pydantic turns it into a located input error).
    """
    if isinstance(value, bool):
        raise ValueError(f"expected a number in {canonical} or a value with a unit, got {value!r}")
    if isinstance(value, int | float):
        return _finite(float(value), value, canonical)
    if not isinstance(value, str):
        raise ValueError(f"expected a number in {canonical} or a string like '12 {canonical}', "
                         f"got {type(value).__name__}")
    table = UNITS[canonical]
    match = _QUANTITY.match(value)
    if not match:
        raise ValueError(f"{value!r} is not a number with a unit; write e.g. '12 {_example(canonical)}'")
    number = float(match.group("num").replace(",", ""))
    unit = match.group("unit")
    if unit is None:
        if canonical == "fraction":
            return number
        raise ValueError(f"{value!r} has no unit; write a plain number (in {canonical}) or add one of: "
                         f"{', '.join(table)}")
    factor = table.get(unit)
    if factor is None:
        folded = {k.lower(): v for k, v in table.items()}
        if len({k.lower() for k in table}) == len(table):
            factor = folded.get(unit.lower())
    if factor is None:
        raise ValueError(f"unit {unit!r} is not a unit of this quantity; valid units: {', '.join(table)}")
    return _finite(number * factor, value, canonical)


def _finite(number: float, written: Any, canonical: str) -> float:
    """``number`` if it is finite and within :data:`MAX_MAGNITUDE`; else a ``ValueError`` naming ``written``."""
    if not math.isfinite(number):
        raise ValueError(f"{written!r} is not a finite number; write a finite value in {canonical} "
                         "(.inf, .nan and overflowing numbers such as 1e400 are refused)")
    if abs(number) > MAX_MAGNITUDE:
        raise ValueError(f"{written!r} is {number:.3g} {canonical}, beyond the largest accepted magnitude "
                         f"{MAX_MAGNITUDE:.0e}; check the number and its unit")
    return number


def _example(canonical: str) -> str:
    return next(iter(UNITS[canonical]))


def _quantity_type(canonical: str, **constraints: Any) -> Any:
    """An annotated float type that accepts a number or a string with a unit."""
    units = ", ".join(UNITS[canonical])
    schema = {
        "anyOf": [
            {"type": "number"},
            {"type": "string", "pattern": r"^\s*[-+]?[0-9.,]+(e[-+]?[0-9]+)?\s*\S+.*$",
             "description": f"a number with one of the units: {units}"},
        ]
    }
    return Annotated[
        float,
        BeforeValidator(lambda v: parse_quantity(v, canonical)),
        Field(**constraints),
        WithJsonSchema(schema),
    ]


# Field types, one per canonical unit. Non-negative unless the quantity may be negative.
# Type checkers see plain floats (what the field holds after validation); at run time each is an
# annotated float that also accepts a string with a unit.
if TYPE_CHECKING:
    Watts = float
    Volts = float
    Amps = float
    Kilograms = float
    Millimetres = float
    Metres = float
    LitresPerMinute = float
    Celsius = float
    Kelvin = float
    Weeks = float
    Seconds = float
    Hours = float
    Usd = float
    Gbps = float
    WattHours = float
    KgPerM2 = float
    KiloPascal = float
    Cfm = float
    Fraction = float
    UsdPerKwh = float
else:
    Watts = _quantity_type("W", ge=0)
    Volts = _quantity_type("V", gt=0)
    Amps = _quantity_type("A", gt=0)
    Kilograms = _quantity_type("kg", ge=0)
    Millimetres = _quantity_type("mm", gt=0)
    Metres = _quantity_type("m", ge=0)
    LitresPerMinute = _quantity_type("lpm", ge=0)
    Celsius = _quantity_type("C", ge=-50, le=150)
    Kelvin = _quantity_type("K", gt=0, le=100)
    Weeks = _quantity_type("weeks", ge=0)
    Seconds = _quantity_type("s", ge=0)
    Hours = _quantity_type("h", ge=0)
    Usd = _quantity_type("usd", ge=0)
    Gbps = _quantity_type("gbps", gt=0)
    WattHours = _quantity_type("wh", ge=0)
    KgPerM2 = _quantity_type("kg_m2", gt=0)
    KiloPascal = _quantity_type("kpa", ge=0)
    Cfm = _quantity_type("cfm", ge=0)
    Fraction = _quantity_type("fraction", ge=0, le=1)
    UsdPerKwh = _quantity_type("usd_per_kwh", ge=0)
