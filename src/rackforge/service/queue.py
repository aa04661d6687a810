"""The durable job queue: the ``runs`` table itself (docs/service.md, "Why the runs table is the queue").

A run is ``queued`` → ``running`` (claimed by one worker, with a lease it renews by heartbeat) → ``done``
or ``failed``. Claiming is one ``UPDATE … WHERE id = (SELECT … LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING``:
on PostgreSQL concurrent workers skip each other's locked rows; on SQLite the statement runs inside a
``BEGIN IMMEDIATE`` transaction, so only one writer claims at a time. A run whose lease ran out (its
process died) is queued again by :func:`recover`, or failed with the reason after ``max_attempts``
claims. Results, report and status are written by :func:`finish` in one transaction, and only by the
worker that holds the lease.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import socket
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import CursorResult, and_, or_, select, update
from sqlalchemy.orm import Session

from rackforge.service.db import Database
from rackforge.service.models import Revision, Run, RunEvent, RunOutput, RunStatus, StoredProgramme, User, utcnow

REUSABLE = (RunStatus.QUEUED.value, RunStatus.RUNNING.value, RunStatus.DONE.value)
"""A new request with the same inputs gets an existing run in one of these states instead of a new one."""


def inputs_key(revision: Revision, analysis: str, options: Mapping[str, Any]) -> str:
    """What makes two runs' results the same: the files' content, the analysis and its options."""
    canonical = json.dumps([revision.content_sha256, analysis, options], sort_keys=True, separators=(",", ":"),
                           default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def add_event(session: Session, run_id: int, kind: str, data: Mapping[str, Any] | None = None) -> None:
    """Record a progress event of a run (streamed at ``/api/runs/{id}/events``)."""
    session.add(RunEvent(run_id=run_id, at=utcnow(), kind=kind, data=json.dumps(dict(data or {}), default=str)))


def enqueue(session: Session, programme: StoredProgramme, revision: Revision, analysis: str,
            options: Mapping[str, Any], user: User) -> tuple[Run, bool]:
    """Queue ``analysis`` of ``revision`` with checked ``options``, or return the programme's run with the
    same inputs that is queued, running or done (True: reused)."""
    key = inputs_key(revision, analysis, options)
    existing = session.scalar(select(Run).where(Run.programme_id == programme.id, Run.inputs_key == key,
                                                Run.status.in_(REUSABLE)).order_by(Run.id.desc()).limit(1))
    if existing is not None:
        return existing, True
    run = Run(programme_id=programme.id, revision_id=revision.id, analysis=analysis,
              options=json.dumps(dict(options), sort_keys=True, default=str), inputs_key=key,
              status=RunStatus.QUEUED.value, progress=0.0, attempts=0, created_by=user.id, created_at=utcnow())
    session.add(run)
    session.flush()
    add_event(session, run.id, "queued", {"analysis": analysis, "revision": revision.number})
    return run, False


def claim(db: Database, worker: str, lease_s: float) -> int | None:
    """Take the oldest queued run for ``worker`` (a lease of ``lease_s`` [s]); its id, or None."""
    with db.read() as session:  # an idle queue costs a read, not a write lock (SQLite) every poll
        if session.scalar(select(Run.id).where(Run.status == RunStatus.QUEUED.value).limit(1)) is None:
            return None
    now = utcnow()
    oldest = (select(Run.id).where(Run.status == RunStatus.QUEUED.value).order_by(Run.id).limit(1)
              .with_for_update(skip_locked=True).scalar_subquery())
    with db.write() as session:
        run_id = session.scalar(
            update(Run).where(Run.id == oldest, Run.status == RunStatus.QUEUED.value)
            .values(status=RunStatus.RUNNING.value, worker=worker, attempts=Run.attempts + 1, started_at=now,
                    lease_until=now + dt.timedelta(seconds=lease_s), progress=0.0)
            .returning(Run.id))
        if run_id is not None:
            add_event(session, run_id, "started", {"worker": worker})
        return run_id


def _changed(session: Session, statement: Any) -> int:
    """Rows an UPDATE changed."""
    result: CursorResult[Any] = session.execute(statement)  # type: ignore[assignment]
    return result.rowcount


def _held(run_id: int, worker: str) -> Any:
    return and_(Run.id == run_id, Run.worker == worker, Run.status == RunStatus.RUNNING.value)


def heartbeat(db: Database, run_id: int, worker: str, lease_s: float, progress: float | None = None) -> bool:
    """Renew the lease (and record progress [fraction]); False if the run is no longer this worker's."""
    values: dict[str, Any] = {"lease_until": utcnow() + dt.timedelta(seconds=lease_s)}
    with db.write() as session:
        if progress is not None:
            values["progress"] = progress
            changed = _changed(session, update(Run).where(_held(run_id, worker), Run.progress != progress)
                               .values(**values))
            if changed:
                add_event(session, run_id, "progress", {"progress": round(progress, 4)})
                return True
        return bool(_changed(session, update(Run).where(_held(run_id, worker)).values(**values)))


def finish(db: Database, run_id: int, worker: str, *, results: str | None, report_html: str | None = None,
           exit_status: int = 0, error: str | None = None) -> bool:
    """Store the results and mark the run done (or failed when ``results`` is None), in one transaction;
    False (nothing written) if the run is no longer this worker's."""
    status = RunStatus.DONE if results is not None else RunStatus.FAILED
    with db.write() as session:
        changed = _changed(session, update(Run).where(_held(run_id, worker)).values(
            status=status.value, exit_status=exit_status, error=error,
            progress=1.0 if results is not None else Run.progress, finished_at=utcnow(), lease_until=None))
        if changed:
            if results is not None or report_html is not None:
                session.merge(RunOutput(run_id=run_id, results=results, report_html=report_html))
            add_event(session, run_id, status.value, {"exit_status": exit_status, "error": error})
        return bool(changed)


def run_output(session: Session, run_id: int) -> RunOutput:
    """What run ``run_id`` wrote (empty when it wrote nothing); the caller has checked access."""
    return session.get(RunOutput, run_id) or RunOutput(run_id=run_id)


def recover(db: Database, max_attempts: int, dead: Callable[[str], bool] | None = None) -> tuple[list[int], list[int]]:
    """Runs left ``running`` by a worker whose lease ran out, or that ``dead(worker)`` knows has stopped:
    queued again, or failed with the reason after ``max_attempts`` claims. Returns (requeued, failed) ids."""
    now = utcnow()
    with db.read() as session:  # nothing to recover: no write transaction
        candidates = select(Run.id).where(Run.status == RunStatus.RUNNING.value)
        if dead is None:
            candidates = candidates.where(or_(Run.lease_until.is_(None), Run.lease_until < now))
        if session.scalar(candidates.limit(1)) is None:
            return [], []
    with db.write() as session:
        running = session.execute(select(Run.id, Run.attempts, Run.worker, Run.lease_until).where(
            Run.status == RunStatus.RUNNING.value).with_for_update(skip_locked=True)).all()
        stale = [(i, a, w) for i, a, w, lease in running
                 if lease is None or lease < now or (dead is not None and w is not None and dead(w))]
        requeued, failed = [], []
        for run_id, attempts, worker in stale:
            if attempts >= max_attempts:
                reason = (f"the worker running it stopped (or lost its lease) {attempts} times; last worker "
                          f"{worker}; not retried again")
                session.execute(update(Run).where(Run.id == run_id).values(
                    status=RunStatus.FAILED.value, error=reason, finished_at=now, lease_until=None))
                add_event(session, run_id, "failed", {"error": reason})
                failed.append(run_id)
            else:
                session.execute(update(Run).where(Run.id == run_id).values(
                    status=RunStatus.QUEUED.value, worker=None, lease_until=None))
                add_event(session, run_id, "requeued", {"after_attempts": attempts, "worker": worker})
                requeued.append(run_id)
        return requeued, failed


def worker_name(index: int) -> str:
    """A worker's name: ``host:pid:index`` (so a restarted service can tell its dead predecessors)."""
    return f"{socket.gethostname()}:{os.getpid()}:{index}"


def stopped_on_this_host(worker: str) -> bool:
    """Was ``worker`` (a :func:`worker_name`) a process on this host that no longer runs? Its runs need
    not wait for their lease. Workers of other hosts, or of live processes, are not judged here."""
    host, _, rest = worker.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit() or int(pid_text) == os.getpid():
        return False
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False
