"""The web pages: sign in, programmes, a programme (revisions, upload, runs, members, audit), the diff of
two revisions, a run's live progress and its report.

Every page asks the same :class:`~rackforge.service.access.Scope` as the API, through the API's own route
functions (given the page's :class:`~rackforge.service.deps.Caller`: the signed-in user), so roles and the
404-for-no-role rule are the API's. Forms that change something carry
the session's CSRF token (:func:`check_csrf`).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, HTTPException, Query, Request, UploadFile, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from rackforge.errors import InputError
from rackforge.service import programmes as ops
from rackforge.service.access import Scope
from rackforge.service.deps import MAX_ID, Caller, CallerDep, PathId, WriteScope
from rackforge.service.models import Role
from rackforge.service.routes import programmes as api
from rackforge.service.web.render import render
from rackforge.service.web.session import csrf_ok, sign_in, sign_out

router = APIRouter(include_in_schema=False)


async def check_csrf(request: Request) -> None:
    """403 unless the form's ``csrf`` field or the ``X-CSRF-Token`` header carries the session's token."""
    sent = request.headers.get("x-csrf-token")
    if sent is None:
        form = await request.form()
        value = form.get("csrf")
        sent = value if isinstance(value, str) else None
    if not csrf_ok(request, sent):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "the form is out of date or not from this site (CSRF "
                            "check failed); reload the page and try again")


Csrf = Annotated[None, Depends(check_csrf)]


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=status.HTTP_303_SEE_OTHER)


def _safe_next(value: str | None) -> str:
    """A local path to go to after signing in (never another site)."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/programmes"


@router.get("/", response_class=RedirectResponse)
def home() -> RedirectResponse:
    return _see_other("/programmes")


@router.get("/signin", response_class=HTMLResponse)
def signin_page(request: Request, next: str | None = None) -> HTMLResponse:
    return render(request, "signin.html", {"next": _safe_next(next), "error": None, "name": None})


@router.post("/signin", response_class=HTMLResponse)
def signin(request: Request, _: Csrf, name: Annotated[str, Form(max_length=64)],
           password: Annotated[str, Form(max_length=1024)], next: Annotated[str, Form()] = "/programmes",
           ) -> Response:
    from rackforge.service.auth import authenticate

    with request.app.state.db.read() as session:
        user = authenticate(session, name, password)
        if user is not None:
            session.expunge(user)
    if user is None:
        return render(request, "signin.html", {"next": _safe_next(next), "name": name,
                                               "error": "Unknown user name or wrong password."}, 401)
    sign_in(request, user)
    return _see_other(_safe_next(next))


@router.post("/signout")
def signout(request: Request, _: Csrf) -> RedirectResponse:
    sign_out(request)
    return _see_other("/signin")


@router.get("/programmes", response_class=HTMLResponse)
def programmes_page(request: Request, caller: CallerDep) -> HTMLResponse:
    return render(request, "programmes.html", {"programmes": api.programmes_out(caller)})


def programme_context(caller: Caller, programme_id: int, **extra: Any) -> dict[str, Any]:
    """Everything the programme page shows, as the caller may see it."""
    from rackforge.service.web.runs import ANALYSES, recent_runs

    programme = api.programme_out(programme_id, caller)
    role = Role(programme.role)
    revisions = list(reversed(api.list_revisions(programme_id, caller)))
    audit = list(reversed(api.audit_log(programme_id, caller)))[:50]
    members = api.list_members(programme_id, caller) if role == Role.OWNER else []
    return {"programme": programme, "role": role, "revisions": revisions, "audit": audit, "members": members,
            "runs": recent_runs(caller, programme_id), "analyses": ANALYSES,
            "can_plan": role.rank >= Role.PLANNER.rank, "can_approve": role.rank >= Role.APPROVER.rank,
            "is_owner": role == Role.OWNER, "roles": [r.value for r in Role], "problems": None, "flash": None,
            "station_token": None, "message": None, "upload_name": None, **extra}


@router.get("/programmes/{programme_id}", response_class=HTMLResponse)
def programme_page(request: Request, programme_id: PathId, caller: CallerDep,
                   flash: Annotated[str | None, Query(max_length=200)] = None) -> HTMLResponse:
    return render(request, "programme.html", programme_context(caller, programme_id, flash=flash))


@router.post("/programmes/{programme_id}/upload", response_class=HTMLResponse)
async def upload(request: Request, programme_id: PathId, _: Csrf, file: Annotated[UploadFile, File()],
                 message: Annotated[str, Form(min_length=1, max_length=2000)]) -> Response:
    """A changed programme file or a spreadsheet becomes the next revision, or the page lists its problems
    at file (sheet), row (line) and column (field)."""
    from rackforge.service.web.upload import MAX_UPLOAD_BYTES

    data = await file.read(MAX_UPLOAD_BYTES + 1)
    return await run_in_threadpool(_save_upload, request, programme_id, file.filename, data, message)


def _save_upload(request: Request, programme_id: int, filename: str | None, data: bytes, message: str) -> Response:
    """Check on a read session (the spreadsheet import and the programme load, no write lock held), then
    save the revision in a short write transaction (loaded again only if a revision came in between)."""
    from rackforge.service.web.upload import changes_for_upload

    db = request.app.state.db
    user = request.state.user
    with db.reader() as session:
        programme, _ = Scope(session, user).programme(programme_id, Role.PLANNER)
        try:
            current = ops.revision_files(session, ops.latest_revision(session, programme))
            changes = changes_for_upload(current, filename, data)
            loaded_on = ops.check_revision(session, programme, changes) if changes else None
        except InputError as exc:
            context = programme_context(Caller(request, None), programme_id, problems=exc.problems, message=message,
                                        upload_name=filename or "the upload")
            return render(request, "programme.html", context, 422)
    if not changes:
        return _see_other(f"/programmes/{programme_id}?flash=The upload changes nothing; no revision saved.")
    try:
        with db.writer() as session:
            programme, _ = Scope(session, user).programme(programme_id, Role.PLANNER)
            revision = ops.add_revision(session, programme, user, changes, message, loaded_on=loaded_on)
            number = revision.number
            session.commit()
    except InputError as exc:  # another revision came in between and the change no longer loads on it
        context = programme_context(Caller(request, None), programme_id, problems=exc.problems, message=message,
                                    upload_name=filename or "the upload")
        return render(request, "programme.html", context, 422)
    return _see_other(f"/programmes/{programme_id}?flash=Saved revision {number}.")


@router.post("/programmes/{programme_id}/baseline")
def approve(programme_id: PathId, _: Csrf, scope: WriteScope,
            revision: Annotated[int, Form(ge=1, le=MAX_ID)]) -> RedirectResponse:
    from rackforge.service.schemas import BaselineIn

    api.set_baseline(programme_id, BaselineIn(revision=revision), scope)
    return _see_other(f"/programmes/{programme_id}?flash=Revision {revision} is the baseline.")


@router.post("/programmes/{programme_id}/members")
def set_member(programme_id: PathId, _: Csrf, scope: WriteScope, user: Annotated[str, Form(max_length=64)],
               role: Annotated[str, Form()] = "") -> RedirectResponse:
    from rackforge.service.schemas import MemberIn

    new_role = Role(role) if role else None
    api.set_member(programme_id, user, MemberIn(role=new_role), scope)
    return _see_other(f"/programmes/{programme_id}?flash={user}: {new_role.value if new_role else 'removed'}.")


@router.post("/programmes/{programme_id}/station-tokens", response_class=HTMLResponse)
def station_token(request: Request, programme_id: PathId, _: Csrf, scope: WriteScope,
                  label: Annotated[str, Form(max_length=100)] = "") -> HTMLResponse:
    from rackforge.service.line.routes import StationTokenIn, create_station_token

    made = create_station_token(programme_id, StationTokenIn(label=label), scope)
    context = programme_context(Caller(request, None), programme_id, station_token=made.token)
    return render(request, "programme.html", context)


@router.get("/programmes/{programme_id}/diff", response_class=HTMLResponse)
def diff_page(request: Request, programme_id: PathId, caller: CallerDep,
              a: Annotated[int, Query(ge=1, le=MAX_ID)], b: Annotated[int, Query(ge=1, le=MAX_ID)]) -> HTMLResponse:
    """Revision ``a`` (left) against ``b`` (right): records and key figures side by side."""
    from rackforge.service.web.diffview import diff_rows

    programme = api.programme_out(programme_id, caller)
    diff = api.revision_diff(programme_id, b, caller, against=a)
    return render(request, "diff.html", {"programme": programme, "a": a, "b": b, **diff_rows(diff)})
