"""Analysis worker threads (filled in by the queue step)."""

from __future__ import annotations

import threading

from rackforge.service.db import Database
from rackforge.service.settings import Settings


def start_workers(db: Database, settings: Settings, stop: threading.Event) -> list[threading.Thread]:
    """Start ``settings.workers`` threads that take runs from the queue until ``stop`` is set."""
    return []
