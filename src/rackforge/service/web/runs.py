"""Run pages (placeholder until the queue exists)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from rackforge.service.access import Scope

router = APIRouter(include_in_schema=False)
ANALYSES = ("assess", "check", "sourcing", "stress", "simulate", "optimize", "factory", "readiness", "evaluate")


def recent_runs(scope: Scope, programme_id: int) -> list[Any]:
    return []
