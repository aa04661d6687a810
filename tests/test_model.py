"""The programme model: nested explosion, qualification dates, quarters, spec consistency."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from rackforge.calendar import quarter_end, quarter_start
from rackforge.core.bom import explode
from rackforge.schema import Assembly, Catalog, ConversionSpec, PartType, Qualification, Source

SRC = "estimate: model test fixture"


def part(ident: str) -> PartType:
    return PartType(id=ident, name=ident, category="board", source=SRC)


def assembly(ident: str, items: list[tuple[str, int]]) -> Assembly:
    return Assembly(id=ident, name=ident, kind="module", items=[{"ref": r, "quantity": q} for r, q in items],
                    source=SRC)


@given(st.integers(1, 20), st.integers(1, 20), st.integers(1, 20), st.integers(1, 5))
def test_quantities_multiply_through_three_levels(a: int, b: int, c: int, extra: int) -> None:
    catalog = Catalog(
        parts={"chip": part("chip"), "screw": part("screw")},
        assemblies={
            "board": assembly("board", [("chip", c), ("screw", extra)]),
            "tray": assembly("tray", [("board", b), ("screw", extra)]),
            "shelf": assembly("shelf", [("tray", a)]),
        },
    )
    exploded = explode(catalog, "shelf", quantity=2)
    assert exploded["chip"] == 2 * a * b * c
    assert exploded["screw"] == 2 * (a * b * extra + a * extra)


def test_explode_unknown_ref_is_an_input_error() -> None:
    from rackforge.errors import InputError

    with pytest.raises(InputError, match="unknown design or assembly 'nothing'"):
        explode(Catalog(), "nothing")


def test_qualification_dates() -> None:
    base = {"part": "p", "site": "s", "price_usd": 1, "lead_time_weeks": 1, "capacity_per_quarter": 1,
            "source": SRC}
    from rackforge.core.supply import SourceMode, may_ship_on
    from rackforge.schema import Site

    site = Site(id="s", name="S", supplier="x", country="US", region="North America", source=SRC)
    late_site = site.model_copy(update={"operational_from": dt.date(2028, 1, 1)})
    planned = Source(**base, qualification="planned", qualified_date=dt.date(2027, 7, 1))
    assert not may_ship_on(planned, site, dt.date(2027, 6, 30)) and may_ship_on(planned, site, dt.date(2027, 7, 1))
    assert not may_ship_on(planned, site, dt.date(2027, 7, 1), SourceMode.QUALIFIED)  # an alternate, not qualified
    assert may_ship_on(Source(**base), site, dt.date(2000, 1, 1), SourceMode.QUALIFIED)
    assert not may_ship_on(Source(**base, qualification=Qualification.DISQUALIFIED), site, dt.date(2030, 1, 1))
    # the site's first production bounds every source made there, qualified or not
    assert not may_ship_on(Source(**base), late_site, dt.date(2027, 12, 31), SourceMode.QUALIFIED)
    assert may_ship_on(Source(**base), late_site, dt.date(2028, 1, 1), SourceMode.QUALIFIED)
    assert not may_ship_on(planned, late_site, dt.date(2027, 7, 1))
    with pytest.raises(ValidationError, match="needs qualified_date"):
        Source(**base, qualification="qualifying")


def test_quarters() -> None:
    assert quarter_start("2027Q3") == dt.date(2027, 7, 1)
    assert quarter_end("2027Q4") == dt.date(2027, 12, 31)
    assert quarter_end("2028Q1") == dt.date(2028, 3, 31)


def test_conversion_modules_must_add_up() -> None:
    good = ConversionSpec(input_kind="ac-3ph", input_voltage_v=415, output_voltage_v=50, output_w="33 kW",
                          modules=6, module_output_w="5.5 kW", efficiency=0.97)
    assert good.output_w == 33_000
    with pytest.raises(ValidationError, match="modules × module_output_w"):
        ConversionSpec(input_kind="ac-3ph", input_voltage_v=415, output_voltage_v=50, output_w="30 kW",
                       modules=6, module_output_w="5.5 kW", efficiency=0.97)


def test_models_are_immutable() -> None:
    p = part("x")
    with pytest.raises(ValidationError):
        p.power_w = 5  # type: ignore[misc]


def test_heat_split() -> None:
    p = PartType(id="g", name="g", category="compute", power_w="1.2 kW", liquid_heat_fraction="85%", source=SRC)
    assert p.liquid_heat_w == pytest.approx(1020.0) and p.air_heat_w == pytest.approx(180.0)
