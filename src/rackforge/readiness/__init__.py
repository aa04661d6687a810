"""Manufacturing readiness levels (MRL 1-10) per part and site along the DoD threads.

``criteria.yaml`` (package data) is the checklist; a programme's ``readiness:`` section holds the
assessments (answers with evidence); :mod:`rackforge.readiness.scoring` turns them into levels,
a heat map and the list of gaps with the actions that close them.
"""

# The programme model refers to rackforge.schema.readiness; import the model package first so the
# import cycle always resolves in one order (see rackforge.factory).
import rackforge.schema  # noqa: F401
