"""Spreadsheet exchange: round trips, located errors, all-or-nothing imports."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import Workbook

from rackforge.core.bom import explode
from rackforge.errors import InputError
from rackforge.io.exchange import (
    BOM_COLUMNS,
    SOURCE_COLUMNS,
    bom_frame,
    import_into_programme,
    read_bom,
    read_sources,
    sources_frame,
    write_template,
)
from rackforge.io.loader import load_programme
from rackforge.io.spreadsheets import write_tables
from rackforge.schema import Source
from rackforge.sourcing.analysis import analyse_sourcing
from rackforge.sourcing.synthetic import SYNTHETIC, make_programme

PROGRAMME_YAML = """\
programme: {name: Exchange test, integration_site: ex-austin}
facility: {rack_power_limit_w: 150 kW, floor_rating_kg_m2: 2000, source: "estimate: made up for this test"}
build_plan:
  quarters: {2027Q1: {ex-rack: 2}, 2027Q2: {ex-rack: 3}}
suppliers:
  - {id: ex-co, name: Ex Co, hq_country: US, source: "estimate: made up for this test"}
sites:
  - {id: ex-austin, name: Austin, supplier: ex-co, country: US, region: North America,
     source: "estimate: made up for this test"}
  - {id: ex-hsinchu, name: Hsinchu, supplier: ex-co, country: TW, region: East Asia,
     source: "estimate: made up for this test"}
parts:
  - {id: ex-gpu, name: GPU board, category: compute, source: "estimate: made up for this test"}
  - {id: ex-plate, name: Cold plate, category: cooling, source: "estimate: made up for this test"}
  - {id: ex-shelf, name: Power shelf, category: power, source: "estimate: made up for this test"}
assemblies:
  - id: ex-tray
    name: Tray
    kind: tray
    items: [{ref: ex-gpu, quantity: 2}, {ref: ex-plate, quantity: 4}]
    source: "estimate: made up for this test"
designs:
  - id: ex-rack
    name: Ex rack
    generation: Test
    year: 2027
    rack: {standard: orv3, rack_units: 44, unit_height_mm: 48, width_mm: 600, depth_mm: 1068, height_mm: 2286,
           static_load_kg: 1400}
    items: [{ref: ex-tray, quantity: 4}, {ref: ex-shelf, quantity: 2}]
    power: {distribution: dc-busbar, feed: {kind: ac-3ph, voltage_v: 415}, bus_voltage_v: 50}
    cooling: {kind: liquid, coolant: pg25, supply_temp_c: 35, delta_t_k: 10}
    source: "estimate: made up for this test"
trade:
  - {origin: TW, destination: US, freight_rate: 0.05, duty_rate: 0.1, transit_weeks: 4,
     source: "estimate: made up for this test"}
"""

SOURCES_YAML = """\
sources:
  - {part: ex-gpu, site: ex-hsinchu, price_usd: 60000, lead_time_weeks: 26, capacity_per_quarter: 100,
     source: "estimate: made up for this test"}
  - {part: ex-plate, site: ex-austin, price_usd: 300, lead_time_weeks: 8, capacity_per_quarter: 1000,
     source: "estimate: made up for this test"}
  - {part: ex-shelf, site: ex-austin, price_usd: 9000, lead_time_weeks: 12, capacity_per_quarter: 50,
     source: "estimate: made up for this test"}
"""


def write_programme(folder: Path, sources: bool = True) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "programme.yaml").write_text(PROGRAMME_YAML)
    if sources:
        (folder / "sources.yaml").write_text(SOURCES_YAML)
    return folder


def sample_sources() -> tuple[Source, ...]:
    rows = [
        {"part": "a", "site": "s1", "price_usd": 12.5, "lead_time_weeks": 6.0, "capacity_per_quarter": 1000.0},
        {"part": "a", "site": "s2", "price_usd": 13.25, "lead_time_weeks": 8.0, "capacity_per_quarter": 500.0,
         "share": 0.4, "qualification": "qualifying", "qualified_date": dt.date(2027, 7, 1), "freight_usd": 1.5,
         "duty_rate": 0.025, "moq": 100.0, "open_cost_usd": 250000.0, "open_lead_time_weeks": 26.0},
    ]
    return tuple(Source.model_validate({**r, "source": SYNTHETIC}) for r in rows)


@pytest.mark.parametrize("target", ["sources.xlsx", "csv-folder"])
def test_sources_round_trip(tmp_path, target):
    sources = sample_sources()
    write_tables({"sources": sources_frame(sources)}, tmp_path / target)
    path = tmp_path / target if target.endswith(".xlsx") else tmp_path / target / "sources.csv"
    assert read_sources(path) == sources


@pytest.mark.parametrize("target", ["tables.xlsx", "tables"])
def test_exported_tables_read_back_equal(tmp_path, target):
    prog = make_programme(parts={"x": ("power", None), "y": ("cabling", None)}, designs={"d": [("x", 2), ("y", 3)]},
                          sites={"tw": "TW"},
                          sources=[{"part": "x", "site": "tw", "price_usd": 100.0},
                                   {"part": "y", "site": "us-integration", "price_usd": 7.25}],
                          build_plan={"2027Q1": {"d": 4}})
    tables = analyse_sourcing(prog).tables()
    written = write_tables(tables, tmp_path / target)
    if target.endswith(".xlsx"):
        back = pd.read_excel(written[0], sheet_name=None)
    else:
        back = {p.stem: pd.read_csv(p) for p in written}
    assert set(back) == set(tables)
    for name in ("bom", "domestic_by_year", "country_exposure", "parts", "plan_cost"):
        original = tables[name].copy()
        for col in original.columns:  # dates are written as ISO text / Excel dates
            if original[col].map(lambda v: isinstance(v, dt.date)).any():
                original[col] = original[col].map(lambda v: v.isoformat() if isinstance(v, dt.date) else v)
                back[name][col] = back[name][col].map(lambda v: v.date().isoformat() if hasattr(v, "date") else v)
        pd.testing.assert_frame_equal(back[name].replace({np.nan: None}), original.replace({np.nan: None}),
                                      check_dtype=False, check_exact=False, rtol=1e-12)


def _xlsx(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    book = Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        ws = book.create_sheet(name)
        for row in rows:
            ws.append(row)
    book.save(path)
    return path


def test_bad_rows_name_sheet_row_and_column(tmp_path):
    header = ["part", "site", "price_usd", "lead_time_weeks", "capacity_per_quarter", "source"]
    path = _xlsx(tmp_path / "bad.xlsx", {"sources": [
        header,
        ["ex-gpu", "ex-austin", 100, 4, 10, "estimate: a test quote"],
        ["ex-gpu", "ex-hsinchu", "lots", 4, 10, "estimate: a test quote"],
        ["ex-plate", None, 5, "3 parsecs", 10, "estimate: a test quote"],
    ]})
    with pytest.raises(InputError) as err:
        read_sources(path)
    problems = err.value.problems
    assert all("[sheet sources]" in p.file for p in problems)
    located = {(p.line, p.field) for p in problems}
    assert (3, "column price_usd (C)") in located
    assert (4, "column lead_time_weeks (D)") in located
    assert any(p.line == 4 and "site" in (p.field + p.message) for p in problems)
    assert "parsecs" in err.value.render()


def test_unknown_column_suggests(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("part,site,price_usd,lead_time,capacity_per_quarter,source\n")
    with pytest.raises(InputError, match="did you mean 'lead_time_weeks'"):
        read_sources(path)


def test_import_is_all_or_nothing(tmp_path):
    folder = write_programme(tmp_path / "prog")
    header = [c.name for c in SOURCE_COLUMNS]
    good = ["ex-gpu", "ex-austin", 70000, 30, 20, "estimate: onshore quote", 0.25, "planned", dt.date(2027, 10, 1)]
    bad_ref = ["ex-gpux", "ex-austin", 1, 1, 1, "estimate: a mistyped part id"]
    path = _xlsx(tmp_path / "in.xlsx", {"sources": [header, good, bad_ref]})
    with pytest.raises(InputError) as err:
        import_into_programme(path, folder)
    assert "unknown part 'ex-gpux'" in err.value.render() and "did you mean 'ex-gpu'" in err.value.render()
    problem = err.value.problems[0]  # the user's sheet, row and column, not the generated YAML's line
    assert (problem.file, problem.line, problem.field) == (f"{path} [sheet sources]", 3, "column part (A)")
    assert not (folder / "imported.yaml").exists()
    # the good row alone imports, and the programme then uses it
    path = _xlsx(tmp_path / "in2.xlsx", {"sources": [header, good]})
    result = import_into_programme(path, folder)
    assert result.sources == 1
    prog = load_programme(folder)
    new = prog.sources_by_part["ex-gpu"]
    assert {s.site for s in new} == {"ex-hsinchu", "ex-austin"}
    assert next(s for s in new if s.site == "ex-austin").qualified_date == dt.date(2027, 10, 1)


def test_bom_import_builds_assemblies_and_checks_design_rows(tmp_path):
    folder = write_programme(tmp_path / "prog")
    header = [c.name for c in BOM_COLUMNS]
    rows = [
        header,
        ["ex-tray2", "ex-gpu", 4, "tray", "Dense tray", "estimate: a denser tray for this test"],
        ["ex-tray2", "ex-plate", 8],
        ["ex-rack", "ex-tray", 4, "design"],
        ["ex-rack", "ex-shelf", 2],
    ]
    path = _xlsx(tmp_path / "bom.xlsx", {"bom": rows})
    bom = read_bom(path)
    assert [a.id for a in bom.assemblies] == ["ex-tray2"]
    assert [i.quantity for i in bom.assemblies[0].items] == [4, 8]
    result = import_into_programme(path, folder, "bom.yaml")
    assert result.assemblies == 1
    prog = load_programme(folder)
    assert explode(prog.catalog, "ex-tray2") == {"ex-gpu": 4, "ex-plate": 8}
    # design rows that differ from the design are refused, pointing at the design's file
    rows[4] = ["ex-rack", "ex-shelf", 3]
    with pytest.raises(InputError, match=r"differ from its items in .*programme.yaml") as err:
        import_into_programme(_xlsx(tmp_path / "bom2.xlsx", {"bom": rows}), folder, "bom.yaml")
    assert err.value.problems[0].line == 4


def test_bom_rows_missing_kind_are_located(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_text("parent,ref,quantity,parent_kind\nnew-asm,ex-gpu,2,\nnew-asm,ex-plate,0,\n")
    with pytest.raises(InputError) as err:
        read_bom(path)
    text = err.value.render()
    assert "give parent_kind" in text
    assert any(p.line == 3 and p.field.startswith("column quantity") for p in err.value.problems)


def test_template_and_export_layout(tmp_path):
    written = write_template(tmp_path / "template.xlsx")
    book = pd.read_excel(written[0], sheet_name=None)
    assert list(book["sources"].columns) == [c.name for c in SOURCE_COLUMNS]
    assert list(book["bom"].columns) == [c.name for c in BOM_COLUMNS]
    assert len(book["README"]) == len(SOURCE_COLUMNS) + len(BOM_COLUMNS)
    prog = load_programme(write_programme(tmp_path / "prog"), builtin_catalog=False)
    frame = bom_frame(prog)
    assert frame[frame["parent"] == "ex-tray"]["quantity"].tolist() == [2, 4]
    # export -> import into a copy without sources reproduces the sources
    write_tables({"sources": sources_frame(prog.sources)}, tmp_path / "sources.xlsx")
    bare = write_programme(tmp_path / "bare", sources=False)
    import_into_programme(tmp_path / "sources.xlsx", bare, "sources.yaml")
    assert load_programme(bare, builtin_catalog=False).sources == prog.sources
