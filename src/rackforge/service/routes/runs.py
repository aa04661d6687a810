"""``/api/runs`` and ``/api/programmes/{id}/runs``: analyses queued, their state, events and results."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["runs"])
