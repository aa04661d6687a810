"""One command-line convention (README, "Command-line conventions"): the programme folder PATH is the first
argument of every command that reads one, the same options have the same names, and one default seed."""

from __future__ import annotations

import datetime as dt
import importlib
import inspect
import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from rackforge import api
from rackforge.cli import COMMANDS, cli
from rackforge.io.loader import REFERENCE_DIR
from rackforge.report.framework import AssessOptions
from rackforge.schema.factory import SimulationSettings
from rackforge.seeds import DEFAULT_SEED

NO_PROGRAMME = {"init", "schema", "catalog list", "sheets template",
                "serve", "db upgrade", "users add", "users list", "tokens create",
                "tokens list", "tokens revoke"}
"""Commands that read no programme folder (init writes one; schema, catalog list and sheets template read the
package alone; the service's commands read its database, where programmes arrive through the API)."""


def every_command() -> dict[str, click.Command]:
    """Every leaf command by its full name ('check', 'tests import', ...)."""
    out: dict[str, click.Command] = {}
    for name, (target, _) in COMMANDS.items():
        module, attr = target.split(":")
        command = getattr(importlib.import_module(module), attr)
        if isinstance(command, click.Group):
            out.update({f"{name} {sub}": cmd for sub, cmd in command.commands.items()})
        else:
            out[name] = command
    return out


COMMANDS_BY_NAME = every_command()


@pytest.mark.parametrize("name", sorted(set(COMMANDS_BY_NAME) - NO_PROGRAMME))
def test_every_command_reading_a_programme_takes_it_as_the_first_argument_path(name: str) -> None:
    command = COMMANDS_BY_NAME[name]
    arguments = [p for p in command.params if isinstance(p, click.Argument)]
    assert arguments, f"{name} takes no arguments"
    usage = arguments[0].make_metavar(click.Context(command)) if arguments[0].metavar is None \
        else arguments[0].metavar
    assert usage.lstrip("[").startswith("PATH"), f"rackforge {name}: first argument is {usage}"
    visible = {opt for p in command.params if isinstance(p, click.Option) and not p.hidden for opt in p.opts}
    assert not visible & {"-p", "--programme", "--path"}, f"rackforge {name} names the programme by an option"


def test_the_same_options_have_the_same_names() -> None:
    for name, command in COMMANDS_BY_NAME.items():
        for param in command.params:
            if isinstance(param, click.Option) and param.name == "as_json":
                assert param.opts == ["--json"], name
            if isinstance(param, click.Option) and param.name in ("designs", "design_options"):
                assert param.opts == ["--design"] and param.multiple, name


def test_one_default_seed_everywhere() -> None:
    seeded = {name: next(p for p in cmd.params if p.name == "seed") for name, cmd in COMMANDS_BY_NAME.items()
              if any(p.name == "seed" for p in cmd.params)}
    assert {"simulate", "optimize", "assess", "factory"} <= set(seeded)
    for name, param in seeded.items():
        assert param.opts == ["--seed"], name
        if name in ("factory", "line replay"):  # the programme's factory.simulation.seed, whose default is the same
            assert not isinstance(param.default, int)
        else:
            assert param.default == DEFAULT_SEED, name
    assert SimulationSettings().seed == DEFAULT_SEED
    assert AssessOptions().seed == DEFAULT_SEED
    for function in (api.simulate, api.optimize_sweep):
        assert inspect.signature(function).parameters["seed"].default == DEFAULT_SEED
    from rackforge.io.loader import load_programme

    factory = load_programme().factory
    assert factory is not None and "seed" not in factory.simulation.model_fields_set  # the reference sets none


def test_compare_takes_path_first_and_the_old_option_still_works_with_a_warning() -> None:
    runner = CliRunner()
    new = runner.invoke(cli, ["compare", str(REFERENCE_DIR), "gb200-nvl72", "gb300-nvl72", "--json"])
    assert new.exit_code == 0, new.output
    assert json.loads(new.output)["designs"] == ["gb200-nvl72", "gb300-nvl72"]
    ids_only = runner.invoke(cli, ["compare", "gb200-nvl72", "--design", "gb300-nvl72", "--json"])
    assert json.loads(ids_only.output)["designs"] == ["gb200-nvl72", "gb300-nvl72"]
    old = runner.invoke(cli, ["compare", "-p", str(REFERENCE_DIR), "gb200-nvl72", "gb300-nvl72"])
    assert old.exit_code == 0 and "warning: -p/--programme is deprecated" in old.output
    both = runner.invoke(cli, ["compare", str(REFERENCE_DIR), "-p", str(REFERENCE_DIR), "gb200-nvl72"])
    assert both.exit_code == 2 and "two programme folders" in both.output


# ----- the tests-import sample -----------------------------------------------------------------------

SAMPLE = REFERENCE_DIR / "test_results" / "houston-week10.csv"


def test_the_shipped_sample_imports_against_the_reference_programme(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["tests", "import", str(REFERENCE_DIR), str(SAMPLE), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    rows = SAMPLE.read_text().splitlines()[1:]
    serials = {row.split(",")[0] for row in rows}
    failed_last = {"HOU-GB3-0004"}  # its second leak-test attempt failed and it was not tried again
    never_failed = {s for s in serials if not any(r.split(",")[0] == s and ",fail," in r for r in rows)}
    assert (data["serials"], data["attempts"]) == (len(serials), len(rows)) == (6, 15)
    assert data["yield"] == pytest.approx((len(serials) - len(failed_last)) / len(serials))
    assert data["first_pass_yield"] == pytest.approx(len(never_failed) / len(serials))
    # the old order and option still work, with a warning
    old = CliRunner().invoke(cli, ["tests", "import", str(SAMPLE), "--programme", str(REFERENCE_DIR)])
    assert old.exit_code == 0 and "--programme is deprecated" in old.output


def test_init_writes_the_sample_too(tmp_path: Path) -> None:
    assert CliRunner().invoke(cli, ["init", str(tmp_path / "p")]).exit_code == 0
    assert (tmp_path / "p" / "test_results" / "houston-week10.csv").read_text() == SAMPLE.read_text()
    result = CliRunner().invoke(cli, ["tests", "import", str(tmp_path / "p"),
                                      str(tmp_path / "p" / "test_results" / "houston-week10.csv")])
    assert result.exit_code == 0, result.output


# ----- evaluate's date -------------------------------------------------------------------------------

def test_evaluate_counts_days_to_today_unless_as_of_is_given() -> None:
    from rackforge.evaluate.analysis import evaluation_date
    from rackforge.io.loader import load_programme

    runner = CliRunner()
    today = runner.invoke(cli, ["evaluate", "--json"])
    data = json.loads(today.output)
    assert (data["as_of"], data["as_of_basis"]) == (dt.date.today().isoformat(), "today")
    fixed = json.loads(runner.invoke(cli, ["evaluate", "--json", "--as-of", "2027-01-20"]).output)
    assert (fixed["as_of"], fixed["as_of_basis"]) == ("2027-01-20", "--as-of")
    assert "as of 2027-01-20 (--as-of" in runner.invoke(cli, ["evaluate", "--as-of", "2027-01-20"]).output
    reference = load_programme().evaluations
    assert reference is not None and reference.as_of is None  # the reference fixes no date
    ev = reference.model_copy(update={"as_of": dt.date(2027, 2, 1)})
    day = dt.date(2026, 12, 1)
    assert evaluation_date(ev, None, today=day) == (dt.date(2027, 2, 1), "evaluations.as_of")
    assert evaluation_date(ev, dt.date(2027, 3, 1), today=day) == (dt.date(2027, 3, 1), "--as-of")
    assert evaluation_date(ev.model_copy(update={"as_of": None}), None, today=day) == (day, "today")


def test_sheets_take_the_programme_first_and_the_old_order_with_a_warning(tmp_path: Path) -> None:
    runner = CliRunner()
    folder = tmp_path / "p"
    assert runner.invoke(cli, ["init", str(folder)]).exit_code == 0
    exported = runner.invoke(cli, ["sheets", "export", str(folder), str(tmp_path / "exp.xlsx")])
    assert exported.exit_code == 0 and (tmp_path / "exp.xlsx").is_file(), exported.output
    new = runner.invoke(cli, ["sheets", "import", str(folder), str(tmp_path / "exp.xlsx"), "--json"])
    assert new.exit_code == 0 and json.loads(new.output)["written"] is False, new.output
    old = runner.invoke(cli, ["sheets", "import", str(tmp_path / "exp.xlsx"), str(folder)])
    assert old.exit_code == 0 and "is deprecated; write the programme folder first" in old.output
    alone = runner.invoke(cli, ["sheets", "import", str(tmp_path / "exp.xlsx")])
    assert alone.exit_code == 2 and "give PATH and SPREADSHEET" in alone.output
