"""The input boundary (issue 13): every class of bad input is exit 2 with file, line and field; a bug is exit 3.

One test (or a parametrised family) per class in docs/errors.md; each failed on the code before the
boundary was drawn (a traceback, a hang, a silent skip or a value let through).
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import click
import pytest
import yaml
from click.testing import CliRunner

from rackforge import api
from rackforge.calendar import FIRST_YEAR, LAST_YEAR
from rackforge.cli import EXIT_CODES, cli
from rackforge.cli.common import FiniteFloat, esc
from rackforge.errors import InputError
from rackforge.io.loader import load_programme
from rackforge.io.refcheck import MAX_ASSEMBLY_DEPTH
from rackforge.io.yaml import MAX_DEPTH, parse_yaml
from rackforge.units import MAX_MAGNITUDE, parse_quantity


def invoke(*args: str) -> tuple[int, str]:
    """Run the CLI in-process; exit code and everything it printed (stdout and stderr)."""
    result = CliRunner().invoke(cli, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"uncaught {result.exception!r}") from result.exception
    return result.exit_code, result.output + (result.stderr if result.stderr_bytes is not None else "")


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"fixture text {old!r} not found"
    path.write_text(text.replace(old, new, 1))


def problems_of(folder: Path) -> list:
    with pytest.raises(InputError) as info:
        load_programme(folder, builtin_catalog=False)
    return list(info.value.problems)


def only_problem(folder: Path):
    [problem] = problems_of(folder)
    return problem


# ----- dates and explicit tags ---------------------------------------------------------------------

@pytest.mark.parametrize(("text", "words"), [
    ("evaluations:\n  as_of: 2027-02-30\n", "'2027-02-30' is not a valid date"),
    ("evaluations:\n  as_of: 2026-13-01\n", "'2026-13-01' is not a valid date"),
    ("evaluations:\n  as_of: !!timestamp nope\n", "'nope' is not a valid date"),
    ("facility:\n  rack_power_limit_w: !!float abc\n", "'abc' is not a valid float"),
    ("facility:\n  rack_power_limit_w: !!int 1.5x\n", "'1.5x' is not a valid int"),
    ("facility:\n  rack_power_limit_w: !!bool maybe\n", "'maybe' is not a valid bool"),
])
def test_bad_dates_and_tagged_values_are_located_input_errors(text: str, words: str) -> None:
    with pytest.raises(InputError) as info:
        parse_yaml(text, "x.yaml")
    [problem] = info.value.problems
    assert problem.file == "x.yaml" and problem.line == 2
    assert words in problem.message
    assert problem.field in ("evaluations.as_of", "facility.rack_power_limit_w")


def test_a_date_that_does_not_exist_exits_2_from_the_cli(mini: Path) -> None:
    (mini / "evaluations.yaml").write_text("evaluations:\n  as_of: 2027-02-30\n")
    code, out = invoke("check", str(mini))
    assert code == 2
    assert "evaluations.yaml:2: evaluations.as_of" in out and "Traceback" not in out


# ----- nesting -------------------------------------------------------------------------------------

def test_yaml_nested_past_the_limit_is_refused_without_recursion() -> None:
    deep = "facility:\n  x: " + "[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5) + "\n"
    with pytest.raises(InputError) as info:
        parse_yaml(deep, "deep.yaml")
    assert f"nested more than {MAX_DEPTH} levels" in info.value.problems[0].message
    maps = "a:\n" + "".join("  " * (i + 1) + f"k{i}:\n" for i in range(MAX_DEPTH + 5)) + "  " * (MAX_DEPTH + 6) + "v\n"
    with pytest.raises(InputError):
        parse_yaml(maps, "maps.yaml")


def _assembly_chain(length: int) -> str:
    rows = [f"  - {{id: a{i}, name: A, kind: tray, items: [{{ref: a{i + 1}, quantity: 1}}], "
            "source: \"estimate: a generated chain of assemblies\"}\n" for i in range(length)]
    rows.append(f"  - {{id: a{length}, name: A, kind: tray, items: [{{ref: mini-cold-plate, quantity: 1}}], "
                "source: \"estimate: a generated chain of assemblies\"}\n")
    return "assemblies:\n" + "".join(rows)


def test_an_assembly_chain_thousands_deep_is_refused_not_a_recursion_error(mini: Path) -> None:
    (mini / "chain.yaml").write_text(_assembly_chain(3000))
    problem = only_problem(mini)
    assert problem.file.endswith("chain.yaml") and problem.line == 2
    assert f"the limit is {MAX_ASSEMBLY_DEPTH}" in problem.message


def test_a_long_assembly_cycle_is_reported_iteratively(mini: Path) -> None:
    text = _assembly_chain(3000).replace("{ref: mini-cold-plate, quantity: 1}", "{ref: a0, quantity: 1}")
    (mini / "chain.yaml").write_text(text)
    problem = only_problem(mini)
    assert problem.message.startswith("circular assembly: a")


def test_an_assembly_chain_within_the_limit_loads(mini: Path) -> None:
    (mini / "chain.yaml").write_text(_assembly_chain(MAX_ASSEMBLY_DEPTH - 1))
    load_programme(mini, builtin_catalog=False)


def test_a_deep_supply_tree_file_is_refused(tmp_path: Path) -> None:
    from rackforge.resilience.safety_stock import MAX_TREE_DEPTH

    stages = "".join(f"    - {{id: s{i}, processing_periods: 1, holding_cost_per_period: 1"
                     + (", demand_sigma_per_period: 1, max_service_periods: 0" if i == 0 else "") + "}\n"
                     for i in range(3000))
    links = "".join(f"    - {{from: s{i}, to: s{i - 1}}}\n" for i in range(1, 3000))
    tree = tmp_path / "tree.yaml"
    tree.write_text("supply_tree:\n  name: deep\n  stages:\n" + stages + "  links:\n" + links)
    code, out = invoke("buffers", str(tree))
    assert code == 2, out
    assert f"3000 stages deep; the limit is {MAX_TREE_DEPTH}" in out


# ----- calendar ------------------------------------------------------------------------------------

@pytest.mark.parametrize("quarter", ["9999Q4", "0001Q1", f"{FIRST_YEAR - 1}Q4", f"{LAST_YEAR + 1}Q1"])
def test_quarters_outside_the_calendar_are_refused(mini: Path, quarter: str) -> None:
    edit(mini / "programme.yaml", "2027Q2", quarter)
    problem = only_problem(mini)
    assert problem.field == f"build_plan.quarters.{quarter}"
    assert "outside the calendar" in problem.message


def test_quarters_at_the_ends_of_the_calendar_load(mini: Path) -> None:
    edit(mini / "programme.yaml", "2027Q1", f"{FIRST_YEAR}Q1")
    edit(mini / "programme.yaml", "2027Q2", f"{LAST_YEAR}Q4")
    load_programme(mini, builtin_catalog=False)


# ----- factory -------------------------------------------------------------------------------------

@pytest.mark.parametrize("time", ["{dist: lognormal, mean_h: 0 h, cv: 0.2}", "{dist: gamma, mean_h: 0, cv: 0.2}",
                                  "{dist: exponential, mean_h: 0 h}",
                                  "{dist: triangular, min_h: 0, mode_h: 0, max_h: 0}"])
def test_zero_process_times_that_no_distribution_can_draw_are_refused(time: str) -> None:
    from pydantic import ValidationError

    from rackforge.schema.factory import Distribution

    with pytest.raises(ValidationError):
        Distribution.model_validate(yaml.safe_load(time))


def test_zero_process_time_in_the_reference_factory_exits_2(tmp_path: Path) -> None:
    folder = tmp_path / "ref"
    assert invoke("init", str(folder))[0] == 0
    text = (folder / "factory.yaml").read_text()
    (folder / "factory.yaml").write_text(text.replace("mean_h: 16 h", "mean_h: 0 h", 1))
    code, out = invoke("factory", "--replications", "1", str(folder))
    assert code == 2, out
    assert "factory.yaml:" in out and "mean_h > 0" in out


# ----- a programme with no sources -----------------------------------------------------------------

@pytest.mark.parametrize("command", ["bom", "sourcing", "whatif", "stress", "simulate", "buffers", "optimize"])
def test_a_programme_with_no_sources_is_refused_by_every_supply_command(mini: Path, command: str) -> None:
    (mini / "sources.yaml").unlink()
    code, out = invoke(command, str(mini))
    assert code == 2, out
    assert "needs sources, and the programme has none" in out
    assert "rackforge bug" not in out and "Traceback" not in out


def test_the_api_refuses_no_sources_with_an_input_error(mini: Path) -> None:
    (mini / "sources.yaml").unlink()
    programme = load_programme(mini, builtin_catalog=False)
    with pytest.raises(InputError) as info:
        api.bill_of_materials(programme)
    assert info.value.problems[0].field == "sources"
    api.check_designs(programme)  # the engineering checks need no sources


# ----- the folder ----------------------------------------------------------------------------------

def test_a_dangling_symlink_is_reported(mini: Path) -> None:
    os.symlink(mini / "gone.yaml", mini / "extra.yaml")
    problem = only_problem(mini)
    assert problem.file.endswith("extra.yaml") and "broken symbolic link" in problem.message


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_is_reported_never_opened(mini: Path) -> None:
    os.mkfifo(mini / "pipe.yaml")
    problem = only_problem(mini)  # opening the FIFO would block for ever
    assert problem.file.endswith("pipe.yaml") and "not a regular file" in problem.message


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_given_as_the_folder_is_refused(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe")
    code, out = invoke("check", str(tmp_path / "pipe"))
    assert code == 2 and "expected a programme folder" in out


@pytest.mark.parametrize("name", ["sources.YAML", "sources.Yml", "sources.yml"])
def test_yaml_files_are_read_whatever_the_case_of_their_suffix(mini: Path, name: str) -> None:
    (mini / "sources.yaml").rename(mini / name)
    programme = load_programme(mini, builtin_catalog=False)
    assert len(programme.sources) == 3


# ----- markup in names -----------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["[/oops] closing", "[bold]X[/] [red]", "a [link=file:///etc]b[/link]", "x\\[y]"])
def test_markup_in_a_programme_name_is_printed_as_written(mini: Path, name: str) -> None:
    edit(mini / "programme.yaml", "name: Mini programme", f"name: {name!r}".replace("'", '"')
         if "\\" not in name else f"name: '{name}'")
    code, out = invoke("check", str(mini))
    assert code == 0, out
    assert f"{name}: 1 design checked" in out
    code, out = invoke("sourcing", str(mini))
    assert code in (0, 1), out
    assert name in out


def test_esc_shows_brackets_literally() -> None:
    from rich.console import Console

    console = Console(width=200, record=True)
    console.print(f"[bold]{esc('[/x] [red]y')}[/]")
    assert "[/x] [red]y" in console.export_text()


# ----- non-finite and overflowing values ------------------------------------------------------------

@pytest.mark.parametrize("value", [".inf", "-.inf", ".nan", "'1e400 W'", "'-1e400 kW'", "1.0e+20", "'2e15 MW'"])
def test_non_finite_and_overflowing_quantities_are_refused(mini: Path, value: str) -> None:
    edit(mini / "programme.yaml", "rack_power_limit_w: 150 kW", f"rack_power_limit_w: {value}")
    problem = only_problem(mini)
    assert problem.field == "facility.rack_power_limit_w"
    assert "finite" in problem.message or "magnitude" in problem.message or "greater than" in problem.message


def test_plain_float_fields_refuse_infinity_too(mini: Path) -> None:
    edit(mini / "catalog.yaml", "efficiency: 0.97", "efficiency: .inf")
    problem = only_problem(mini)
    assert problem.field == "parts[2].conversion.efficiency"


def test_huge_integers_are_refused_before_any_array_holds_them(mini: Path) -> None:
    edit(mini / "sources.yaml", "capacity_per_quarter: 100\n", "capacity_per_quarter: 100000000000000000000000\n")
    problem = only_problem(mini)
    assert problem.field == "sources[0].capacity_per_quarter" and "too large" in problem.message


def test_parse_quantity_bounds() -> None:
    assert parse_quantity("1e15 W", "W") == MAX_MAGNITUDE
    for bad in (math.inf, math.nan, "1e400 W", "1e16 W", "2e12 kW"):
        with pytest.raises(ValueError):
            parse_quantity(bad, "W")


def test_build_plans_beyond_any_programme_are_refused(mini: Path) -> None:
    edit(mini / "programme.yaml", "2027Q2: {mini-rack: 3}", "2027Q2: {mini-rack: 3000000000}")
    problem = only_problem(mini)
    assert problem.field == "build_plan.quarters.2027Q2.mini-rack"


# ----- CLI options -----------------------------------------------------------------------------------

@pytest.mark.parametrize("args", [("factory", "--confidence", "nan"), ("factory", "--confidence", "inf"),
                                  ("factory", "--weeks", "nan"), ("factory", "--weeks", "1e400"),
                                  ("buffers", "--service-level", "nan"), ("whatif", "--premium", "nan"),
                                  ("whatif", "--premium", "-inf")])
def test_non_finite_float_options_are_usage_errors(args: tuple[str, ...]) -> None:
    code, out = invoke(*args)
    assert code == 2, out
    assert "not a finite number" in out


def test_finite_float_type_bounds() -> None:
    kind = FiniteFloat(0.0, 1.0, low_open=True)
    assert kind.convert("0.5", None, None) == 0.5
    for bad in ("0", "1.5", "nan", "x"):
        with pytest.raises(click.BadParameter):
            kind.convert(bad, None, None)


# ----- bugs are exit 3 -------------------------------------------------------------------------------

def test_an_unexpected_exception_is_exit_3_with_a_short_message(mini: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise ZeroDivisionError("float division by zero")

    monkeypatch.setattr(api, "check_designs", broken)
    monkeypatch.delenv("RACKFORGE_DEBUG", raising=False)
    code, out = invoke("check", str(mini))
    assert code == 3
    assert "internal error in 'rackforge check': ZeroDivisionError: float division by zero" in out
    assert "report" in out and "RACKFORGE_DEBUG=1" in out and "Traceback" not in out
    monkeypatch.setenv("RACKFORGE_DEBUG", "1")
    code, out = invoke("check", str(mini))
    assert code == 3 and "Traceback" in out


def test_exit_codes_are_documented_in_the_help_and_docs() -> None:
    code, out = invoke("--help")
    assert code == 0
    for status in EXIT_CODES:
        assert f"  {status}  " in out
    docs = (Path(__file__).parent.parent / "docs" / "errors.md").read_text()
    for status in EXIT_CODES:
        assert f"| {status} |" in docs
