"""The line board's API in process (no browser), on SQLite and PostgreSQL: station tokens may only post,
and only to their programme; posts are checked as the CLI checks files; the board the API serves equals
rackforge.factory.line_status computed from the same events and test rows."""

from __future__ import annotations

import datetime as dt
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from rackforge.factory.line_status import LineEvent, line_board, line_model
from rackforge.factory.testresults import TestRecord
from rackforge.io.loader import load_programme

REFERENCE = Path(__file__).parents[2] / "src" / "rackforge" / "reference"


PG_URL = os.environ.get("RACKFORGE_TEST_PG_URL", "postgresql+psycopg://rackforge:rackforge@127.0.0.1:5432/rackforge_test")


def database_url(kind: str, tmp: Path) -> Iterator[str]:
    """An empty SQLite file, or a fresh schema on the PostgreSQL test server (skipped when it does not
    answer, failed when RACKFORGE_REQUIRE_POSTGRES=1), dropped afterwards."""
    if kind == "sqlite":
        yield f"sqlite:///{tmp / 'rackforge.db'}"
        return
    from sqlalchemy import create_engine, make_url, text

    admin = create_engine(PG_URL, connect_args={"connect_timeout": 3})
    schema = f"t_{secrets.token_hex(6)}"
    try:
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:
        admin.dispose()
        if os.environ.get("RACKFORGE_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"RACKFORGE_REQUIRE_POSTGRES=1 but PostgreSQL is unreachable: {type(exc).__name__}")
        pytest.skip(f"PostgreSQL test server unreachable: {type(exc).__name__}")
    try:
        yield make_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
            hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def client(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[tuple[TestClient, dict[str, Any]]]:
    from rackforge.service import migrate
    from rackforge.service.app import create_app
    from rackforge.service.auth import hash_password, issue_token
    from rackforge.service.db import Database
    from rackforge.service.models import User
    from rackforge.service.settings import Settings

    urls = database_url(request.param, tmp_path_factory.mktemp("lineapi"))
    url = next(urls)
    db = Database.connect(url)
    migrate.upgrade(db.engine)
    with db.write() as session:
        users = [User(name=n, password_hash=hash_password("pw"), is_admin=False) for n in ("ann", "bob")]
        session.add_all(users)
        session.flush()
        tokens = {u.name: issue_token(session, u) for u in users}
    files = {p.name: p.read_text(encoding="utf-8") for p in sorted(REFERENCE.glob("*.yaml"))}
    with TestClient(create_app(Settings(db_url=url, workers=0), db)) as c:
        ids = {}
        for name in ("ann", "bob"):
            made = c.post("/api/programmes", json={"name": f"{name}'s line", "files": files},
                          headers={"Authorization": f"Bearer {tokens[name]}"})
            assert made.status_code == 201, made.text
            ids[name] = made.json()["id"]
        station = c.post(f"/api/programmes/{ids['ann']}/station-tokens", json={"label": "leak rig PC"},
                         headers={"Authorization": f"Bearer {tokens['ann']}"}).json()["token"]
        yield c, {"tokens": tokens, "ids": ids, "station": station}
    db.dispose()
    for _ in urls:  # drop the schema
        pass


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_station_token_posts_only_to_its_programme_and_reads_nothing(client: tuple[TestClient, dict[str, Any]]) -> None:
    c, ctx = client
    ann, bob, station = ctx["ids"]["ann"], ctx["ids"]["bob"], ctx["station"]
    event = {"events": [{"station": "leak-rig", "status": "up", "time": "2027-03-03T07:00:00"}]}
    assert c.post(f"/api/programmes/{ann}/line-events", json=event, headers=bearer(station)).status_code == 201
    assert c.post(f"/api/programmes/{bob}/line-events", json=event, headers=bearer(station)).status_code == 404
    assert c.post(f"/api/programmes/{ann}/line-events", json=event).status_code == 401
    # a user's API token is not a station token
    assert c.post(f"/api/programmes/{ann}/line-events", json=event,
                  headers=bearer(ctx["tokens"]["ann"])).status_code == 401
    for path in (f"/api/programmes/{ann}", f"/api/programmes/{ann}/line-board", "/api/programmes"):
        assert c.get(path, headers=bearer(station)).status_code == 401
    # bob has no role on ann's programme: its board does not exist for him
    assert c.get(f"/api/programmes/{ann}/line-board", headers=bearer(ctx["tokens"]["bob"])).status_code == 404
    # only an owner makes station tokens
    assert c.post(f"/api/programmes/{ann}/station-tokens", json={}, headers=bearer(ctx["tokens"]["bob"])
                  ).status_code == 404


def test_every_line_route_is_isolated(client: tuple[TestClient, dict[str, Any]]) -> None:
    """A user without a role, or a station token of another programme, gets 404 on every line route, as if
    the programme did not exist (tests/service/test_isolation.py leaves these routes to this test)."""
    from rackforge.service.line.routes import router

    c, ctx = client
    ann, bob = ctx["ids"]["ann"], ctx["ids"]["bob"]
    other_station = c.post(f"/api/programmes/{bob}/station-tokens", json={"label": "bob's PC"},
                           headers=bearer(ctx["tokens"]["bob"])).json()["token"]
    stranger = ctx["tokens"]["bob"]
    cases = [("POST", "line-events", other_station, {"events": [{"station": "leak-rig", "status": "up",
                                                                "time": "2027-03-03T07:00:00"}]}),
             ("POST", "test-results", other_station, {"results": []}),
             ("GET", "line-board", stranger, None), ("GET", "line-board/events", stranger, None),
             ("POST", "station-tokens", stranger, {"label": "x"})]
    api_routes = {(m, r.path) for r in router.routes if r.path.startswith("/api/") for m in r.methods}  # type: ignore[attr-defined]
    assert api_routes == {(m, "/api/programmes/{programme_id}/" + p) for m, p, _, _ in cases}
    for method, path, token, body in cases:
        answer = c.request(method, f"/api/programmes/{ann}/{path}", json=body,
                           headers={**bearer(token), "Accept": "text/event-stream"})
        assert answer.status_code == 404, (method, path, answer.text)
        assert "ann's line" not in answer.text


def test_the_endless_stream_is_only_for_event_stream_clients(client: tuple[TestClient, dict[str, Any]]) -> None:
    c, ctx = client
    answer = c.get(f"/api/programmes/{ctx['ids']['ann']}/line-board/events", headers=bearer(ctx["tokens"]["ann"]))
    assert answer.status_code == 406 and "text/event-stream" in answer.json()["detail"]


def test_board_page_of_an_unknown_station_is_a_404_naming_the_stations(
        client: tuple[TestClient, dict[str, Any]]) -> None:
    c, ctx = client
    token = c.get("/signin").text.split('name="csrf" value="')[1].split('"')[0]
    assert c.post("/signin", data={"name": "ann", "password": "pw", "csrf": token}).status_code == 200
    page = c.get(f"/line/{ctx['ids']['ann']}?station=leak-rgi")
    assert page.status_code == 404 and "leak-rig" in page.text
    assert c.get(f"/line/{ctx['ids']['ann']}?station=leak-rig").status_code == 200
    c.cookies.clear()


def test_bad_posts_name_the_item_and_store_nothing(client: tuple[TestClient, dict[str, Any]]) -> None:
    c, ctx = client
    ann, station = ctx["ids"]["ann"], ctx["station"]
    before = c.get(f"/api/programmes/{ann}/line-board", headers=bearer(ctx["tokens"]["ann"])).json()["seq"]
    bad = c.post(f"/api/programmes/{ann}/line-events", headers=bearer(station), json={"events": [
        {"station": "leak-rig", "status": "start", "serial": "A1", "time": "2027-03-03T07:00:00"},
        {"station": "leak-rgi", "status": "start", "serial": "A2", "time": "2027-03-03T07:00:00"},
        {"station": "leak-rig", "status": "finish", "time": "2027-03-03T07:00:00"}]})
    assert bad.status_code == 422 and bad.json()["detail"] == "the events have problems; nothing was stored"
    problems = {p["field"]: p["message"] for p in bad.json()["problems"]}
    assert "did you mean 'leak-rig'" in problems["events[1].station"]
    assert "serial" in problems["events[2].serial"]
    after = c.get(f"/api/programmes/{ann}/line-board", headers=bearer(ctx["tokens"]["ann"])).json()["seq"]
    assert after == before
    # test rows: the checks of 'rackforge tests import' (result, attempts counting 1, 2, 3 with what is stored)
    rows = c.post(f"/api/programmes/{ann}/test-results", headers=bearer(station), json={"results": [
        {"serial": "A1", "design": "gb300-nvl72", "station": "leak-rig", "attempt": 2, "result": "pass",
         "started": "2027-03-03T07:00:00"},
        {"serial": "A2", "design": "gb300-nvl72", "station": "leak-rig", "attempt": 1, "result": "failed",
         "started": "2027-03-03T07:00:00"}]})
    assert rows.status_code == 422
    fields = {p["field"] for p in rows.json()["problems"]}
    assert "[1].result" in fields


def test_board_from_the_api_equals_line_status_of_the_same_events(client: tuple[TestClient, dict[str, Any]]) -> None:
    c, ctx = client
    bob = ctx["ids"]["bob"]
    token = c.post(f"/api/programmes/{bob}/station-tokens", json={"label": "all"},
                   headers=bearer(ctx["tokens"]["bob"])).json()["token"]
    t0 = dt.datetime(2027, 3, 3, 6, 0)
    events = [LineEvent("leak-rig", "start", t0, "B1"),
              LineEvent("leak-rig", "finish", t0 + dt.timedelta(hours=3), "B1"),
              LineEvent("leak-rig", "start", t0 + dt.timedelta(hours=1), "B2"),
              LineEvent("burn-in-bay", "start", t0 + dt.timedelta(hours=3, minutes=10), "B1"),
              LineEvent("l10-cell", "blocked", t0 + dt.timedelta(hours=2))]
    tests = [TestRecord("B1", "gb300-nvl72", "leak-rig", 1, False, "qd-leak", t0, 1.0),
             TestRecord("B1", "gb300-nvl72", "leak-rig", 2, True, None, t0 + dt.timedelta(hours=2), 1.0),
             TestRecord("B2", "gb300-nvl72", "leak-rig", 1, True, None, t0 + dt.timedelta(hours=1), 1.0)]
    posted = c.post(f"/api/programmes/{bob}/line-events", headers=bearer(token), json={"events": [
        {"station": e.station, "status": e.status, "serial": e.serial, "time": e.time.isoformat()} for e in events]})
    assert posted.status_code == 201, posted.text
    assert c.post(f"/api/programmes/{bob}/test-results", headers=bearer(token), json={"results": [
        {"serial": t.serial, "design": t.design, "station": t.station, "attempt": t.attempt,
         "result": "pass" if t.passed else "fail", "failure_mode": t.failure_mode or "",
         "started": t.started.isoformat(), "duration_h": t.duration_h} for t in tests]}).status_code == 201
    board = c.get(f"/api/programmes/{bob}/line-board", headers=bearer(ctx["tokens"]["bob"])).json()
    now = dt.datetime.fromisoformat(board["now"])
    assert now == max(e.time for e in events)  # the line's clock is ahead of the server's (2027)
    expected = line_board(line_model(load_programme(REFERENCE)), events, tests, now).to_dict()
    assert board["stations"] == expected["stations"] and board["andon"] == expected["andon"]
    leak = next(s for s in board["stations"] if s["id"] == "leak-rig")
    assert leak["in_process"] == ["B2"] and leak["done_today"] == 1
    assert leak["first_pass_yield"] == 0.5 and leak["failure_modes"] == [{"mode": "qd-leak", "failures": 1}]
    assert next(s for s in board["stations"] if s["id"] == "l10-cell")["status"] == "blocked"
