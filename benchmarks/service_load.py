"""Read throughput of ``rackforge serve``: 32 concurrent clients on loopback, SQLite and PostgreSQL.

Run: ``PYTHONPATH=src python benchmarks/service_load.py [--db URL] [--clients 32] [--seconds 15]``.
Without ``--db`` the server uses a fresh SQLite database in a temporary folder; give
``--db postgresql+psycopg://…`` for PostgreSQL (the schema is created in a fresh search-path schema and
dropped afterwards). The server is a real ``rackforge serve`` process (uvicorn, one analysis worker);
the clients are one asyncio process with ``--clients`` concurrent connections alternating
``GET /api/programmes/{id}`` and ``GET /api/runs/{id}`` (a finished ``--analysis`` run, default check),
or ``wrk`` with as many connections (``--wrk``: the Python clients need about a core of their own).
Prints requests/s, latency percentiles [ms],
and the CPU time of server and clients (the machine has 2 cores shared by both, and by other jobs).

Target (issue 15): ≥ 300 requests/s and p99 ≤ 100 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from serving import free_port, serving  # noqa: E402  (the tests' way to start rackforge serve)

MINI = ROOT / "tests" / "data" / "mini"


@contextmanager
def fresh_database(url: str | None) -> Iterator[str]:
    """A migrated empty database: SQLite in a temporary folder, or a new schema on the PostgreSQL ``url``."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from rackforge.service.db import make_engine
    from rackforge.service.migrate import upgrade

    with tempfile.TemporaryDirectory(prefix="rackforge-bench-") as tmp:
        if url is None:
            target = f"sqlite:///{Path(tmp) / 'bench.db'}"
            schema = None
        else:
            schema = f"bench_{secrets.token_hex(4)}"
            with create_engine(url).begin() as connection:
                connection.execute(text(f'CREATE SCHEMA "{schema}"'))
            target = make_url(url).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
                hide_password=False)
        engine = make_engine(target)
        upgrade(engine)
        engine.dispose()
        try:
            yield target
        finally:
            if schema is not None and url is not None:
                with create_engine(url).begin() as connection:
                    connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


def add_user_with_token(url: str, name: str = "bench") -> str:
    """A user and an API token in the database at ``url``."""
    from rackforge.service.auth import hash_password, issue_token
    from rackforge.service.db import Database
    from rackforge.service.models import User, utcnow

    db = Database.connect(url)
    try:
        with db.write() as session:
            user = User(name=name, password_hash=hash_password("benchmark password"), is_admin=False,
                        created_at=utcnow())
            session.add(user)
            session.flush()
            return issue_token(session, user, "benchmark")
    finally:
        db.dispose()


def serve(url: str, port: int, *extra: str, log: Path | None = None) -> AbstractContextManager[subprocess.Popen[bytes]]:
    """A ``rackforge serve`` process on ``port`` until the block ends (the tests' :func:`serving`)."""
    return serving(url, port, *extra, log=log)


def process_cpu_s(pid: int) -> float:
    """User + system CPU time of process ``pid`` so far [s] (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def mini_files() -> dict[str, str]:
    """tests/data/mini as ``{name: text}``."""
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(MINI.glob("*.yaml"))}


async def load(base: str, token: str, paths: list[str], clients: int, seconds: float,
               rate: float | None = None) -> list[float]:
    """``clients`` concurrent loops of GETs over ``paths`` for ``seconds``; each request's latency [s].
    ``rate``: requests/s offered by all clients together (each client starts its next request on its own
    schedule, or at once when late); None: as fast as the server answers (closed loop, saturation)."""
    latencies: list[float] = []
    stop = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {token}"}, limits=limits,
                                 timeout=30) as http:
        async def client(index: int) -> None:
            i = index
            period = clients / rate if rate else 0.0
            due = time.monotonic() + period * index / clients
            while time.monotonic() < stop:
                if period:
                    await asyncio.sleep(max(0.0, due - time.monotonic()))
                    due += period
                start = time.perf_counter()
                response = await http.get(paths[i % len(paths)])
                latencies.append(time.perf_counter() - start)
                if response.status_code != 200:
                    raise RuntimeError(f"{paths[i % len(paths)]}: {response.status_code} {response.text[:200]}")
                i += 1

        await asyncio.gather(*(client(i) for i in range(clients)))
    return latencies


WRK_SCRIPT = """
paths = {%s}
i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i %% #paths) + 1])
end
"""


def load_with_wrk(base: str, token: str, paths: list[str], clients: int,
                  seconds: float) -> tuple[int, float, dict[str, float]]:
    """The same load from ``wrk`` (Debian's package, a C load generator that leaves the CPU to the server):
    requests, wall time [s] and latency percentiles [ms] ('50', '90', '99')."""
    import re
    import shutil

    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (apt-get install wrk)")
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT % ", ".join(f'"{p}"' for p in paths))
    out = subprocess.run(["wrk", f"-t{min(2, clients)}", f"-c{clients}", f"-d{seconds:g}s", "--latency",
                          "-H", f"Authorization: Bearer {token}", "-s", script.name, base],
                         capture_output=True, text=True, check=True).stdout
    os.unlink(script.name)
    if "Non-2xx" in out:
        raise RuntimeError(f"wrk saw errors:\n{out}")
    unit = {"us": 1e-3, "ms": 1.0, "s": 1e3}
    pct = {m[0]: float(m[1]) * unit[m[2]] for m in re.findall(r"^\s+(50|90|99)%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)}
    requests = int(re.search(r"(\d+) requests in ([\d.]+)(s|m)", out).group(1))  # type: ignore[union-attr]
    return requests, seconds, pct


def wait_until_finished(base: str, headers: dict[str, str], run_id: int, timeout_s: float = 600) -> None:
    """Poll run ``run_id`` until it is done (the load then measures reads alone, not reads beside a run)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        status = httpx.get(f"{base}/api/runs/{run_id}", headers=headers, timeout=30).json()["status"]
        if status == "done":
            return
        if status == "failed":
            raise RuntimeError(f"run {run_id} failed")
        time.sleep(0.2)
    raise RuntimeError(f"run {run_id} not done after {timeout_s:g} s")


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile of ``values`` (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default=None, help="PostgreSQL URL (default: SQLite in a temporary folder)")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--no-access-log", action="store_true", help="serve without the access log")
    parser.add_argument("--health", action="store_true", help="GET /api/health only (the server's floor)")
    parser.add_argument("--rate", type=float, default=None,
                        help="requests/s offered by the clients together (default: as fast as answered)")
    parser.add_argument("--analysis", default="check",
                        help="the run whose status is read, finished before the load starts (assess: the server "
                             "has then loaded every analysis, as a team's server has)")
    parser.add_argument("--wrk", action="store_true",
                        help="load from wrk (C, little CPU) instead of the Python clients, which take a core")
    ns = parser.parse_args()
    with fresh_database(ns.db) as url:
        token = add_user_with_token(url)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        with serve(url, port, *(["--no-access-log"] if ns.no_access_log else [])) as server:
            headers = {"Authorization": f"Bearer {token}"}
            pid = httpx.post(f"{base}/api/programmes", json={"name": "mini", "files": mini_files()},
                             headers=headers, timeout=60).json()["id"]
            run = httpx.post(f"{base}/api/programmes/{pid}/runs", json={"analysis": ns.analysis}, headers=headers,
                             timeout=60).json()["id"]
            wait_until_finished(base, headers, run)
            paths = ["/api/health"] if ns.health else [f"/api/programmes/{pid}", f"/api/runs/{run}"]
            asyncio.run(load(base, token, paths, ns.clients, ns.warmup))
            server_cpu, client_cpu = process_cpu_s(server.pid), time.process_time()
            if ns.wrk:
                requests, wall, pct = load_with_wrk(base, token, paths, ns.clients, ns.seconds)
                server_cpu = process_cpu_s(server.pid) - server_cpu
                kind = ("sqlite" if ns.db is None else "postgresql") + (" /api/health" if ns.health else "")
                print(f"{kind} (wrk): {requests} requests in {wall:.1f} s with {ns.clients} connections: "
                      f"{requests / wall:,.0f} requests/s; latency p50 {pct['50']:.1f} ms, p90 {pct['90']:.1f} ms, "
                      f"p99 {pct['99']:.1f} ms; CPU: server {server_cpu:.1f} s; "
                      f"load average {os.getloadavg()[0]:.1f}")
                return
            start = time.perf_counter()
            latencies = asyncio.run(load(base, token, paths, ns.clients, ns.seconds, ns.rate))
            wall = time.perf_counter() - start
            server_cpu, client_cpu = process_cpu_s(server.pid) - server_cpu, time.process_time() - client_cpu
    kind = ("sqlite" if ns.db is None else "postgresql") + (" /api/health" if ns.health else "")
    offered = f" offering {ns.rate:,.0f} requests/s" if ns.rate else ""
    print(f"{kind}: {len(latencies)} requests in {wall:.1f} s with {ns.clients} clients{offered}: "
          f"{len(latencies) / wall:,.0f} requests/s; latency p50 {percentile(latencies, 0.5) * 1e3:.1f} ms, "
          f"p90 {percentile(latencies, 0.9) * 1e3:.1f} ms, p99 {percentile(latencies, 0.99) * 1e3:.1f} ms, "
          f"max {max(latencies) * 1e3:.1f} ms; CPU: server {server_cpu:.1f} s, clients {client_cpu:.1f} s; "
          f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
