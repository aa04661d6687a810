"""rackforge: plan AI data-center rack programmes for domestic manufacturing.

The package is organised as one-way data flow: input files are loaded and validated
into an immutable :class:`rackforge.schema.Programme`; analyses are pure functions of
that model; outputs render their typed results. See docs/architecture.md.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
