"""Run pages: start a run from the programme page, watch its progress live (htmx polls a fragment every
second and stops when the run is done or failed), and read its report (the API's sandboxed report.html
in a frame)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse

from rackforge.service.deps import MAX_ID, Caller, CallerDep, PathId, WriteScope
from rackforge.service.web.pages import Csrf
from rackforge.service.web.render import render

router = APIRouter(include_in_schema=False)
ANALYSES = ("assess", "check", "sourcing", "stress", "simulate", "optimize", "factory", "readiness", "evaluate")
"""The analyses a run may be (the API's ``RunIn.analysis``)."""
HTMX_STOP_POLLING = 286
"""htmx stops polling an element whose request answers with this status."""


def recent_runs(caller: Caller, programme_id: int, limit: int = 20) -> list[Any]:
    """The programme's newest runs (the API's list)."""
    from rackforge.service.routes.runs import list_runs

    return list_runs(programme_id, caller)[:limit]


@router.post("/programmes/{programme_id}/runs")
def start_run(programme_id: PathId, _: Csrf, scope: WriteScope, analysis: Annotated[str, Form()],
              revision: Annotated[int, Form(ge=1, le=MAX_ID)]) -> RedirectResponse:
    """Queue the analysis (planner) and go to its page."""
    from rackforge.service.routes.runs import create_run
    from rackforge.service.schemas import RunIn

    created = create_run(programme_id, RunIn.model_validate({"analysis": analysis, "revision": revision}), scope)
    return RedirectResponse(f"/runs/{created.id}", status_code=status.HTTP_303_SEE_OTHER)


def _run_context(caller: Caller, run_id: int) -> dict[str, Any]:
    from rackforge.service.routes.programmes import programme_out
    from rackforge.service.routes.runs import run_status

    run = run_status(run_id, caller)
    return {"run": run, "programme": programme_out(run.programme_id, caller),
            "finished": run.status in ("done", "failed")}


@router.get("/runs/{run_id}", response_class=HTMLResponse)
def run_page(request: Request, run_id: PathId, caller: CallerDep) -> HTMLResponse:
    return render(request, "run.html", _run_context(caller, run_id))


@router.get("/runs/{run_id}/progress", response_class=HTMLResponse)
def run_progress(request: Request, run_id: PathId, caller: CallerDep) -> HTMLResponse:
    """The progress fragment; once the run is done or failed it answers 286 so htmx stops polling."""
    context = _run_context(caller, run_id)
    page = render(request, "run_progress.html", context)
    if context["finished"]:
        page.status_code = HTMX_STOP_POLLING
    return page


@router.get("/runs/{run_id}/report", response_class=HTMLResponse)
def report_page(request: Request, run_id: PathId, caller: CallerDep) -> HTMLResponse:
    return render(request, "report.html", _run_context(caller, run_id))
