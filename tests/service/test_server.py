"""``rackforge serve`` as a real process (uvicorn on loopback): the API over HTTP, and no run lost when the
process is killed with SIGKILL mid-run and started again."""

from __future__ import annotations

import subprocess
import time
from contextlib import AbstractContextManager
from pathlib import Path

import httpx

from rackforge.service.db import Database
from rackforge.service.models import Run
from serving import free_port, serving

from .helpers import add_user, bearer, mini_files

START_TIMEOUT_S = 60.0
RUN_REQUESTS = [{"analysis": "stress", "options": {"by": [level]}} for level in ("site", "country", "region")] + [
    {"analysis": "simulate", "options": {"seed": seed, "scenarios": 2000}} for seed in (1, 2, 3)]
RUNS = len(RUN_REQUESTS)


def served(db_url: str, port: int, log: Path) -> AbstractContextManager[subprocess.Popen[bytes]]:
    """``rackforge serve`` on ``port`` until the block ends (or the test kills it), with short leases."""
    return serving(db_url, port, "--lease-seconds", "4", "--heartbeat-seconds", "0.5", log=log,
                   timeout_s=START_TIMEOUT_S)


def _states(db: Database) -> list[tuple[str, int]]:
    with db.read() as session:
        return [(r.status, r.attempts) for r in session.query(Run).order_by(Run.id)]


def test_real_server_survives_sigkill_mid_run(db: Database, db_url: str, tmp_path: Path) -> None:
    token = add_user(db, "alice")
    log = tmp_path / "serve.log"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with served(db_url, port, log) as process:
        with httpx.Client(base_url=base, headers=bearer(token), timeout=30) as http:
            assert http.get("/api/health").json() == {"status": "ok"}
            assert httpx.get(f"{base}/api/programmes").status_code == 401
            pid = http.post("/api/programmes", json={"name": "mini", "files": mini_files()}).json()["id"]
            assert [p["id"] for p in http.get("/api/programmes").json()] == [pid]
            ids = [http.post(f"/api/programmes/{pid}/runs", json=body).json()["id"] for body in RUN_REQUESTS]
            assert len(set(ids)) == RUNS
            deadline = time.monotonic() + 120
            while not any(s == "done" for s, _ in _states(db)) or not any(s == "running" for s, _ in _states(db)):
                assert time.monotonic() < deadline, _states(db)
                time.sleep(0.1)
        process.kill()  # SIGKILL: no clean-up, the running run keeps status 'running' in the database
        process.wait(10)
    states = _states(db)
    killed = [i for i, (s, _) in zip(ids, states, strict=True) if s == "running"]
    assert killed and any(s == "queued" for s, _ in states), states
    with served(db_url, port, log), httpx.Client(base_url=base, headers=bearer(token), timeout=30) as http:
        deadline = time.monotonic() + 180
        while any(http.get(f"/api/runs/{i}").json()["status"] in ("queued", "running") for i in ids):
            assert time.monotonic() < deadline, _states(db)
            time.sleep(0.3)
        runs = [http.get(f"/api/runs/{i}").json() for i in ids]
        assert [r["status"] for r in runs] == ["done"] * RUNS, runs
        assert all(http.get(f"/api/runs/{i}/results").status_code == 200 for i in ids)
    by_id = {r["id"]: r for r in runs}
    assert all(by_id[i]["attempts"] == 2 for i in killed)  # picked up again after the kill
