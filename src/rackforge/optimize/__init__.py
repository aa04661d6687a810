"""Sourcing optimiser: how much of each part to buy from which site in which quarter.

A mixed-integer program solved with HiGHS (highspy), built as a thin vectorised layer over
named dimensions (``source`` = a part made at a site, ``quarter``, ``year``, ``design``):

- :mod:`~rackforge.optimize.data`: the problem as NumPy arrays, from a :class:`~rackforge.schema.Programme`;
- :mod:`~rackforge.optimize.model`: small ``define_*`` functions that add variable and constraint
  blocks (sparse matrices) to a :class:`~rackforge.optimize.model.LinearModel`;
- :mod:`~rackforge.optimize.solve`: pass the model to HiGHS in one call, check the status, read the
  plan, fix the yes/no decisions and read the duals;
- :mod:`~rackforge.optimize.starts`: warm starts (the LP relaxation rounded up, or a known plan) and
  "is there a plan?" in two LPs;
- :mod:`~rackforge.optimize.feasibility`: an independent re-check of any plan against the data;
- :mod:`~rackforge.optimize.explain`: why no plan meets the targets, and by how much;
- :mod:`~rackforge.optimize.sweep`: the cost of resilience curve and its knee.
"""

from rackforge.optimize.data import OptimizeInput, SourcingTargets, build_input
from rackforge.optimize.solve import OptimizeResult, optimise

__all__ = ["OptimizeInput", "OptimizeResult", "SourcingTargets", "build_input", "optimise"]
