"""The one default random seed of every command, the report and the API.

``rackforge simulate``, ``optimize --sweep``, ``factory`` (through the factory's
``simulation.seed``), ``assess`` and :mod:`rackforge.api` all default to :data:`DEFAULT_SEED`, so any
command run with no ``--seed`` reproduces the figures of the report run with no ``--seed``.

Foundation layer: imports nothing.
"""

from __future__ import annotations

DEFAULT_SEED = 2026
"""Random seed used when none is given (an integer ≥ 0; the same seed gives the same numbers)."""
