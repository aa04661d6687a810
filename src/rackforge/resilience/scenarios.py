"""The scenario library as the resilience analyses use it: defaults, and its cross-references
checked against the catalog with file and line (the section's types are in :mod:`rackforge.schema.scenarios`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rackforge.schema.scenarios import ScenarioLibrary

if TYPE_CHECKING:
    from rackforge.errors import Problem
    from rackforge.schema import Programme


def library_of(programme: Programme) -> ScenarioLibrary:
    """The programme's scenario library, or an empty one with the defaults."""
    scenarios = programme.scenarios
    if scenarios is None:
        return ScenarioLibrary()
    if not isinstance(scenarios, ScenarioLibrary):  # a raw mapping from an older loader
        return ScenarioLibrary.model_validate(scenarios)
    return scenarios


def z_for_service_level(service_level: float) -> float:
    """Standard normal quantile z with Φ(z) = service level [-] (``statistics.NormalDist.inv_cdf``)."""
    from statistics import NormalDist

    return NormalDist().inv_cdf(service_level)


# ---------------------------------------------------------------------------------------------
# cross-references: checked by the loader, and again when an analysis runs (programmes built in memory)


def check_scenarios(programme: Programme) -> list[Problem]:
    """Problems with the scenario library's references: unknown sites, parts, suppliers, designs
    (:func:`rackforge.io.validate.scenario_problems`)."""
    from rackforge.io.validate import scenario_problems

    return scenario_problems(programme)


def require_valid_scenarios(programme: Programme) -> ScenarioLibrary:
    """The scenario library, after raising InputError if its references are broken."""
    from rackforge.errors import InputError

    problems = check_scenarios(programme)
    if problems:
        raise InputError(problems)
    return library_of(programme)
