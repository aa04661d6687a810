"""answers: the options of ``optimize --sweep`` and ``factory --plan-capacity`` are checked as the CLI
checks them (a UsageError naming the option), and the sweep reports its progress."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from rackforge.answers import FactoryOptions, OptimizeOptions, answer, parse_options
from rackforge.errors import UsageError
from rackforge.io.loader import load_programme


@pytest.mark.parametrize("analysis, options, names", [
    ("optimize", {"targets": [0.5]}, ["targets", "sweep"]),
    ("optimize", {"caps": [0.8], "seed": 3}, ["caps, seed", "sweep"]),
    ("optimize", {"scenarios": 0}, ["scenarios", "sweep"]),
    ("optimize", {"sweep": True, "targets": [0.5, 1.5]}, ["targets.1", "less than or equal to 1"]),
    ("optimize", {"sweep": True, "caps": [-0.1]}, ["caps.0", "greater than or equal to 0"]),
    ("optimize", {"sweep": True, "targets": []}, ["targets", "at least 1"]),
    ("optimize", {"sweep": True, "scenarios": -1}, ["scenarios"]),
    ("optimize", {"sweep": True, "points": 4}, ["points", "Extra inputs"]),
    ("factory", {"plan_capacity": True, "weeks": 4}, ["weeks does not go with plan_capacity"]),
    ("factory", {"confidence": 0.5}, ["confidence goes with plan_capacity"]),
    ("factory", {"confidence": 0.5, "max_utilisation": 0.8}, ["confidence, max_utilisation go with plan_capacity"]),
    ("factory", {"plan_capacity": True, "max_utilisation": 0}, ["max_utilisation", "greater than 0"]),
    ("factory", {"plan_capacity": True, "confidence": 1.2}, ["confidence", "less than or equal to 1"]),
])
def test_bad_combinations_name_the_option(analysis: str, options: dict[str, Any], names: list[str]) -> None:
    with pytest.raises(UsageError) as caught:
        parse_options(analysis, options)
    message = str(caught.value)
    assert message.startswith(f"options of {analysis}: ")
    assert "Value error" not in message
    for name in names:
        assert name in message


def test_good_combinations_are_taken() -> None:
    sweep = parse_options("optimize", {"sweep": True, "targets": [0, 1], "caps": [], "scenarios": 0, "seed": 5})
    assert sweep == OptimizeOptions(sweep=True, targets=[0.0, 1.0], caps=[], scenarios=0, seed=5)
    plain = parse_options("optimize", {"domestic_target": 0.3, "gap": 0.01})
    assert isinstance(plain, OptimizeOptions) and not plain.sweep and plain.targets is None
    plan = parse_options("factory", {"plan_capacity": True, "replications": 2, "confidence": 1,
                                     "max_utilisation": 0.9})
    assert plan == FactoryOptions(plan_capacity=True, replications=2, confidence=1.0, max_utilisation=0.9)
    assert parse_options("factory", {"weeks": 4}) == FactoryOptions(weeks=4)


def test_sweep_progress_rises_to_one_and_a_point_without_plan_fails(mini: Path) -> None:
    """tests/data/mini reaches 4.5% domestic content at most: the 30% points have no plan."""
    shares: list[float] = []
    result = answer("optimize", load_programme(mini), {"sweep": True, "targets": [0.02, 0.3], "scenarios": 0},
                    shares.append)
    assert [p["target"] for p in result.data["points"]] == [0.02, 0.3]
    assert result.data["infeasible_points"] == 1
    assert result.failed is not None and result.failed.startswith("1 of 2 points of the curve have no plan")
    assert len(shares) >= 3  # the foot, the points, and done
    assert shares == sorted(shares) and all(0 <= s <= 1 for s in shares)
    assert shares[-1] == 1.0 and shares[-2] < 1.0


def test_the_commands_keep_their_wider_bounds(mini: Path) -> None:
    """The service caps a solve at an hour; ``rackforge optimize --time-limit`` has no ceiling."""
    import json

    from click.testing import CliRunner

    from rackforge.cli import cli

    with pytest.raises(UsageError, match="time_limit"):
        parse_options("optimize", {"time_limit": 7200})
    result = CliRunner().invoke(cli, ["optimize", str(mini), "--domestic-target", "none", "--time-limit", "7200",
                                      "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["status"] == "optimal"
