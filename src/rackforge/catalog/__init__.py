"""The built-in catalog: part types, assemblies, rack designs, suppliers and sites as YAML in ``data/``.

Loaded by :func:`rackforge.io.loader.load_catalog`; see docs/catalog.md.
"""
