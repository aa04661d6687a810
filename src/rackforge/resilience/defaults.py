"""Defaults of the resilience analyses (Monte Carlo, stress test), shared by every caller.

``rackforge simulate``, ``rackforge assess`` (the report's resilience section), the optimiser's
cost-of-resilience curve (``rackforge optimize --sweep``) and :mod:`rackforge.api` all take their
default seed and scenario count from here, so the same command line gives the same figures
wherever it is run: ``rackforge simulate`` with no options reproduces the report's Monte Carlo.
"""

from __future__ import annotations

from collections.abc import Sequence

from rackforge.seeds import DEFAULT_SEED

MONTE_CARLO_SEED = DEFAULT_SEED
"""Seed of the disruption Monte Carlo when none is given: the one default seed of every command
(:data:`rackforge.seeds.DEFAULT_SEED`). The same seed gives the same numbers however the run is
chunked (one random stream per block of scenarios)."""

MONTE_CARLO_SCENARIOS = 10_000
"""Scenarios of the disruption Monte Carlo when no count is given [scenarios]."""

MONTE_CARLO_MEMORY_BUDGET_BYTES = 128 * 2**20
"""Working memory of one chunk of Monte Carlo scenarios (sampling, kernel, reduction) when none is
given [bytes]: 128 MiB. Results are reduced on the fly and add a fixed few MB, so a run's peak
memory does not grow with the number of scenarios."""

STRESS_LEVELS = ("site", "country", "region")
"""Groups the stress test takes down when none are named: every site, country and region."""

STRESS_LEVEL_CHOICES = ("site", "country", "region", "node")
"""Groups the stress test can take down (``node``: each node of the supply network)."""


def checked_stress_levels(levels: Sequence[str]) -> tuple[str, ...]:
    """``levels`` as a tuple, each one of :data:`STRESS_LEVEL_CHOICES` (a usage error otherwise)."""
    from rackforge.errors import UsageError

    chosen = tuple(levels)
    if not chosen or any(x not in STRESS_LEVEL_CHOICES for x in chosen):
        raise UsageError(f"stress levels {', '.join(chosen) or '(none)'}: choose from "
                         f"{', '.join(STRESS_LEVEL_CHOICES)}")
    return chosen
