"""Early-access evaluation, the option to buy, and total cost of ownership.

- :mod:`rackforge.evaluate.tco`: TCO of a rack over N years and per GPU-hour (pure functions);
- :mod:`rackforge.schema.evaluations`: the ``evaluations:`` section of a programme;
- :mod:`rackforge.evaluate.scoring`: weighted scoring, ranking and weight sensitivity (pure functions);
- :mod:`rackforge.evaluate.criteria`: raw criterion values, computed or stated in data;
- :mod:`rackforge.evaluate.analysis`: :func:`~rackforge.evaluate.analysis.evaluate` ties them together.

The model package is imported first (below) so that it can import the section's types without a cycle.
"""

# The programme model imports this package's section type (evaluate.model.Evaluations). Load the model
# package first, whichever module is imported first, so the import order is always model -> evaluate.
import rackforge.schema  # noqa: F401
