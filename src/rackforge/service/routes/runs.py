"""``/api/programmes/{id}/runs`` and ``/api/runs/{id}``: queue an analysis, follow it, read its results."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Header, HTTPException, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from sqlalchemy import select

from rackforge.service import queue
from rackforge.service.db import Database
from rackforge.service.deps import Caller, CallerDep, PathId, WriteScope
from rackforge.service.models import Revision, Role, Run, RunEvent, RunStatus
from rackforge.service.programmes import latest_revision
from rackforge.service.schemas import RunCreated, RunIn, RunOut
from rackforge.service.worker import checked_options

router = APIRouter(tags=["runs"])
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "no such run (or no role on its programme)"}}

REPORT_CSP = ("sandbox allow-scripts; default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
              "img-src data:; font-src data:")
"""The report's Content-Security-Policy: ``sandbox`` without ``allow-same-origin`` gives the page an opaque
origin, so its (inline, embedded) scripts can draw charts but cannot read the service's cookies or call
the API as the user; nothing is loaded from elsewhere."""

EVENT_POLL_S = 0.5
"""How often the event stream looks for new events [s]."""


def run_out(run: Run, revision_number: int) -> RunOut:
    """A run as the API shows it."""
    return RunOut(id=run.id, programme_id=run.programme_id, revision=revision_number, analysis=run.analysis,
                  options=json.loads(run.options), status=RunStatus(run.status).value, progress=run.progress,
                  attempts=run.attempts, error=run.error, exit_status=run.exit_status, created_at=run.created_at,
                  started_at=run.started_at, finished_at=run.finished_at, reused_from=run.reused_from)


@router.post("/api/programmes/{programme_id}/runs", status_code=202, response_model=RunCreated,
             responses={**NOT_FOUND, 422: {"description": "unknown analysis or bad options"}})
def create_run(programme_id: PathId, body: RunIn, scope: WriteScope) -> RunCreated:
    """Queue an analysis of a revision (default: the latest) with the command's options (planner). The
    same files, analysis and options give the run already queued, running or done (``reused``)."""
    programme, _ = scope.programme(programme_id, Role.PLANNER)
    revision = (latest_revision(scope.session, programme) if body.revision is None
                else scope.revision(programme_id, body.revision, Role.PLANNER))
    options = checked_options(body.analysis, body.options)
    run, reused = queue.enqueue(scope.session, programme, revision, body.analysis, options, scope.user)
    scope.session.commit()
    return RunCreated(id=run.id, status=run.status, reused=reused)


@router.get("/api/programmes/{programme_id}/runs", response_model=list[RunOut], responses=NOT_FOUND)
def list_runs(programme_id: PathId, caller: CallerDep) -> list[RunOut]:
    """The programme's runs, newest first (without results)."""
    with caller.read() as scope:
        programme, _ = scope.programme(programme_id)
        rows = scope.session.execute(select(Run, Revision.number).join(Revision, Revision.id == Run.revision_id)
                                     .where(Run.programme_id == programme.id).order_by(Run.id.desc())).all()
        return [run_out(r, n) for r, n in rows]


@router.get("/api/runs/{run_id}", response_model=RunOut, responses=NOT_FOUND)
async def get_run(run_id: PathId, caller: CallerDep) -> RunOut:
    """A run's status (queued, running, done, failed) and progress [fraction]."""
    return await caller.run(lambda: run_status(run_id, caller))


def run_status(run_id: int, caller: Caller) -> RunOut:
    """:func:`get_run`, read now (for the web pages, which render in the thread pool)."""
    with caller.read() as scope:
        return run_out(*scope.run_and_revision(run_id))


def _finished(run: Run) -> None:
    if run.status != RunStatus.DONE.value:
        raise HTTPException(status.HTTP_409_CONFLICT, f"run {run.id} is {run.status}"
                            + (f": {run.error}" if run.error else "") + "; results exist once it is done")


@router.get("/api/runs/{run_id}/results", responses={**NOT_FOUND, 409: {"description": "not done"},
                                                     200: {"content": {"application/json": {}}}})
def run_results(run_id: PathId, caller: CallerDep) -> Response:
    """The run's results: the JSON ``rackforge <analysis> --json`` prints (assess: results.json)."""
    with caller.read() as scope:
        run = scope.run(run_id)
        _finished(run)
        return Response(queue.run_output(scope.session, run.id).results or "null", media_type="application/json")


@router.get("/api/runs/{run_id}/report", response_class=HTMLResponse,
            responses={**NOT_FOUND, 409: {"description": "not done, or not an assess run"}})
def run_report(run_id: PathId, caller: CallerDep) -> HTMLResponse:
    """The assess run's report.html, sandboxed by its Content-Security-Policy."""
    with caller.read() as scope:
        run = scope.run(run_id)
        _finished(run)
        html = queue.run_output(scope.session, run.id).report_html
    if html is None:
        raise HTTPException(status.HTTP_409_CONFLICT, f"run {run.id} is {run.analysis}; only assess writes a report")
    return HTMLResponse(html, headers={"Content-Security-Policy": REPORT_CSP,
                                                  "X-Content-Type-Options": "nosniff",
                                                  "Referrer-Policy": "no-referrer"})


def _events_after(db: Database, run_id: int, after: int) -> tuple[list[RunEvent], str]:
    with db.read() as session:
        events = list(session.scalars(select(RunEvent).where(RunEvent.run_id == run_id, RunEvent.id > after)
                                      .order_by(RunEvent.id)))
        state = session.scalar(select(Run.status).where(Run.id == run_id)) or RunStatus.FAILED.value
        return events, state


@router.get("/api/runs/{run_id}/events", responses={**NOT_FOUND, 200: {"content": {"text/event-stream": {}}}})
def run_events(run_id: PathId, request: Request, caller: CallerDep,
               last_event_id: int | None = Header(None, ge=0, le=2**63 - 1)) -> StreamingResponse:
    """The run's events as server-sent events (queued, started, progress, requeued, done, failed) until it
    is done or failed; ``Last-Event-ID`` resumes after an event."""
    with caller.read() as scope:
        scope.run(run_id)
    db: Database = request.app.state.db

    async def stream() -> AsyncIterator[str]:
        after = last_event_id or 0
        while True:
            events, state = await run_in_threadpool(_events_after, db, run_id, after)
            for event in events:
                after = event.id
                yield f"id: {event.id}\nevent: {event.kind}\ndata: {event.data}\n\n"
            if state in (RunStatus.DONE.value, RunStatus.FAILED.value) and not events:
                return
            if await request.is_disconnected():
                return
            await asyncio.sleep(EVENT_POLL_S)

    return StreamingResponse(stream(), media_type="text/event-stream", headers={"Cache-Control": "no-store"})
