"""The FastAPI application: ``create_app(settings)``.

Routers: :mod:`rackforge.service.routes` (programmes, runs). Other packages (the web pages of issue 16)
add theirs with ``app.include_router``. OpenAPI at ``/api/openapi.json``. Bodies over
``settings.max_request_bytes`` are refused with 413 before they are read; an input error is 422 with the
loader's problems (file, line, field, message).
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rackforge import __version__
from rackforge.errors import InputError, RackforgeError
from rackforge.service.db import Database
from rackforge.service.settings import Settings


class BodyTooLarge(Exception):
    """A request body went past the limit while it was being read."""


class BodySizeLimit:
    """ASGI middleware: 413 for a body over ``limit`` bytes, by its Content-Length or as it streams in."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for key, value in scope.get("headers", []):
            if key == b"content-length" and value.isdigit() and int(value) > self.limit:
                await self._refuse(send)
                return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                raise BodyTooLarge
            return message

        try:
            await self.app(scope, counted, send)
        except BodyTooLarge:
            await self._refuse(send)

    async def _refuse(self, send: Send) -> None:
        response = JSONResponse({"detail": f"request body over {self.limit} bytes"}, status_code=413)
        await response({"type": "http"}, _no_body, send)


async def _no_body() -> Message:
    return {"type": "http.disconnect"}


def problems_json(exc: InputError) -> list[dict[str, Any]]:
    """The problems of an input error as JSON: file, line, field, message."""
    return [{"file": p.file, "line": p.line, "field": p.field, "message": p.message} for p in exc.problems]


def create_app(settings: Settings, db: Database | None = None) -> FastAPI:
    """The service's app on ``settings.db_url`` (or an open ``db``), with ``settings.workers`` worker
    threads started and stopped with it. The database must be migrated (``rackforge db upgrade``)."""
    from rackforge.service.routes import programmes, runs, tokens, users

    database = db or Database.connect(settings.db_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from rackforge.service.worker import settle_garbage, start_workers

        stop = threading.Event()
        threads = start_workers(database, settings, stop)
        settle_garbage()
        try:
            yield
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=10)

    app = FastAPI(title="rackforge service", version=__version__, openapi_url="/api/openapi.json",
                  docs_url="/api/docs", redoc_url=None, lifespan=lifespan)
    app.state.db = database
    app.state.settings = settings
    app.add_middleware(BodySizeLimit, limit=settings.max_request_bytes)

    @app.exception_handler(InputError)
    async def input_error(_request: Request, exc: InputError) -> JSONResponse:
        return JSONResponse({"detail": "the programme files have problems", "problems": problems_json(exc)},
                            status_code=422)

    @app.exception_handler(RackforgeError)
    async def usage_error(_request: Request, exc: RackforgeError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=422)

    @app.get("/api/health", tags=["health"])
    def health() -> dict[str, str]:
        """Is the service up? No token needed."""
        return {"status": "ok"}

    app.include_router(users.router)
    app.include_router(programmes.router)
    app.include_router(runs.router)
    app.include_router(tokens.router)
    __import__("rackforge.service.web.install", fromlist=["install_web"]).install_web(app, database)  # issue 16
    return app
