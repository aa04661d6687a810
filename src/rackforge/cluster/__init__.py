"""Running rackforge's analyses on a Dask cluster (``--cluster``, ``RACKFORGE_CLUSTER``, ``rackforge sweep``).

The analyses know only :class:`rackforge.core.parallel.TaskMap`; this package (the api layer) supplies
the Dask one (:mod:`rackforge.cluster.dask_map`), chooses it from ``--cluster`` or the environment
(:func:`rackforge.cluster.connect.cluster_task_map`), and runs batches of scenarios
(:mod:`rackforge.cluster.sweep`). Dask is an optional extra: ``pip install 'rackforge[dask]'``.
"""
