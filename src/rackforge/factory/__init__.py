"""US factory integration and test: line model, simulation, capacity, test plans and test results.

Import the pieces from their modules (``rackforge.factory.model``, ``.sim``, ``.capacity``,
``.testplan``, ``.testresults``); this package imports nothing heavy on its own so that the
programme model can refer to :class:`rackforge.factory.model.Factory` cheaply.
"""

# The programme model (rackforge.model.programme) refers to rackforge.factory.model.Factory, and that
# module builds on rackforge.model.base. Importing the model package first keeps that cycle in one order:
# rackforge.model -> programme -> factory.model -> model.base (already loaded).
import rackforge.model  # noqa: F401
