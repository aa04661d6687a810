"""benchmarks/scale.py writes scaled programmes that load and keep what they promise."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from rackforge.io.loader import load_programme

SCALE = Path(__file__).parent.parent / "benchmarks" / "scale.py"


@pytest.fixture(scope="module")
def scale():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("bench_scale", SCALE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def racks_per_quarter(programme) -> dict[str, int]:  # type: ignore[no-untyped-def]
    return {q: sum(racks.values()) for q, racks in programme.build_plan.quarters.items()}


def test_split_racks_keeps_the_total(scale) -> None:  # type: ignore[no-untyped-def]
    assert scale.split_racks(10, 3) == [4, 3, 3]
    assert scale.split_racks(2, 4) == [1, 1, 0, 0]
    assert sum(scale.split_racks(1_681, 7)) == 1_681


def test_designs_times_three_load_with_the_same_racks_per_quarter(scale, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    reference = load_programme(None)
    scaled = load_programme(scale.scaled_programme(tmp_path / "d3", designs=3))
    assert racks_per_quarter(scaled) == racks_per_quarter(reference)
    planned = {d.id for d in scaled.planned_designs}
    originals = {d.id for d in reference.planned_designs}
    assert planned >= originals and len(planned) == 3 * len(originals)
    for design in originals:
        clone = scaled.catalog.designs[f"{design}-d2"]
        assert clone.items == scaled.catalog.designs[design].items  # the same BOM
    routed = {d for route in scaled.factory.routes for d in route.designs}
    assert planned <= routed


def test_volume_and_sources_scale_what_they_say(scale, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    reference = load_programme(None)
    scaled = load_programme(scale.scaled_programme(tmp_path / "v2s2", volume=2, sources=2))
    assert racks_per_quarter(scaled) == {q: 2 * n for q, n in racks_per_quarter(reference).items()}
    assert len(scaled.sources) == 2 * len(reference.sources)
