"""Start-up time of the CLI: ``rackforge --help`` (target < 0.3 s) and other commands.

Run: ``python benchmarks/cli_startup.py [--repeat N] [ARGS...]``. Prints the median and best wall time
of N runs of ``python -m rackforge ARGS`` (default ``--help``) in fresh processes.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time


def time_command(args: list[str], repeat: int) -> list[float]:
    """Wall times [s] of ``repeat`` fresh runs of the CLI with ``args``."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "rackforge", *args], check=False, capture_output=True)
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("args", nargs="*", default=["--help"])
    ns = parser.parse_args()
    times = time_command(ns.args, ns.repeat)
    print(f"rackforge {' '.join(ns.args)}: median {statistics.median(times):.3f} s, best {min(times):.3f} s "
          f"over {ns.repeat} runs")


if __name__ == "__main__":
    main()
