"""No run lost: 50 queued assess runs of different revisions, the server killed (SIGKILL) mid-way and
started again; every run must finish, each results.json valid against its schema.

Run: ``PYTHONPATH=src python benchmarks/service_kill.py [--db URL] [--runs 50] [--kill-after 20]``.
The programme is tests/data/mini; revision r plans r + 1 racks in its first quarter (revision 1: the file's
2), so no two runs share inputs (and none is answered from another's results). Each assess runs with 500 Monte Carlo
scenarios. The server is killed once ``--kill-after`` runs are done, with one running; it is started
again with the same database. Prints how many runs were done, queued and running at the kill, the
runs picked up again, and wall and CPU times.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import httpx
import jsonschema

from service_load import add_user_with_token, free_port, fresh_database, mini_files, process_cpu_s, serve

SCHEMA = Path(__file__).resolve().parents[1] / "src" / "rackforge" / "report" / "results.schema.json"
LEASE = ("--lease-seconds", "10", "--heartbeat-seconds", "1")


def statuses(http: httpx.Client, ids: list[int]) -> list[str]:
    """Each run's status."""
    return [http.get(f"/api/runs/{i}").json()["status"] for i in ids]


def stored_statuses(url: str, ids: list[int]) -> list[str]:
    """Each run's status in the database (read directly, while no server runs)."""
    from sqlalchemy import select

    from rackforge.service.db import Database
    from rackforge.service.models import Run

    db = Database.connect(url)
    try:
        with db.read() as session:
            status = {run_id: state for run_id, state in session.execute(select(Run.id, Run.status))}
    finally:
        db.dispose()
    return [status[i] for i in ids]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default=None, help="PostgreSQL URL (default: SQLite in a temporary folder)")
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--kill-after", type=int, default=20)
    ns = parser.parse_args()
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    files = mini_files()
    with fresh_database(ns.db) as url:
        token = add_user_with_token(url)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        started = time.perf_counter()
        cpu = 0.0
        with serve(url, port, *LEASE) as server, \
                httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=120) as http:
            pid = http.post("/api/programmes", json={"name": "mini", "files": files}).json()["id"]
            ids = []
            for k in range(ns.runs):
                text = files["programme.yaml"].replace("2027Q1: {mini-rack: 2}", f"2027Q1: {{mini-rack: {k + 2}}}")
                if k:
                    http.post(f"/api/programmes/{pid}/revisions",
                              json={"files": {"programme.yaml": text}, "message": f"{k + 2} racks"})
                body = {"analysis": "assess", "revision": k + 1, "options": {"scenarios": 500}}
                ids.append(http.post(f"/api/programmes/{pid}/runs", json=body).json()["id"])
            assert len(set(ids)) == ns.runs
            while True:
                now = statuses(http, ids)
                if now.count("done") >= ns.kill_after and "running" in now:
                    break
                time.sleep(0.2)
            cpu += process_cpu_s(server.pid)
            server.kill()
            server.wait(10)
        now = stored_statuses(url, ids)  # as the killed process left them
        at_kill = {s: now.count(s) for s in ("done", "running", "queued", "failed")}
        killed = [i for i, s in zip(ids, now, strict=True) if s == "running"]
        restarted = time.perf_counter()
        with serve(url, port, *LEASE) as server, \
                httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=120) as http:
            while any(s in ("queued", "running") for s in statuses(http, ids)):
                time.sleep(0.5)
            final = [http.get(f"/api/runs/{i}").json() for i in ids]
            for run in final:
                if run["status"] == "done":
                    jsonschema.validate(http.get(f"/api/runs/{run['id']}/results").json(), schema)
            cpu += process_cpu_s(server.pid)
        finished = time.perf_counter()
    done = sum(r["status"] == "done" for r in final)
    print(f"{'sqlite' if ns.db is None else 'postgresql'}: {ns.runs} assess runs; killed (SIGKILL) with {at_kill}; "
          f"after the restart {done}/{ns.runs} done ({ns.runs - done} lost or failed), each results.json valid "
          f"against its schema; run(s) {killed} were running at the kill and finished on attempt "
          f"{[r['attempts'] for r in final if r['id'] in killed]}; wall {restarted - started:.0f} s before the "
          f"kill + {finished - restarted:.0f} s after; server CPU {cpu:.0f} s")
    if done != ns.runs:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
