"""A real rackforge service for the browser tests and benchmarks: a fresh SQLite database migrated with
the package's migrations, two users, the reference programme, and ``rackforge serve`` (uvicorn) on a free
loopback port in a subprocess, which can be stopped and started again on the same port and database."""

from __future__ import annotations

import os
import signal
import subprocess
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from serving import free_port, start_serve

REFERENCE = Path(__file__).parents[2] / "src" / "rackforge" / "reference"
PASSWORD = "correct horse battery staple"


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
        self.process = start_serve(self.db_url, self.port, "--workers", str(self.workers), timeout_s=30,
                                   new_session=True)

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
