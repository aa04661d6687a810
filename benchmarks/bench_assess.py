"""Benchmark: ``rackforge assess`` on the built-in reference programme, end to end.

Runs the real CLI in a fresh interpreter (as a user would) with 10,000 Monte Carlo scenarios and
reports the wall time (median of ``--repeat`` runs), the time of each section (from ``--json``),
and the size of report.html. Targets: < 20 s wall on the 2-core CI machine; report.html < 10 MB.
Exit status 1 if a target is missed.

    PYTHONPATH=src python benchmarks/bench_assess.py [--repeat 3] [--scenarios 10000]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WALL_TARGET_S = 20.0
HTML_TARGET_BYTES = 10_000_000


def run_once(scenarios: int) -> tuple[float, dict[str, object]]:
    """One ``rackforge assess --json`` run: (wall seconds, the JSON it printed)."""
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        result = subprocess.run([sys.executable, "-m", "rackforge", "assess", "-o", out, "--scenarios",
                                 str(scenarios), "--json"], capture_output=True, text=True, env=os.environ.copy())
        wall = time.perf_counter() - start
        if result.returncode != 0:
            sys.exit(f"rackforge assess failed ({result.returncode}):\n{result.stderr}")
        data: dict[str, object] = json.loads(result.stdout)
        data["html_bytes"] = Path(out, "report.html").stat().st_size
    return wall, data


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--scenarios", type=int, default=10_000)
    args = parser.parse_args()
    walls, last = [], {}
    for _ in range(args.repeat):
        wall, last = run_once(args.scenarios)
        walls.append(wall)
    median = statistics.median(walls)
    html = int(last["html_bytes"])  # type: ignore[call-overload]
    print(f"rackforge assess (reference programme, {args.scenarios:,} scenarios): "
          f"median {median:.2f} s wall over {args.repeat} runs (min {min(walls):.2f}, max {max(walls):.2f}); "
          f"target < {WALL_TARGET_S:.0f} s")
    print(f"report.html: {html / 1e6:.2f} MB; target < {HTML_TARGET_BYTES / 1e6:.0f} MB")
    print("sections:", ", ".join(f"{k} {v:.2f} s" for k, v in last["timings_s"].items()))  # type: ignore[attr-defined]
    absent = [a["key"] for a in last["absent"]]  # type: ignore[attr-defined]
    if absent:
        print("absent:", ", ".join(absent))
    return 0 if median < WALL_TARGET_S and html < HTML_TARGET_BYTES else 1


if __name__ == "__main__":
    sys.exit(main())
