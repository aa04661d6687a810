"""US factory integration and test: line model, simulation, capacity, test plans and test results.

Import the pieces from their modules (``rackforge.schema.factory``, ``.sim``, ``.capacity``,
``.testplan``, ``.testresults``); this package imports nothing heavy on its own so that the
programme model can refer to :class:`rackforge.schema.factory.Factory` cheaply.
"""

# The programme model (rackforge.schema.programme) refers to rackforge.schema.factory.Factory, and that
# module builds on rackforge.schema.base. Importing the model package first keeps that cycle in one order:
# rackforge.schema -> programme -> factory.model -> model.base (already loaded).
import rackforge.schema  # noqa: F401
