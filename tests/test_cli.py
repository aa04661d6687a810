"""The CLI: exit codes, JSON mode, init/check round trip, schema, no tracebacks for user errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml
from click.testing import CliRunner

from rackforge import __version__
from rackforge.cli import COMMANDS, cli


def run(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the real CLI in a subprocess, as a user would."""
    return subprocess.run([sys.executable, "-m", "rackforge", *args], capture_output=True, text=True, timeout=120)


def test_version() -> None:
    result = run("--version")
    assert result.returncode == 0 and __version__ in result.stdout


def test_help_lists_every_registered_command_with_its_docstring() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    for name, (target, short_help) in COMMANDS.items():
        assert name in result.output
        command = cli.get_command(None, name)  # type: ignore[arg-type]
        assert command is not None, target
        first_line = (command.help or "").strip().splitlines()[0]
        assert first_line == short_help, f"COMMANDS help for {name!r} differs from its docstring"


def test_bad_input_exits_2_with_file_and_line_and_no_traceback(mini: Path) -> None:
    sources = mini / "sources.yaml"
    sources.write_text(sources.read_text().replace("price_usd: 300", "price_usd: 300 kg"))
    result = run("check", str(mini))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert f"{sources}:" in result.stderr and "price_usd" in result.stderr


def test_unknown_command_is_a_usage_error() -> None:
    result = run("chek")
    assert result.returncode == 2 and "Traceback" not in result.stderr


def test_check_json_prints_only_json(mini: Path) -> None:
    result = run("check", str(mini), "--json")
    assert result.returncode in (0, 1), result.stderr
    data = json.loads(result.stdout)
    assert [d["id"] for d in data["designs"]] == ["mini-rack"]


def test_catalog_list_json_has_the_documented_fields() -> None:
    result = CliRunner().invoke(cli, ["catalog", "list", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    for key in ("parts", "designs", "suppliers", "sites"):
        assert data[key], key
        assert all("id" in item for item in data[key])
    assert all(len(site["country"]) == 2 for site in data["sites"])
    assert all(part["category"] for part in data["parts"])
    assert {"gb200-nvl72", "gb300-nvl72", "kyber-800vdc", "hgx-b200-air"} <= {d["id"] for d in data["designs"]}


def test_catalog_show_explodes_a_design() -> None:
    result = CliRunner().invoke(cli, ["catalog", "show", "gb200-nvl72", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["kind"] == "design" and data["exploded_parts"]


def test_catalog_show_unknown_suggests() -> None:
    result = run("catalog", "show", "gb200-nvl27")
    assert result.returncode == 2 and "did you mean 'gb200-nvl72'" in result.stderr


def test_init_then_check_round_trip(tmp_path: Path) -> None:
    target = tmp_path / "prog"
    result = CliRunner().invoke(cli, ["init", str(target)])
    assert result.exit_code == 0, result.output
    assert (target / "programme.yaml").exists()
    again = run("init", str(target))
    assert again.returncode == 2 and "already exist" in again.stderr
    check = run("check", str(target), "--json")
    assert check.returncode in (0, 1), check.stderr
    assert {d["id"] for d in json.loads(check.stdout)["designs"]} >= {"gb200-nvl72", "gb300-nvl72"}


def test_schema_validates_every_shipped_file() -> None:
    result = CliRunner().invoke(cli, ["schema"])
    assert result.exit_code == 0
    schema = json.loads(result.output)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    root = Path(__file__).parents[1]
    files = [*root.glob("src/rackforge/catalog/data/**/*.yaml"), *root.glob("src/rackforge/reference/**/*.yaml"),
             *root.glob("tests/data/mini/*.yaml")]
    assert len(files) >= 5
    for path in files:
        data = yaml.safe_load(path.read_text())
        # dates are written as YAML dates; JSON Schema sees them as strings
        errors = list(validator.iter_errors(json.loads(json.dumps(data, default=str))))
        assert not errors, f"{path}: {errors[0].message} at {list(errors[0].absolute_path)}"


def test_schema_rejects_an_unknown_key() -> None:
    schema = json.loads(CliRunner().invoke(cli, ["schema"]).output)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"parts": [{"id": "x", "name": "x", "category": "compute", "source": "estimate: a test",
                                        "pwer_w": 3}]}, schema)


def test_user_errors_exit_2_inside_the_click_group_too(mini: Path) -> None:
    """Notebook and test callers (CliRunner) get the same exit status and message as the shell."""
    (mini / "programme.yaml").write_text((mini / "programme.yaml").read_text().replace("150 kW", "150 kg"))
    result = CliRunner().invoke(cli, ["check", str(mini)])
    assert result.exit_code == 2
    assert "rack_power_limit_w" in result.output and "not a unit of this quantity" in result.output
