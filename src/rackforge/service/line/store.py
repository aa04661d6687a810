"""Line data in the database: posting events and test results (checked), and the board computed from
them with :func:`rackforge.factory.line_status.line_board`.

The model the line is measured against is the programme's baseline revision (the approved one), or its
latest revision while none is approved; it is loaded once per revision (:data:`_MODELS`).
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rackforge.errors import InputError, Problem, did_you_mean, valid_list
from rackforge.factory.line_status import EVENT_STATUSES, WINDOW, LineEvent, LineModel, line_board
from rackforge.service.line.models import LineEventRow, TestResultRow
from rackforge.service.models import Revision, StoredProgramme

if TYPE_CHECKING:
    from rackforge.factory.testresults import TestRecord
    from rackforge.schema import Programme
    from rackforge.service.db import Database

LOOKBACK = dt.timedelta(days=7)
"""Events older than this before the board's time are not read (a rack in a station longer is not shown)."""
MAX_EVENTS_PER_POST = 1000
_MODELS: OrderedDict[int, tuple[Programme, LineModel]] = OrderedDict()
_MODELS_LOCK = threading.Lock()
_MODELS_KEEP = 16


def board_revision(session: Session, programme: StoredProgramme) -> Revision:
    """The revision whose factory model the board uses: the baseline, else the latest."""
    query = select(Revision).where(Revision.programme_id == programme.id)
    if programme.baseline_revision is not None:
        query = query.where(Revision.number == programme.baseline_revision)
    revision = session.scalar(query.order_by(Revision.number.desc()).limit(1))
    assert revision is not None, "a programme has at least one revision"
    return revision


def programme_model(session: Session, programme: StoredProgramme) -> tuple[Programme, LineModel]:
    """The loaded programme and its line model (cached per revision); InputError without a factory."""
    from rackforge.factory.line_status import line_model
    from rackforge.service.programmes import revision_files
    from rackforge.service.uploads import load_files

    revision = board_revision(session, programme)
    with _MODELS_LOCK:
        cached = _MODELS.get(revision.id)
        if cached is not None:
            _MODELS.move_to_end(revision.id)
            return cached
    loaded = load_files(revision_files(session, revision))
    result = (loaded, line_model(loaded))
    with _MODELS_LOCK:
        _MODELS[revision.id] = result
        while len(_MODELS) > _MODELS_KEEP:
            _MODELS.popitem(last=False)
    return result


def plant_time(value: dt.datetime) -> dt.datetime:
    """A posted time on the plant's clock: naive as given; with an offset, converted to UTC (as test results)."""
    if value.tzinfo is not None:
        return value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


def add_events(session: Session, programme: StoredProgramme, events: Sequence[dict[str, Any]]) -> int:
    """Check and store line events (``station``, ``status``, ``serial``, ``time``); returns the last id.

    Each problem names the event (``events[i].field``) and what would be valid; nothing is stored if any.
    """
    _, model = programme_model(session, programme)
    stations = [s.id for s in model.stations]
    problems: list[Problem] = []
    if not events:
        problems.append(Problem("line-events", None, "events", "no events; send {\"events\": [...]}"))
    if len(events) > MAX_EVENTS_PER_POST:
        problems.append(Problem("line-events", None, "events", f"{len(events)} events; at most "
                                f"{MAX_EVENTS_PER_POST} per request"))
    for i, event in enumerate(events):
        if event["station"] not in stations:
            hint = did_you_mean(event["station"], stations) or "; " + valid_list(stations)
            problems.append(Problem("line-events", None, f"events[{i}].station",
                                    f"unknown station {event['station']!r}{hint}"))
        if event["status"] not in EVENT_STATUSES:
            problems.append(Problem("line-events", None, f"events[{i}].status",
                                    f"{event['status']!r}; valid: {', '.join(EVENT_STATUSES)}"))
        if event["status"] in ("start", "finish") and not event.get("serial"):
            problems.append(Problem("line-events", None, f"events[{i}].serial",
                                    f"a {event['status']} event needs the rack's serial"))
    if problems:
        raise InputError(problems)
    rows = [LineEventRow(programme_id=programme.id, station=e["station"], status=e["status"],
                         serial=e.get("serial") or None, at=plant_time(e["time"])) for e in events]
    session.add_all(rows)
    session.flush()
    return max(r.id for r in rows)


def add_test_results(session: Session, programme: StoredProgramme, results: Sequence[dict[str, Any]]) -> int:
    """Check posted test rows exactly as ``rackforge tests import`` checks a JSON file (columns, values,
    designs and stations of the programme, attempts 1, 2, 3 per serial and station with what is stored
    already), then store them; returns how many. Problems name ``[i].column`` of the posted list."""
    from rackforge.factory.testresults import parse_results

    loaded, _ = programme_model(session, programme)
    serials = {str(r.get("serial", "")).strip() for r in results}
    stored = session.scalars(select(TestResultRow).where(TestResultRow.programme_id == programme.id,
                                                         TestResultRow.serial.in_(serials))).all()
    earlier = [_row_json(r) for r in stored]
    with tempfile.TemporaryDirectory(prefix="rackforge-tests-") as tmp:
        path = Path(tmp) / "test-results.json"
        path.write_text(json.dumps({"results": [*results, *earlier]}, default=str), encoding="utf-8")
        try:
            records = parse_results(path, loaded)
        except InputError as exc:
            raise InputError([Problem("test-results", None, p.field, p.message) for p in exc.problems]) from None
    new = records[:len(results)]
    session.add_all(TestResultRow(programme_id=programme.id, serial=r.serial, design=r.design, station=r.station,
                                  attempt=r.attempt, passed=r.passed, failure_mode=r.failure_mode,
                                  started=r.started, duration_h=r.duration_h) for r in new)
    session.flush()
    return len(new)


def _row_json(row: TestResultRow) -> dict[str, Any]:
    return {"serial": row.serial, "design": row.design, "station": row.station, "attempt": row.attempt,
            "result": "pass" if row.passed else "fail", "failure_mode": row.failure_mode or "",
            "started": row.started.isoformat(), "duration_h": "" if row.duration_h is None else row.duration_h}


def _record(row: TestResultRow) -> TestRecord:
    from rackforge.factory.testresults import TestRecord

    return TestRecord(row.serial, row.design, row.station, row.attempt, row.passed, row.failure_mode, row.started,
                      row.duration_h)


def board_json(db: Database, programme_id: int, clock: dt.datetime | None = None) -> dict[str, Any]:
    """The board of a programme as JSON: :meth:`Board.to_dict` plus ``programme``, ``seq`` (the newest event
    id it includes) and ``error`` (why there is no board, e.g. no factory section).

    The board's time is the later of the server's clock (``clock``, default local now: the server keeps the
    plant's time) and the newest event (a replayed line runs on its own simulated clock).
    """
    with db.read() as session:
        programme = session.get(StoredProgramme, programme_id)
        if programme is None:
            return {"programme": None, "error": "no such programme", "seq": 0, "stations": [], "andon": []}
        try:
            _, model = programme_model(session, programme)
        except InputError as exc:
            return {"programme": programme.name, "error": str(exc), "seq": 0, "stations": [], "andon": []}
        last_at, last_id = session.execute(select(func.max(LineEventRow.at), func.max(LineEventRow.id))
                                           .where(LineEventRow.programme_id == programme_id)).one()
        now = max(clock or dt.datetime.now(), last_at or dt.datetime.min)
        rows = session.execute(select(LineEventRow.station, LineEventRow.status, LineEventRow.at, LineEventRow.serial)
                               .where(LineEventRow.programme_id == programme_id, LineEventRow.at >= now - LOOKBACK,
                                      LineEventRow.at <= now)
                               .order_by(LineEventRow.at, LineEventRow.id)).all()
        tests = session.scalars(select(TestResultRow).where(TestResultRow.programme_id == programme_id,
                                                            TestResultRow.started >= now - WINDOW,
                                                            TestResultRow.started <= now)).all()
        records = [_record(t) for t in tests]
        name = programme.name
    events = [LineEvent(station, status, at, serial) for station, status, at, serial in rows]
    board = line_board(model, events, records, now)
    return {**board.to_dict(), "programme": name, "programme_id": programme_id, "seq": last_id or 0, "error": None}
