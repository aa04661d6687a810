"""Benchmark: every command on scaled programmes, with wall time, CPU time and peak memory.

    python benchmarks/scale.py /tmp/P10 --volume 10        # programmes from benchmarks/scale.py
    PYTHONPATH=src python benchmarks/scale_commands.py ref= P10=/tmp/P10 [--commands check,assess]

Each ``NAME=FOLDER`` pair names a programme folder (``ref=`` with no folder: the built-in reference
programme). Every command runs once in a fresh process under GNU time (``/usr/bin/time -v``), its
output thrown away, as a user would run it: ``check``, ``sourcing``, ``stress``, ``simulate`` (its
default 10,000 scenarios), ``buffers``, ``optimize`` (its default targets and 120 s limit), ``factory``
(10 replications on every core) and ``assess`` (all sections, report written to a temporary folder).

Printed per run, as a Markdown table row: wall time, CPU time (user + system, children included, so a
loaded machine does not inflate it), the peak resident memory of the largest process (GNU time's
"Maximum resident set size": with worker processes, the largest one, not their sum), the exit status,
and the load average when the run started (the machine is shared: read wall times with it).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

COMMANDS = ("check", "sourcing", "stress", "simulate", "buffers", "optimize", "factory", "assess")
"""The commands measured, in this order."""

TIME_FIELDS = {"user": r"User time \(seconds\): ([\d.]+)", "system": r"System time \(seconds\): ([\d.]+)",
               "wall": r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)",
               "rss_kb": r"Maximum resident set size \(kbytes\): (\d+)", "exit": r"Exit status: (\d+)"}
"""What is read from GNU time's ``-v`` report."""


def command_line(command: str, folder: str | None, out: Path) -> list[str]:
    """The ``rackforge`` command line of one run (``folder`` None: the reference programme)."""
    args = [sys.executable, "-m", "rackforge", command]
    if folder:
        args.append(folder)
    if command == "assess":
        args += ["-o", str(out / "report"), "--json"]
    elif command in ("check", "sourcing", "stress", "simulate", "buffers", "optimize", "factory"):
        args.append("--json")
    return args


def seconds(clock: str) -> float:
    """GNU time's ``[h:]mm:ss.ss`` as seconds."""
    total = 0.0
    for part in clock.split(":"):
        total = total * 60 + float(part)
    return total


def measure(command: str, folder: str | None) -> dict[str, float]:
    """Run one command under ``/usr/bin/time -v``: wall [s], cpu [s], rss [MB], exit status, load."""
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        result = subprocess.run(["/usr/bin/time", "-v", *command_line(command, folder, Path(tmp))],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False)
    found = {k: re.search(pattern, result.stderr) for k, pattern in TIME_FIELDS.items()}
    missing = [k for k, m in found.items() if m is None]
    if missing:
        raise RuntimeError(f"{command}: no {', '.join(missing)} in GNU time's report:\n{result.stderr[-2000:]}")
    value = {k: m.group(1) for k, m in found.items() if m is not None}
    return {"wall": seconds(value["wall"]), "cpu": float(value["user"]) + float(value["system"]),
            "rss_mb": int(value["rss_kb"]) / 1024, "exit": int(value["exit"]), "load": load}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("programmes", nargs="+", help="NAME=FOLDER (NAME= for the reference programme)")
    parser.add_argument("--commands", default=",".join(COMMANDS), help="comma-separated commands to run")
    args = parser.parse_args(argv)
    commands = [c for c in args.commands.split(",") if c]
    unknown = sorted(set(commands) - set(COMMANDS))
    if unknown:
        parser.error(f"unknown commands {unknown}; valid: {', '.join(COMMANDS)}")
    print("| programme | command | wall [s] | CPU [s] | peak memory [MB] | exit | load average |")
    print("|---|---|---|---|---|---|---|")
    for spec in args.programmes:
        name, _, folder = spec.partition("=")
        for command in commands:
            m = measure(command, folder or None)
            print(f"| {name} | `{command}` | {m['wall']:.2f} | {m['cpu']:.2f} | {m['rss_mb']:.0f} | "
                  f"{m['exit']:.0f} | {m['load']:.1f} |", flush=True)


if __name__ == "__main__":
    main()
