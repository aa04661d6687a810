"""Whether the simulated line meets the build plan: the factory's own confidence target decides.

``rackforge factory`` exits with status 1 when this says the plan is missed; the API and the report
use the same test.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rackforge.factory.results import FactoryResult
    from rackforge.schema import Programme


def confidence_target(programme: Programme) -> float:
    """Share of replications that must meet the build plan [fraction] (the factory's ``targets.confidence``)."""
    from rackforge.factory.releases import require_factory

    return require_factory(programme).targets.confidence


def plan_missed(programme: Programme, result: FactoryResult, whole_plan: bool = True) -> str | None:
    """Why the simulated line misses the build plan, or None when it meets it with the factory's
    confidence. A run of only the first weeks of the plan (``whole_plan`` False) is not judged."""
    target = confidence_target(programme)
    if not whole_plan or result.plan_met_share >= target:
        return None
    what = "the build plan is met"
    if result.material_limited:
        m = result.material
        what = f"the {m['released_racks']:,} racks material allows (of {m['planned_racks']:,} planned) ship on time"
    return (f"{what} in {result.plan_met_share:.0%} of replications; the target is {target:.0%} "
            "(try 'rackforge factory --plan-capacity')")
