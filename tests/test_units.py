"""Unit conversion at the input boundary: exact factors, clear refusals."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rackforge.units import UNITS, parse_quantity


@pytest.mark.parametrize(
    ("text", "canonical", "expected"),
    [
        ("132 kW", "W", 132_000.0),
        ("54 V", "V", 54.0),
        ("1.5 L/min", "lpm", 1.5),
        ("1360 kg", "kg", 1360.0),
        ("3,000 lb", "kg", 3000 * 0.45359237),  # international pound, exact
        ("1.36 t", "kg", 1360.0),
        ("2 mi", "m", 3218.688),  # 1 mi = 1609.344 m exactly
        ("10 gpm", "lpm", 37.85411784),  # US gallon 3.785411784 L exactly
        ("65%", "fraction", 0.65),
        ("90 s", "s", 90.0),
        ("1.5 min", "s", 90.0),
        ("26 weeks", "weeks", 26.0),
        ("14 days", "weeks", 2.0),
        ("800 Gb/s", "gbps", 800.0),
        ("1.2e3 W", "W", 1200.0),
        ("21 in", "mm", 533.4),
        ("2 bar", "kpa", 200.0),
    ],
)
def test_known_conversions(text: str, canonical: str, expected: float) -> None:
    assert parse_quantity(text, canonical) == pytest.approx(expected, rel=1e-12)


def test_bare_number_is_in_the_canonical_unit() -> None:
    assert parse_quantity(1200, "W") == 1200.0
    assert parse_quantity(0.5, "fraction") == 0.5


@pytest.mark.parametrize(
    ("text", "canonical", "fragment"),
    [
        ("2.7 kg", "W", "not a unit of this quantity"),
        ("1200", "W", "has no unit"),
        ("fast", "W", "not a number with a unit"),
        ("12 furlongs", "m", "not a unit of this quantity"),
    ],
)
def test_refusals_name_the_valid_units(text: str, canonical: str, fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment) as info:
        parse_quantity(text, canonical)
    if "unit of this" in fragment or "no unit" in fragment:
        assert next(iter(UNITS[canonical])) in str(info.value)


def test_booleans_are_not_numbers() -> None:
    with pytest.raises(ValueError):
        parse_quantity(True, "W")


def test_milli_and_mega_are_not_confused() -> None:
    assert parse_quantity("1 MW", "W") == 1e6
    assert parse_quantity("1 mW", "W") == 1e-3


@given(st.floats(min_value=0, max_value=1e6, allow_nan=False), st.sampled_from(sorted(UNITS["W"])))
def test_power_scales_linearly(value: float, unit: str) -> None:
    one = parse_quantity(f"1 {unit}", "W")
    assert parse_quantity(f"{value!r} {unit}", "W") == pytest.approx(value * one, rel=1e-12, abs=1e-12)
