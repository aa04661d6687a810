"""The runs table as a durable queue: one claim per run, leases, recovery, results written atomically."""

from __future__ import annotations

import contextlib
import datetime as dt
import threading

from sqlalchemy import select, update

from rackforge.service import queue
from rackforge.service.db import Database
from rackforge.service.models import Revision, Run, RunEvent, StoredProgramme, User
from rackforge.service.programmes import create_programme

from .helpers import add_user, mini_files


def _queue_runs(db: Database, count: int) -> list[int]:
    add_user(db, "alice")
    with db.write() as session:
        user = session.scalar(select(User).where(User.name == "alice"))
        assert user is not None
        programme, revision = create_programme(session, user, "mini", mini_files())
        ids = []
        for seed in range(count):
            run, reused = queue.enqueue(session, programme, revision, "simulate", {"scenarios": 10, "seed": seed}, user)
            assert not reused
            ids.append(run.id)
        return ids


def _status(db: Database, run_id: int) -> tuple[Run, str | None]:
    """The run and the results it wrote."""
    with db.read() as session:
        run = session.get(Run, run_id)
        assert run is not None
        return run, queue.run_output(session, run_id).results


def test_concurrent_workers_never_claim_the_same_run(db: Database) -> None:
    ids = _queue_runs(db, 12)
    claimed: list[int] = []
    lock = threading.Lock()

    def worker(name: str) -> None:
        while (run_id := queue.claim(db, name, 60)) is not None:
            with lock:
                claimed.append(run_id)

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(claimed) == ids  # every run once, none twice
    assert {_status(db, i)[0].status for i in ids} == {"running"}


def test_identical_inputs_reuse_the_run(db: Database) -> None:
    _queue_runs(db, 1)
    with db.write() as session:
        programme = session.scalar(select(StoredProgramme))
        revision = session.scalar(select(Revision))
        user = session.scalar(select(User))
        assert programme is not None and revision is not None and user is not None
        again, reused = queue.enqueue(session, programme, revision, "simulate", {"seed": 0, "scenarios": 10}, user)
        other, reused_other = queue.enqueue(session, programme, revision, "simulate", {"scenarios": 11, "seed": 0},
                                            user)
    assert reused and not reused_other
    assert again.id != other.id


def test_an_expired_lease_is_requeued_then_failed_after_max_attempts(db: Database) -> None:
    [run_id] = _queue_runs(db, 1)
    for attempt in (1, 2):
        assert queue.claim(db, "dead-worker", 60) == run_id
        with db.write() as session:  # the worker died: its lease runs out
            session.execute(update(Run).values(lease_until=dt.datetime(2000, 1, 1)))
        assert queue.recover(db, max_attempts=2) == (([run_id], []) if attempt == 1 else ([], [run_id]))
    run, _ = _status(db, run_id)
    assert run.status == "failed"
    assert run.error is not None and "2 times" in run.error
    with db.read() as session:
        kinds = list(session.scalars(select(RunEvent.kind).where(RunEvent.run_id == run_id).order_by(RunEvent.id)))
    assert kinds == ["queued", "started", "requeued", "started", "failed"]


def test_a_live_lease_is_not_recovered(db: Database) -> None:
    [run_id] = _queue_runs(db, 1)
    assert queue.claim(db, "alive", 60) == run_id
    assert queue.recover(db, max_attempts=3) == ([], [])
    assert queue.heartbeat(db, run_id, "alive", 60, 0.5)
    assert _status(db, run_id)[0].progress == 0.5


def test_only_the_lease_holder_writes_results(db: Database) -> None:
    [run_id] = _queue_runs(db, 1)
    assert queue.claim(db, "old", 60) == run_id
    with db.write() as session:
        session.execute(update(Run).values(lease_until=dt.datetime(2000, 1, 1)))
    queue.recover(db, max_attempts=3)
    assert queue.claim(db, "new", 60) == run_id
    assert not queue.heartbeat(db, run_id, "old", 60)
    assert not queue.finish(db, run_id, "old", results='{"stale": true}')
    assert queue.finish(db, run_id, "new", results='{"fresh": true}')
    run, results = _status(db, run_id)
    assert (run.status, results, run.worker, run.attempts) == ("done", '{"fresh": true}', "new", 2)


def test_results_and_status_commit_together(db: Database) -> None:
    """A failure inside the finishing transaction leaves neither the results nor the status."""
    [run_id] = _queue_runs(db, 1)
    assert queue.claim(db, "w", 60) == run_id
    original = queue.add_event

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("the database connection dropped")

    queue.add_event = broken  # type: ignore[assignment]
    try:
        with contextlib.suppress(RuntimeError):
            queue.finish(db, run_id, "w", results='{"x": 1}')
    finally:
        queue.add_event = original
    run, results = _status(db, run_id)
    assert (run.status, results) == ("running", None)
