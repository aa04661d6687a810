"""``rackforge serve`` in a subprocess on a free loopback port, for the service and browser tests and the
service benchmarks (one way to start it and to know it is up: ``GET /api/health`` answers 200)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

SRC = Path(__file__).parents[1] / "src"


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_serve(db_url: str, port: int, *extra: str, out: IO[bytes] | int = subprocess.DEVNULL,
                timeout_s: float = 60.0, new_session: bool = False) -> subprocess.Popen[bytes]:
    """Start ``rackforge serve --db db_url --port port *extra`` (this checkout's ``src`` first on the path)
    and return once ``/api/health`` answers; the process is killed and RuntimeError raised if it exits or
    does not answer within ``timeout_s`` [s]."""
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    process = subprocess.Popen([sys.executable, "-m", "rackforge", "serve", "--db", db_url, "--port", str(port),
                                *extra], stdout=out, stderr=out, env=env, start_new_session=new_session)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"rackforge serve exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=1) as response:
                if response.status == 200:
                    return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    process.wait(10)
    raise RuntimeError(f"rackforge serve did not answer /api/health within {timeout_s:g} s")


@contextmanager
def serving(db_url: str, port: int, *extra: str, log: Path | None = None,
            timeout_s: float = 60.0) -> Iterator[subprocess.Popen[bytes]]:
    """:func:`start_serve` until the block ends, then SIGTERM (unless the block killed it); its output goes
    to ``log`` (appended) when given, and a failed start raises RuntimeError with that output."""
    if log is None:
        process = start_serve(db_url, port, *extra, timeout_s=timeout_s)
    else:
        with log.open("ab") as out:  # the child keeps its own descriptor
            try:
                process = start_serve(db_url, port, *extra, out=out, timeout_s=timeout_s)
            except RuntimeError as exc:
                raise RuntimeError(f"{exc}:\n{log.read_text(errors='replace')}") from None
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            process.wait(30)
