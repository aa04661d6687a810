"""Benchmarks of the engineering checks (plain script; run from the repository root).

1. All rack and pod checks over 100,000 design variants (GPUs per rack × bus voltage ×
   coolant × temperature rise) with NumPy arrays, on one core. Target < 2 s.
2. ``rackforge check`` on the reference programme, start-up included (subprocess wall time,
   median of 7, table and JSON output). Target < 1.5 s.

    PYTHONPATH=src python benchmarks/bench_engineering.py [PROGRAMME_DIR]
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np

from rackforge.engineering.figures import rack_figures
from rackforge.engineering.sweep import run_variant_checks, summarise, variant_figures, variant_status
from rackforge.io.loader import load_programme

GPUS = np.arange(8, 208, 8)                   # 25 rack sizes
VOLTAGES = np.array([48.0, 50.0, 54.0, 400.0, 800.0])
COOLANTS = np.array([0, 1])                   # water, PG25
DELTA_T = np.linspace(5.0, 15.0, 400)         # 400 temperature rises


def bench_sweep(programme_dir: str | None) -> float:
    """Seconds to run every check over 100,000 variants (best of 5)."""
    programme = load_programme(programme_dir)
    design_id = programme.build_plan.designs[0]
    base = rack_figures(programme.catalog.designs[design_id], programme.catalog, programme.facility)
    variants = variant_figures(base, GPUS, VOLTAGES, COOLANTS, DELTA_T)
    n = np.size(variants.gpus)
    assert n == 100_000, n
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        findings = run_variant_checks(variants)
        status = variant_status(findings, n)
        best = min(best, time.perf_counter() - start)
    fails = int(np.count_nonzero(status == 2))
    print(f"sweep: {len(findings)} checks × {n:,} variants of {design_id} in {best:.3f} s (best of 5); "
          f"{fails:,} variants fail some check")
    for check, counts in summarise(findings, n).items():
        if counts["fail"]:
            print(f"  {check}: {counts['fail']:,} fail")
    return best


def bench_cli(programme_dir: str | None, *extra: str) -> float:
    """Wall seconds of `rackforge check [DIR] [extra]` in a fresh interpreter (best and median of 7)."""
    env = {**os.environ, "PYTHONPATH": str(Path("src").resolve())}
    cmd = [sys.executable, "-m", "rackforge", "check", *extra] + ([programme_dir] if programme_dir else [])
    times = []
    for _ in range(7):
        start = time.perf_counter()
        done = subprocess.run(cmd, capture_output=True, env=env, check=False)
        times.append(time.perf_counter() - start)
    best, median = min(times), sorted(times)[len(times) // 2]
    print(f"cli: {' '.join(cmd[2:])} exit {done.returncode} in {best:.3f} s wall best, {median:.3f} s median of 7")
    return median


if __name__ == "__main__":
    folder = sys.argv[1] if len(sys.argv) > 1 else None
    sweep_s = bench_sweep(folder)
    cli_s = max(bench_cli(folder), bench_cli(folder, "--json"))
    print(f"targets: sweep < 2 s ({'ok' if sweep_s < 2 else 'MISSED'}), "
          f"cli < 1.5 s ({'ok' if cli_s < 1.5 else 'MISSED'})")
