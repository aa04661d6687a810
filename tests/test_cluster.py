"""On a LocalCluster of two processes, every distributed command gives the one-process JSON (issue 17)."""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import rackforge
from rackforge import api
from rackforge.core.parallel import running_on
from rackforge.io.loader import load_programme

distributed = pytest.importorskip("distributed")

from rackforge.cluster.connect import local_cluster  # noqa: E402
from rackforge.cluster.dask_map import DaskMap  # noqa: E402


@pytest.fixture(scope="module")
def cluster_map() -> Iterator[DaskMap]:
    """One LocalCluster of two single-threaded worker processes for the module."""
    src = str(Path(rackforge.__file__).resolve().parents[1])  # workers import rackforge from here too
    old = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = src + (os.pathsep + old if old else "")
    try:
        with local_cluster(2) as cluster, distributed.Client(cluster) as client:
            yield DaskMap(client)
    finally:
        if old is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = old


@pytest.fixture(scope="module")
def programme() -> Any:
    return load_programme(None)


def same_json(a: Any, b: Any) -> bool:
    return json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True, default=str)


def test_simulate_on_two_workers_equals_one_process(cluster_map: DaskMap, programme: Any) -> None:
    one = api.simulate(programme, 6000, 5, chunk=1024)
    with running_on(cluster_map):
        two = api.simulate(programme, 6000, 5, chunk=1024)
    assert cluster_map.workers == 2
    assert same_json(one.to_json(), two.to_json())


def test_factory_and_capacity_plan_on_two_workers_equal_one_process(cluster_map: DaskMap, programme: Any) -> None:
    one = api.factory(programme, replications=3, seed=4, workers=1, weeks=8)
    with running_on(cluster_map):
        two = api.factory(programme, replications=3, seed=4, weeks=8)
    assert same_json(one.to_dict(), two.to_dict())
    plan_one = api.plan_factory_capacity(programme, replications=2, seed=1, workers=1)
    with running_on(cluster_map):
        plan_two = api.plan_factory_capacity(programme, replications=2, seed=1)
    assert plan_one.trace and same_json(plan_one.to_dict(), plan_two.to_dict())


def test_optimize_sweep_on_two_workers_equals_one_process(cluster_map: DaskMap, programme: Any) -> None:
    one = api.optimize_sweep(programme, domestic_targets=[0.5, 0.6], scenarios=300)
    with running_on(cluster_map):
        two = api.optimize_sweep(programme, domestic_targets=[0.5, 0.6], scenarios=300)
    assert len(one.curve.points) == 2
    assert same_json(one.to_dict(), two.to_dict())


SPEC = """\
sweep:
  inputs:
    - field: build_plan.scale
      values: [0.5, 1.0]
    - field: scenarios.events[taiwan-strait].annual_probability
      values: [0.02, 0.3, 1.5]
  run:
    simulate: {scenarios: 1024, seed: 3}
  outputs:
    - simulate.summary.expected_value_short_usd
    - simulate.summary.probability_of_shortfall
"""


def test_sweep_on_two_workers_equals_one_process_and_individual_runs(cluster_map: DaskMap, programme: Any,
                                                                    tmp_path: Path) -> None:
    from rackforge.cluster.inputs import with_inputs
    from rackforge.cluster.sweep import design_rows, load_spec, run_rows

    path = tmp_path / "spec.yaml"
    path.write_text(SPEC)
    spec = load_spec(path, programme)
    rows = design_rows(spec, programme)
    one = list(run_rows(programme, spec, rows, None))
    with running_on(cluster_map):
        two = list(run_rows(programme, spec, rows, None))
    assert same_json(one, two)
    assert [r["error"] is None for r in one] == [True, True, False] * 2  # probability 1.5 is refused, per row
    assert "annual_probability" in one[2]["error"]
    for row in one:
        if row["error"] is None:
            inputs = {i.field: row[i.field] for i in spec.inputs}
            alone = api.simulate(with_inputs(programme, inputs), 1024, 3).to_json()["summary"]
            assert row["simulate.summary.expected_value_short_usd"] == alone["expected_value_short_usd"]
            assert row["simulate.summary.probability_of_shortfall"] == alone["probability_of_shortfall"]


def test_a_worker_killed_mid_run_changes_nothing(cluster_map: DaskMap, programme: Any) -> None:
    """Kill one worker process (SIGKILL) when the first piece is merged: Dask reruns its tasks elsewhere
    (and the nanny starts a new worker); the merged result is the one-process result."""
    one = api.simulate(programme, 12 * 1024, 8, chunk=1024)
    pids = list(cluster_map.client.run(os.getpid).values())
    killed: list[int] = []

    def kill_once(_: int) -> None:
        if not killed:
            os.kill(pids[0], signal.SIGKILL)
            killed.append(pids[0])

    with running_on(cluster_map):
        two = api.simulate(programme, 12 * 1024, 8, chunk=1024, progress=kill_once)
    assert killed
    assert pids[0] not in cluster_map.client.run(os.getpid).values()  # that process is gone
    assert same_json(one.to_json(), two.to_json())
