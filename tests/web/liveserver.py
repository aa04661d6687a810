"""A real rackforge service for the browser tests and benchmarks: a fresh SQLite database migrated with
the package's migrations, two users, the reference programme, and ``rackforge serve`` (uvicorn) on a free
loopback port in a subprocess, which can be stopped and started again on the same port and database."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

REFERENCE = Path(__file__).parents[2] / "src" / "rackforge" / "reference"
PASSWORD = "correct horse battery staple"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LiveServer:
    """``rackforge serve`` on ``port`` with its database in ``data_dir``."""

    data_dir: Path
    port: int = field(default_factory=free_port)
    workers: int = 1
    process: subprocess.Popen[bytes] | None = None
    token: str = ""
    station_token: str = ""
    programme_id: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def db_url(self) -> str:
        return f"sqlite:///{self.data_dir / 'rackforge.db'}"

    def prepare(self) -> None:
        """Migrate, add users 'ann' (owner) and 'vic' (viewer), a token for ann."""
        from rackforge.service import migrate
        from rackforge.service.auth import hash_password, issue_token
        from rackforge.service.db import Database
        from rackforge.service.models import User

        self.data_dir.mkdir(parents=True, exist_ok=True)
        db = Database.connect(self.db_url)
        migrate.upgrade(db.engine)
        with db.write() as session:
            hashed = hash_password(PASSWORD)
            ann = User(name="ann", password_hash=hashed, is_admin=False)
            session.add_all([ann, User(name="vic", password_hash=hashed, is_admin=False)])
            session.flush()
            self.token = issue_token(session, ann, "tests")
        db.dispose()

    def start(self) -> None:
        env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2] / "src")}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "rackforge", "serve", "--db", self.db_url, "--port", str(self.port),
             "--workers", str(self.workers)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/api/health", timeout=1) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("the server did not start within 30 s")

    def stop(self) -> None:
        """Kill the server at once (the line's connection is cut, as by a pulled cable or a crash)."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        self.process = None

    def api(self, method: str, path: str, body: object = None, token: str | None = None) -> object:
        import json

        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method, headers={
            "Authorization": f"Bearer {token or self.token}", "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read() or b"null")

    def seed(self) -> None:
        """The reference programme (ann owns it, vic views it) and a station token."""
        files = {p.name: p.read_text(encoding="utf-8") for p in sorted(REFERENCE.glob("*.yaml"))}
        created = self.api("POST", "/api/programmes", {"name": "Houston line", "files": files})
        self.programme_id = created["id"]  # type: ignore[index]
        self.api("PUT", f"/api/programmes/{self.programme_id}/members/vic", {"role": "viewer"})
        made = self.api("POST", f"/api/programmes/{self.programme_id}/station-tokens", {"label": "tests"})
        self.station_token = made["token"]  # type: ignore[index]

    def post_events(self, events: list[dict[str, object]]) -> object:
        return self.api("POST", f"/api/programmes/{self.programme_id}/line-events", {"events": events},
                        token=self.station_token)
