"""Bill of materials, supply network, domestic content and concentration risk.

Modules (import what you need; this package imports nothing heavy on its own):

- :mod:`~rackforge.sourcing.rules`: domestic-content rules as data (pydantic, no numpy);
- :mod:`~rackforge.sourcing.bom`: BOM explosion through nested assemblies and cost roll-ups;
- :mod:`~rackforge.core.supply` (shared): the supply view (landed cost, origin, order shares by date);
- :mod:`~rackforge.sourcing.domestic`: domestic content per design and year (pure array functions);
- :mod:`~rackforge.sourcing.concentration`: single-source/-country parts, HHI, country exposure,
  lead-time paths;
- :mod:`~rackforge.sourcing.whatif`: move parts between sites and rank parts to bring home;
- :mod:`~rackforge.io.exchange`: CSV/Excel import and export;
- :mod:`~rackforge.sourcing.analysis`: everything together as one result with tables and JSON.
"""
