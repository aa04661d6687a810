"""``rackforge sourcing``, ``rackforge whatif`` and ``rackforge sheets``: origin, domestic content,
concentration, what-if moves and spreadsheet exchange."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from rackforge.cli.common import FiniteFloat, console, echo_json, esc, json_option, load, path_and_file, path_argument

if TYPE_CHECKING:
    from rackforge.sourcing.analysis import SourcingAnalysis

FOCUS_CATEGORIES = ("cabling", "networking", "cooling", "power")
"""The categories the programme moves home first (shown first in tables)."""

rule_option = click.option("--rule", "rule_id", metavar="ID",
                           help="Apply this built-in rule instead of the programme's (far-25.101, "
                           "ira-adjusted-percentage, usmca-rvc-tv).")


@click.command()
@path_argument
@json_option
@rule_option
@click.option("--xlsx", "xlsx", type=click.Path(path_type=Path), metavar="FILE",
              help="Also write every sourcing table to this Excel workbook.")
@click.option("--csv", "csv_dir", type=click.Path(path_type=Path), metavar="DIR",
              help="Also write every sourcing table as CSV files into this folder.")
@click.option("--strict", is_flag=True, help="Exit with status 1 if a planned design misses the threshold in a year.")
def sourcing(path: Path | None, as_json: bool, rule_id: str | None, xlsx: Path | None, csv_dir: Path | None,
             strict: bool) -> None:
    """Domestic content, concentration and country exposure of the planned racks.

    Domestic content is tested per design and year against the programme's rule (default
    FAR 25.101: more than 65% of component cost in 2024-2028, 75% from 2029, 55% fallback
    until 2030; transport and duty included; unknown origin is foreign; racks integrated in
    the US). Every figure is shown with qualified sources only and with alternates counted
    from their qualification date.
    """
    from rackforge import api
    from rackforge.errors import ChecksFailed
    from rackforge.io.spreadsheets import check_tables_target, write_tables

    for target in (xlsx, csv_dir):
        if target is not None:
            check_tables_target(target)
    analysis = api.sourcing(load(path), rule_id)
    for target in (xlsx, csv_dir):
        if target is not None:
            for written in write_tables(analysis.tables(), target):
                click.echo(f"wrote {written}", err=True)
    data = analysis.to_json()
    if as_json:
        echo_json(data)
    else:
        _print_sourcing(analysis, data)
    if strict:
        misses = api.sourcing_threshold_misses(data)
        if misses:
            raise ChecksFailed(f"domestic content below the {analysis.rule.id} threshold: {', '.join(misses)}")


def _pct(value: Any) -> str:
    return "-" if value is None else f"{float(value):.1%}"


def _usd(value: Any) -> str:
    from rackforge.cli.common import money_text

    return money_text(value)


def _cell(value: Any) -> str:
    from rackforge.cli.common import money_cell

    return money_cell(value)


def _print_sourcing(analysis: SourcingAnalysis, data: dict[str, Any]) -> None:
    from rich.table import Table

    out = console()
    rule = data["rule"]
    out.print(f"[bold]{esc(data['programme'])}[/]: integrated at {esc(data['integration_site']['id'])} "
              f"({esc(data['integration_site']['country'])})")
    verb = "exceed" if rule["comparison"] == "exceeds" else "be at least"
    out.print(f"rule [bold]{esc(rule['id'])}[/]: {esc(rule['name'])}; the share must {verb} the threshold")
    table = Table(title="Domestic content of component cost (qualified sources | with alternates)",
                  title_justify="left")
    for col, justify in (("design", "left"), ("year", "right"), ("racks", "right"), ("domestic", "right"),
                         ("threshold", "right"), ("verdict", "left"), ("with alternates", "right"),
                         *((c, "right") for c in FOCUS_CATEGORIES)):
        table.add_column(col, justify=justify)  # type: ignore[arg-type]
    for d in data["designs"]:
        for y in d["years"]:
            if y["meets_threshold"]:
                verdict = "[green]meets[/]"
            elif y["meets_fallback"]:
                verdict = f"[yellow]fallback only ({_pct(y['fallback_threshold'])})[/]"
            else:
                verdict = "[red]below[/]"
            alt = y["with_alternates"]
            alt_text = _pct(alt["domestic_content"]) + (" [green]meets[/]" if alt["meets_threshold"] else "")
            table.add_row(esc(d["design"]), str(y["year"]), str(y["racks"]), _pct(y["domestic_content"]),
                          _pct(y["threshold"]), verdict, alt_text,
                          *(_pct(y["by_category"].get(c)) for c in FOCUS_CATEGORIES))
    out.print(table)

    exposure = Table(title="Rack value by country of origin", title_justify="left")
    exposure.add_column("design")
    countries = []
    for e in data["country_exposure"]:
        if e["country"] not in countries:
            countries.append(e["country"])
    top = sorted(countries, key=lambda c: -sum(e["share_of_rack_value"] for e in data["country_exposure"]
                                               if e["country"] == c))[:8]
    for c in top:
        exposure.add_column(esc(c), justify="right")
    for d in data["designs"]:
        shares = {e["country"]: e["share_of_rack_value"] for e in data["country_exposure"]
                  if e["design"] == d["design"]}
        exposure.add_row(esc(d["design"]), *(_pct(shares.get(c, 0.0)) for c in top))
    out.print(exposure)

    single = data["single_source_parts"][:12]
    if single:
        t = Table(title=f"Single-source parts ({len(data['single_source_parts'])}; largest share of rack value first)",
                  title_justify="left")
        for col in ("part", "category", "supplier", "country", "lead time", "max share of rack", "alternate from"):
            t.add_column(col)
        for p in single:
            t.add_row(esc(p["part"]), esc(p["category"]), esc(p["suppliers"] or "(no source)"),
                      esc(p["countries"] or "unknown"),
                      "-" if p["lead_time_weeks"] is None else f"{p['lead_time_weeks']:.0f} wk",
                      _pct(p["max_share_of_rack"]), esc(p["alternate_from"] or "-"))
        out.print(t)
    paths = data["lead_time_paths"]
    if paths:
        t = Table(title="Longest lead-time paths", title_justify="left")
        for col in ("design", "path", "weeks"):
            t.add_column(col)
        by_design: dict[str, int] = {}
        for p in paths:
            by_design[p["design"]] = by_design.get(p["design"], 0) + 1
            if by_design[p["design"]] <= 3:
                t.add_row(esc(p["design"]), esc(p["path"]), f"{p['lead_time_weeks']:.0f}")
        out.print(t)
    if data["missing_lanes"]:
        out.print("[yellow]no trade lane for[/] " + esc(", ".join(f"{m['origin']}→{m['destination']}"
                                                                for m in data["missing_lanes"]))
                  + ": freight and duty taken as 0")


@click.command()
@path_argument
@click.option("--move", "moves", multiple=True, metavar="PART=SITE[@SHARE]",
              help="Site SITE supplies SHARE (0-1 or %, default all) of PART; repeat for several moves.")
@click.option("--rank", "rank_design", metavar="DESIGN",
              help="Rank the parts of DESIGN whose move to a US site lifts domestic content most cheaply.")
@click.option("--year", type=int, help="Year for --rank (default: the build plan's first year).")
@click.option("--premium", type=FiniteFloat(), metavar="FRACTION",
              help="Price of a new source over the part's current price, as a fraction (0.15 = +15%; "
              "default: no premium).")
@rule_option
@json_option
def whatif(path: Path | None, moves: tuple[str, ...], rank_design: str | None, year: int | None,
           premium: float | None, rule_id: str | None, as_json: bool) -> None:
    """Move parts between sites and see the sourcing figures change.

    With --move, prints domestic content per design and year, by category, country exposure
    and the moved parts' concentration before and after. With --rank DESIGN, lists the parts
    whose move to a domestic site raises domestic content, cheapest first, and the cheapest set
    of moves that passes the threshold.
    """
    from rackforge import api

    report = api.whatif(load(path), moves, rank_design, year, premium, rule_id)
    data = report.to_json()
    if as_json:
        echo_json(data)
        return
    _print_whatif(data)


def _print_whatif(data: dict[str, Any]) -> None:
    from rich.table import Table

    out = console()
    if "moves" in data:
        out.print("moves: " + esc(", ".join(f"{m['part']} → {m['site']} ({m['share']:.0%})" for m in data["moves"])))
        t = Table(title="Domestic content before → after", title_justify="left")
        for col in ("design", "year", "sources", "before", "after", "threshold", "meets", "added cost/rack"):
            t.add_column(col)
        changed = [r for r in data["domestic_content"]
                   if abs(r["domestic_content_after"] - r["domestic_content_before"]) > 1e-9
                   or abs(r["added_cost_per_rack_usd"]) > 1e-9]
        for r in changed:
            meets = ("yes" if r["meets_threshold_before"] else "no") + " → " + \
                ("[green]yes[/]" if r["meets_threshold_after"] else "no")
            t.add_row(esc(r["design"]), str(r["year"]), esc(r["sources"]), _pct(r["domestic_content_before"]),
                      _pct(r["domestic_content_after"]), _pct(r["threshold"]), meets,
                      _cell(r['added_cost_per_rack_usd']))
        out.print(t if changed else "no design's domestic content or cost changes")
        cats: dict[tuple[str, str], list[str]] = {}
        for r in data["by_category_changed"]:
            if r["sources"] == "qualified":
                cats.setdefault((r["design"], r["category"]), []).append(
                    f"{r['year']} {_pct(r['domestic_content_before'])} → {_pct(r['domestic_content_after'])}")
        for (design, category), years in cats.items():
            out.print(esc(f"{design} {category}: {', '.join(years)}"))
        for r in data["country_exposure_changed"]:
            if r["sources"] == "qualified" and \
                    abs(r["share_of_rack_value_after"] - r["share_of_rack_value_before"]) >= 0.0005:
                out.print(esc(f"{r['design']} value from {r['country']}: {_pct(r['share_of_rack_value_before'])} → "
                              f"{_pct(r['share_of_rack_value_after'])}"))
        for r in data["parts"]:
            out.print(esc(f"{r['part']} ({r['sources']}): HHI by supplier {r['hhi_supplier_before']} → "
                          f"{r['hhi_supplier_after']}, by country {r['hhi_country_before']} → "
                          f"{r['hhi_country_after']}"))
    if "rank" in data:
        rank = data["rank"]
        t = Table(title=f"{esc(rank['design'])} {rank['year']}: parts to move to a domestic site "
                        "(passing alone first, then by added cost)", title_justify="left")
        for col in ("part", "category", "qty", "domestic site", "added cost/rack", "content after", "passes alone"):
            t.add_column(col)
        for r in rank["candidates"][:15]:
            site = esc(r["domestic_site"] + (" (new)" if r["new_source"] else ""))
            t.add_row(esc(r["part"]), esc(r["category"]), str(r["quantity_per_rack"]), site,
                      _cell(r['added_cost_per_rack_usd']), _pct(r["domestic_content_after"]),
                      "yes" if r["passes_alone"] else "")
        out.print(t)
        plan = rank["cheapest_set"]
        if plan:
            last = plan[-1]
            verdict = "passes" if last["passes"] else "still below the threshold"
            out.print(f"cheapest set: {len(plan)} moves ({esc(', '.join(p['part'] for p in plan[:8]))}"
                      f"{', …' if len(plan) > 8 else ''}), +{_usd(last['cumulative_added_cost_per_rack_usd'])} "
                      f"per rack, domestic content {_pct(last['domestic_content_after'])}: {verdict}")


@click.group()
def sheets() -> None:
    """Exchange sources and BOMs with Excel and CSV files."""


@sheets.command("template")
@click.argument("target", type=click.Path(path_type=Path))
def template(target: Path) -> None:
    """Write an empty import workbook (TARGET.xlsx) or CSV files (TARGET folder) with the column layout."""
    from rackforge.io.exchange import write_template
    from rackforge.io.spreadsheets import check_tables_target

    check_tables_target(target, ("sources", "bom"))
    for written in write_template(target):
        click.echo(f"wrote {written}", err=True)


@sheets.command("import")
@click.argument("operands", nargs=-1, required=True, metavar="PATH SPREADSHEET")
@click.option("--file", "file_name", default="imported.yaml", show_default=True,
              help="File in PATH to write (a .yaml name inside PATH; replaced by each import, never a "
              "hand-written file).")
@json_option
def import_(operands: tuple[str, ...], file_name: str, as_json: bool) -> None:
    """Import sources and BOM rows from SPREADSHEET (.xlsx or .csv) into the programme folder PATH.

    (The old order, SPREADSHEET PATH, still works, with a warning.)

    Every row is checked; the programme is loaded with the new file before anything is
    written, so a bad row changes nothing. Rows equal to sources or assemblies defined in
    other files are left out (importing an export changes nothing). The file is written only
    if it is new or was written by an earlier import, one import at a time.
    """
    from rackforge.io.exchange import import_into_programme

    folder_given, spreadsheet = path_and_file(operands, "SPREADSHEET (.xlsx or .csv)", path_required=True)
    folder = folder_given or Path(".")
    result = import_into_programme(spreadsheet, folder, file_name)
    data = {"file": str(result.file), "sources": result.sources, "assemblies": result.assemblies,
            "designs_updated": list(result.designs_updated), "unchanged": result.unchanged,
            "written": result.written}
    if as_json:
        echo_json(data)
        return
    same = (f"; {result.unchanged} sources and assemblies equal to the programme's own left out"
            if result.unchanged else "")
    if not result.written:
        click.echo(f"nothing to change in {folder}: {result.file.name} already holds this import"
                   if result.sources or result.assemblies else f"nothing to import into {folder}{same}")
        return
    if not result.sources and not result.assemblies:
        click.echo(f"removed {result.file}: no row differs from the programme's other files{same}")
        return
    click.echo(f"wrote {result.file}: {result.sources} sources, {result.assemblies} assemblies"
               + (f", items of {', '.join(result.designs_updated)}" if result.designs_updated else "") + same)


@sheets.command("export")
@click.argument("operands", nargs=-1, required=True, metavar="[PATH] TARGET")
def export(operands: tuple[str, ...]) -> None:
    """Write the programme's sources and planned BOMs in the import layout (TARGET.xlsx or a folder of CSV).

    PATH is the programme folder (default: the built-in reference programme). (The old order,
    TARGET PATH, still works, with a warning.)
    """
    from rackforge.io.exchange import bom_frame, sources_frame
    from rackforge.io.spreadsheets import check_tables_target, write_tables

    path, target = path_and_file(operands, "TARGET (.xlsx, or a folder for CSV)")
    check_tables_target(target, ("sources", "bom"))
    programme = load(path)
    for written in write_tables({"sources": sources_frame(programme.sources), "bom": bom_frame(programme)}, target):
        click.echo(f"wrote {written}", err=True)
