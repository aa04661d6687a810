"""The README stays true: every command is documented and its Python example runs."""

from __future__ import annotations

import re
from pathlib import Path

from rackforge.cli import COMMANDS

README = (Path(__file__).parents[1] / "README.md").read_text()


def test_every_command_appears_in_the_readme() -> None:
    missing = [name for name in COMMANDS if f"rackforge {name}" not in README]
    assert not missing, f"README does not mention: {missing}"


def test_quick_start_has_exactly_two_commands_and_ci_runs_the_second() -> None:
    quick = README.split("## Quick start", 1)[1].split("## ", 1)[0]
    commands = [line for line in re.findall(r"```bash\n(.*?)```", quick, re.S)[0].splitlines()
                if line.strip() and not line.startswith("#")]
    assert len(commands) == 2
    ci = (Path(__file__).parents[1] / ".ci" / "run").read_text()
    assert commands[1] in ci


def test_python_example_runs() -> None:
    code = re.findall(r"```python\n(.*?)```", README, re.S)[0]
    namespace: dict[str, object] = {}
    exec(compile(code, "README.md", "exec"), namespace)
    assert "analysis" in namespace
