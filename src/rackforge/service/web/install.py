"""Add the web pages, the line board and the session layer to the service's app (one call in
:func:`rackforge.service.app.create_app`)."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from rackforge.service.db import Database


def install_web(app: FastAPI, db: Database) -> None:
    """Pages, static files (``/static``), the line board's routes and hub, and signed-cookie sessions."""
    from urllib.parse import quote

    from rackforge.service.line import routes as line_routes
    from rackforge.service.line.hub import BoardHub
    from rackforge.service.line.store import board_json
    from rackforge.service.web import pages, runs
    from rackforge.service.web.render import STATIC, render
    from rackforge.service.web.session import WebSession

    app.state.board_hub = BoardHub(lambda programme_id: board_json(db, programme_id))
    app.include_router(line_routes.router)
    app.include_router(pages.router)
    app.include_router(runs.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_middleware(WebSession, db=db)

    @app.exception_handler(StarletteHTTPException)
    async def page_errors(request: Request, exc: StarletteHTTPException) -> Response:
        """API paths keep FastAPI's JSON errors; a page asks an anonymous caller to sign in and shows other
        errors as a page."""
        if request.url.path.startswith(("/api/", "/static/")):
            return await http_exception_handler(request, exc)
        if exc.status_code == 401:
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/signin?next={quote(target)}", status_code=303)
        return render(request, "error.html", {"status": exc.status_code, "detail": exc.detail}, exc.status_code)
