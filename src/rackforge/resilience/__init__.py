"""Resilience analyses: stress test (time to survive vs time to recover), Monte Carlo of racks
delivered under disruptions, and strategic safety stock (guaranteed-service model).

Modules (import them directly; this package imports nothing heavy so that the programme model can
use :mod:`rackforge.resilience.scenarios` as the type of its ``scenarios`` section):

- :mod:`~rackforge.resilience.scenarios`: the ``scenarios:`` section models;
- :mod:`~rackforge.resilience.network`: the supply graph (sources → assemblies → racks) of a programme, and
  the supply figures every resilience analysis reads from :mod:`rackforge.core` (rack and part values,
  lead times, which sources ship);
- :mod:`~rackforge.resilience.stress`: TTS/TTR linear programs (Simchi-Levi et al. 2015) with HiGHS;
- :mod:`~rackforge.resilience.montecarlo`: vectorised disruption Monte Carlo;
- :mod:`~rackforge.resilience.safety_stock`: guaranteed-service safety stock (Graves & Willems 2000).
"""

# The programme model uses scenarios.ScenarioLibrary as a field type, and scenarios.py builds on the
# model's base classes: load the model package first so either import order works.
import rackforge.schema  # noqa: F401
