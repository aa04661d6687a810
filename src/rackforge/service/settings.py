"""What a running service is configured with (``rackforge serve`` options)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_DATA_DIR = Path("rackforge-data")
"""Where the embedded SQLite database (and nothing else) lives when no ``--db`` URL is given."""

MAX_REQUEST_BYTES = 8 * 1024 * 1024
"""Largest request body the API reads [bytes]: a programme's YAML files are a few hundred kB."""


@dataclass(frozen=True)
class Settings:
    """One service's configuration. ``db_url``: SQLAlchemy URL (``sqlite:///…`` or
    ``postgresql+psycopg://…``); ``workers``: analysis threads started with the app (0: none, as in
    tests that drive the queue themselves); ``lease_s``: how long a claimed run is held without a
    heartbeat before another worker may take it [s]; ``max_attempts``: claims of one run before it is
    failed with the reason."""

    db_url: str
    workers: int = 1
    max_request_bytes: int = MAX_REQUEST_BYTES
    lease_s: float = 60.0
    heartbeat_s: float = 5.0
    max_attempts: int = 3
    poll_s: float = 0.5
    extra: dict[str, str] = field(default_factory=dict)


def sqlite_url(data_dir: Path) -> str:
    """The embedded database's URL in ``data_dir`` (``rackforge.db``)."""
    return f"sqlite:///{(data_dir / 'rackforge.db').resolve()}"
