"""Scaled programmes for the benchmarks: the reference programme at N× volume and/or N× sources.

    python benchmarks/scale.py OUT_DIR [--volume N] [--sources N] [--designs N]

writes a programme folder (plain YAML, the reference programme's files) that every command reads:

- ``--volume N``: the build plan's racks, the stock on hand and in the pipeline, every source's
  quarterly capacity and every factory station count × N (minimum orders unchanged);
- ``--sources N``: every source cloned onto N sites (the original and N − 1 clones of its site, in the
  same country and region, ids suffixed ``-s2`` … ``-sN``), its quarterly capacity split evenly
  (rounded up), price, lead time, MOQ and qualification unchanged. The cloned sites are written to
  ``sites.yaml``.

- ``--designs N``: every design of the build plan cloned N − 1 times with new ids (suffixed ``-d2`` …
  ``-dN``; the same BOM, so the same parts and assemblies), written to ``designs.yaml``; each quarter's
  racks of a design split over it and its clones (the total kept exactly: the remainder goes to the
  first copies), the clones added to the factory route of the original and after it in the Monte
  Carlo's allocation priority. Evaluations, readiness and stock keep naming the originals.

Then, e.g.::

    /usr/bin/time -v rackforge optimize OUT_DIR --json > /dev/null
    /usr/bin/time -v rackforge assess OUT_DIR -o OUT_DIR/report --json > /dev/null
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import Any

import yaml


def reference_folder() -> Path:
    """The built-in reference programme's folder (its YAML files)."""
    from rackforge.io.loader import REFERENCE_DIR

    return Path(REFERENCE_DIR)


def read_sections(folder: Path) -> dict[str, dict[str, Any]]:
    """Each YAML file of ``folder`` as parsed data, keyed by file name."""
    return {p.name: yaml.safe_load(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.yaml"))}


def scale_count(value: float, factor: int) -> int | float:
    """``value`` × ``factor``, an integer when ``value`` is one."""
    scaled = value * factor
    return int(scaled) if isinstance(value, int) else scaled


def scale_volume(files: dict[str, dict[str, Any]], factor: int) -> None:
    """Build plan, stock, source capacities and factory station counts × ``factor`` (in place)."""
    plan = files["build_plan.yaml"]["build_plan"]["quarters"]
    for quarter, racks in plan.items():
        plan[quarter] = {design: scale_count(n, factor) for design, n in racks.items()}
    for item in files["scenarios.yaml"]["scenarios"].get("stock", []):
        for key in ("on_hand_units", "pipeline_units"):
            if key in item:
                item[key] = scale_count(item[key], factor)
    for source in files["sources.yaml"]["sources"]:
        if "capacity_per_quarter" in source:
            source["capacity_per_quarter"] = scale_count(source["capacity_per_quarter"], factor)
    for station in files["factory.yaml"]["factory"].get("stations", []):
        if "count" in station:
            station["count"] = scale_count(station["count"], factor)


def clone_site_id(site: str, copy: int) -> str:
    """The id of copy ``copy`` (2, 3, …) of ``site``."""
    return f"{site}-s{copy}"


def split_capacity(capacity: float, copies: int) -> int:
    """Each copy's share of a quarterly capacity [units/quarter], rounded up (the total never falls)."""
    return math.ceil(capacity / copies)


def scale_sources(files: dict[str, dict[str, Any]], copies: int, catalog_sites: dict[str, dict[str, Any]]) -> None:
    """Every source on ``copies`` sites with its capacity split; the new sites into ``sites.yaml``."""
    sources = files["sources.yaml"]["sources"]
    new_sources: list[dict[str, Any]] = []
    needed: set[str] = set()
    for source in sources:
        if "capacity_per_quarter" in source:
            source["capacity_per_quarter"] = split_capacity(source["capacity_per_quarter"], copies)
        new_sources.append(source)
        for k in range(2, copies + 1):
            clone = dict(source, site=clone_site_id(source["site"], k))
            new_sources.append(clone)
            needed.add(source["site"])
    files["sources.yaml"]["sources"] = new_sources
    sites = []
    for site_id in sorted(needed):
        base = catalog_sites[site_id]
        for k in range(2, copies + 1):
            clone = {key: value for key, value in base.items() if value not in (None, {}, [], ())}
            clone.update(id=clone_site_id(site_id, k), name=f"{base['name']} (copy {k})",
                         source=f"benchmark clone of {site_id} (benchmarks/scale.py)")
            sites.append(clone)
    files["sites.yaml"] = {"sites": sites}


def clone_design_id(design: str, copy: int) -> str:
    """The id of copy ``copy`` (2, 3, …) of ``design``."""
    return f"{design}-d{copy}"


def split_racks(racks: int, copies: int) -> list[int]:
    """``racks`` split over ``copies`` designs [racks]: equal whole shares, the remainder one each to the
    first copies, so the total is kept exactly."""
    share, rest = divmod(int(racks), copies)
    return [share + (1 if k < rest else 0) for k in range(copies)]


def scale_designs(files: dict[str, dict[str, Any]], copies: int, catalog_designs: dict[str, dict[str, Any]]) -> None:
    """Every planned design on ``copies`` design ids, racks split; clones into ``designs.yaml`` (in place)."""
    plan = files["build_plan.yaml"]["build_plan"]["quarters"]
    planned = sorted({d for racks in plan.values() for d in racks})
    for quarter, racks in plan.items():
        split: dict[str, int] = {}
        for design, n in racks.items():
            for k, share in enumerate(split_racks(n, copies), start=1):
                if share > 0:
                    split[design if k == 1 else clone_design_id(design, k)] = share
        plan[quarter] = split
    clones = []
    for design in planned:
        base = {key: value for key, value in catalog_designs[design].items() if value not in (None, {}, [], ())}
        for k in range(2, copies + 1):
            clone = dict(base, id=clone_design_id(design, k), name=f"{base['name']} (copy {k})",
                         source=f"benchmark clone of {design} (benchmarks/scale.py)")
            clone.pop("figure_sources", None)
            clones.append(clone)
    files["designs.yaml"] = {"designs": clones}

    def with_clones(ids: list[str]) -> list[str]:
        return [x for d in ids for x in [d, *(clone_design_id(d, k) for k in range(2, copies + 1) if d in planned)]]

    for route in files["factory.yaml"]["factory"].get("routes", []):
        route["designs"] = with_clones(route.get("designs", []))
    scenarios = files["scenarios.yaml"]["scenarios"]
    if "priority" in scenarios:
        scenarios["priority"] = with_clones(scenarios["priority"])


def catalog_design_records() -> dict[str, dict[str, Any]]:
    """The built-in catalog's rack designs as plain data, keyed by id."""
    from rackforge.io.loader import load_programme

    programme = load_programme(None)
    return {did: design.model_dump(mode="json", exclude_none=True) for did, design in programme.catalog.designs.items()}


def catalog_site_records() -> dict[str, dict[str, Any]]:
    """The built-in catalog's sites as plain data, keyed by id."""
    from rackforge.io.loader import load_programme

    programme = load_programme(None)
    return {sid: site.model_dump(mode="json") for sid, site in programme.catalog.sites.items()}


class PlainDumper(yaml.SafeDumper):
    """Safe YAML without anchors and aliases (clones share records in memory, not in the files)."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def write_programme(files: dict[str, dict[str, Any]], out: Path) -> None:
    """Write each file's data as YAML into ``out`` (created)."""
    out.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        text = yaml.dump(data, Dumper=PlainDumper, sort_keys=False, allow_unicode=True, width=120)
        (out / name).write_text(f"# generated by benchmarks/scale.py from the reference programme\n{text}",
                                encoding="utf-8")


def scaled_programme(out: Path, *, volume: int = 1, sources: int = 1, designs: int = 1) -> Path:
    """Write the reference programme at ``volume``× volume, ``sources``× sources and ``designs``× designs
    into ``out``."""
    if volume < 1 or sources < 1 or designs < 1:
        raise ValueError("volume, sources and designs are factors ≥ 1")
    files = read_sections(reference_folder())
    if volume > 1:
        scale_volume(files, volume)
    if sources > 1:
        scale_sources(files, sources, catalog_site_records())
    if designs > 1:
        scale_designs(files, designs, catalog_design_records())
    write_programme(files, out)
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="programme folder to write")
    parser.add_argument("--volume", type=int, default=1, help="volume factor (build plan, stock, capacity, stations)")
    parser.add_argument("--sources", type=int, default=1, help="sites per source (capacity split)")
    parser.add_argument("--designs", type=int, default=1, help="design ids per planned design (racks split)")
    args = parser.parse_args(argv)
    path = scaled_programme(args.out, volume=args.volume, sources=args.sources, designs=args.designs)
    print(f"wrote {path} (volume ×{args.volume}, sources ×{args.sources}, designs ×{args.designs})")


if __name__ == "__main__":
    main()
