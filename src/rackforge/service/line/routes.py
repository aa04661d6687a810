"""Routes of the line board: the line posts (station token), panels watch (signed-in viewer).

- ``POST /api/programmes/{id}/line-events`` ``{"events": [{station, status, serial, time}, …]}``
- ``POST /api/programmes/{id}/test-results`` ``{"results": [rows as rackforge tests import reads]}``
- ``GET /api/programmes/{id}/line-board``: the board as JSON; ``…/line-board/events``: the same, live (SSE)
- ``POST /api/programmes/{id}/station-tokens`` (owner): a new station token, shown once
- ``GET /line/{id}`` (``?station=…``, ``?kiosk=1``): the board page
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from fastapi.responses import HTMLResponse, JSONResponse, StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from rackforge.errors import InputError
from rackforge.service.auth import CurrentUser
from rackforge.service.deps import CallerDep, PathId, WriteScope
from rackforge.service.line.hub import BoardHub
from rackforge.service.models import Role, StoredProgramme, User

router = APIRouter(tags=["line"])
_station_bearer = HTTPBearer(auto_error=False, description="a station token (rfs_…) of the programme")


class EventIn(BaseModel):
    """One line event."""

    station: str = Field(min_length=1, max_length=100, description="station id of the factory model")
    status: Literal["start", "finish", "down", "blocked", "up"]
    serial: str | None = Field(None, max_length=80, pattern=r"^\S+$", description="rack serial (start, finish)")
    time: dt.datetime = Field(description="ISO 8601; plant clock (an offset is converted to UTC)")


class EventsIn(BaseModel):
    """Line events, in any order."""

    events: list[EventIn] = Field(max_length=1000)


class TestResultsIn(BaseModel):
    """Per-serial test rows, the columns of ``rackforge tests import`` (docs/factory.md)."""

    __test__ = False
    results: list[dict[str, Any]] = Field(max_length=5000)


class Accepted(BaseModel):
    """What was stored: how many, and the newest event id (the board's ``seq`` once it includes it)."""

    accepted: int
    last_id: int | None = None


class StationTokenIn(BaseModel):
    """A label for the station token (which station or PC uses it)."""

    label: str = Field("", max_length=100)


class StationTokenOut(BaseModel):
    """The new station token: shown once, stored only as a hash."""

    token: str
    label: str


def hub(request: Request) -> BoardHub:
    """The app's board hub."""
    value: BoardHub = request.app.state.board_hub
    return value


def station_programme(request: Request, programme_id: PathId,
                      credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_station_bearer)]) -> int:
    """The programme id if the request carries one of its station tokens; 401 without a valid token, 404
    when the token is another programme's."""
    from rackforge.service.line.tokens import programme_of_station_token

    if credentials is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "a station token is required: 'Authorization: Bearer rfs_…'",
                            headers={"WWW-Authenticate": "Bearer"})
    with request.app.state.db.read() as session:
        allowed = programme_of_station_token(session, credentials.credentials)
    if allowed is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "the station token is not valid",
                            headers={"WWW-Authenticate": "Bearer"})
    if allowed != programme_id:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such programme")
    return programme_id


StationProgramme = Annotated[int, Depends(station_programme)]


def _post(request: Request, programme_id: int, store: Any) -> Any:
    """Run ``store(session, programme)`` in one write transaction (an InputError rolls it back)."""
    with request.app.state.db.write() as session:
        programme = session.get(StoredProgramme, programme_id)
        if programme is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, "no such programme")
        return store(session, programme)


def _refused(what: str, exc: InputError) -> JSONResponse:
    """422: the post's problems, each naming its item and field; nothing of the request was stored."""
    from rackforge.service.app import problems_json

    return JSONResponse({"detail": f"the {what} have problems; nothing was stored", "problems": problems_json(exc)},
                        status_code=422)


@router.post("/api/programmes/{programme_id}/line-events", response_model=Accepted, status_code=201)
async def post_line_events(request: Request, programme_id: StationProgramme,
                           body: EventsIn) -> Accepted | JSONResponse:
    """Events from the line (station token): a rack starts or finishes at a station; a station is down,
    blocked, or up again. Unknown stations or statuses: 422 naming ``events[i].field``; nothing stored."""
    from rackforge.service.line.store import add_events

    events = [e.model_dump() for e in body.events]
    try:
        last = await run_in_threadpool(_post, request, programme_id, lambda s, p: add_events(s, p, events))
    except InputError as exc:
        return _refused("events", exc)
    hub(request).posted(programme_id)
    return Accepted(accepted=len(events), last_id=last)


@router.post("/api/programmes/{programme_id}/test-results", response_model=Accepted, status_code=201)
async def post_test_results(request: Request, programme_id: StationProgramme,
                            body: TestResultsIn) -> Accepted | JSONResponse:
    """Per-serial test rows from the line (station token), checked as ``rackforge tests import`` checks a
    file; problems name ``[i].column``; nothing stored if any."""
    from rackforge.service.line.store import add_test_results

    try:
        count = await run_in_threadpool(_post, request, programme_id, lambda s, p: add_test_results(s, p, body.results))
    except InputError as exc:
        return _refused("test results", exc)
    hub(request).posted(programme_id)
    return Accepted(accepted=count)


@router.get("/api/programmes/{programme_id}/line-board")
def get_line_board(request: Request, programme_id: PathId, caller: CallerDep) -> dict[str, Any]:
    """The line board's figures (viewer): per station status, racks in process, done today vs plan to
    this hour, takt vs actual cycle, first-pass yield vs model, top failure modes of the last 24 h."""
    from rackforge.service.line.store import board_json

    with caller.read() as scope:
        scope.programme(programme_id)
    return board_json(request.app.state.db, programme_id)


def _check_viewer(request: Request, user: User, programme_id: int) -> None:
    """404 unless ``user`` has a role on the programme (in a session closed at once)."""
    from rackforge.service.access import Scope

    with request.app.state.db.read() as session:
        Scope(session, user).programme(programme_id)


@router.get("/api/programmes/{programme_id}/line-board/events", response_class=StreamingResponse)
async def line_board_events(request: Request, programme_id: PathId, user: CurrentUser) -> StreamingResponse:
    """The board as server-sent events (viewer): ``event: board`` with the JSON on every change, ``event:
    ping`` every few seconds while nothing changes. The stream holds no database connection. A request that
    does not accept ``text/event-stream`` gets 406 (it would never end)."""
    await run_in_threadpool(_check_viewer, request, user, programme_id)
    if "text/event-stream" not in request.headers.get("accept", ""):
        raise HTTPException(status.HTTP_406_NOT_ACCEPTABLE, "this is an endless server-sent event stream; ask for "
                            "it with 'Accept: text/event-stream' (EventSource does), or GET …/line-board once")
    return StreamingResponse(hub(request).stream(programme_id, request.is_disconnected),
                             media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


@router.post("/api/programmes/{programme_id}/station-tokens", response_model=StationTokenOut, status_code=201)
def create_station_token(programme_id: PathId, body: StationTokenIn, scope: WriteScope) -> StationTokenOut:
    """A station token for the programme's line (owner); it may only post events and test results."""
    from rackforge.service.line.tokens import issue_station_token
    from rackforge.service.programmes import audit

    programme, _ = scope.programme(programme_id, Role.OWNER)
    token = issue_station_token(scope.session, programme.id, scope.user.id, body.label)
    audit(scope.session, programme, scope.user, "station-token", {"label": body.label})
    scope.session.commit()
    return StationTokenOut(token=token, label=body.label)


@router.get("/line/{programme_id}", response_class=HTMLResponse, include_in_schema=False)
def line_page(request: Request, programme_id: PathId, caller: CallerDep,
              station: Annotated[str | None, Query(max_length=100)] = None,
              kiosk: Annotated[int, Query(ge=0, le=1)] = 0) -> HTMLResponse:
    """The board page for a panel PC (viewer); ``?station=`` one station, ``?kiosk=1`` no navigation."""
    from rackforge.service.line.store import board_json
    from rackforge.service.web.render import render

    with caller.read() as scope:
        programme, _ = scope.programme(programme_id)
    board = board_json(request.app.state.db, programme_id)
    known = [s["id"] for s in board["stations"]]
    if station is not None and station not in known:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no station {station!r} in the factory model; stations: "
                            + (", ".join(known) or "none"))
    return render(request, "line.html", {"programme": programme, "board": board, "station": station,
                                         "kiosk": bool(kiosk)})
