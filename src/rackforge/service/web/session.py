"""Sessions for the web pages: a signed cookie (itsdangerous, through Starlette's SessionMiddleware) that
holds the user id and a CSRF token, and the middleware that makes the signed-in user the caller.

- The cookie is signed with a key made on first use and kept in the database (``service_secrets``), so
  sessions survive a restart; it is HttpOnly, SameSite=Lax, and Secure when the request came over HTTPS.
- A signed-in user is the caller (``request.state.user``, which :func:`rackforge.service.auth.current_user`
  honours) for the pages and for the API's safe methods (GET, HEAD), so a page can read a run's report or
  progress; an API request that changes something still needs a bearer token (a cookie alone can be
  sent by another site; the pages' own forms carry the CSRF token instead).
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from sqlalchemy import select
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from rackforge.service.db import Database
from rackforge.service.line.models import ServiceSecret
from rackforge.service.models import User

SESSION_COOKIE = "rackforge_session"
SESSION_MAX_AGE_S = 14 * 24 * 3600
"""How long a sign-in lasts [s] (a panel PC stays signed in for two weeks)."""
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def session_key(db: Database) -> str:
    """The cookie-signing key: read from the database, or made (256 random bits) and stored on first use."""
    with db.read() as session:
        value = session.scalar(select(ServiceSecret.value).where(ServiceSecret.name == "session_key"))
    if value is not None:
        return value
    from sqlalchemy.exc import IntegrityError

    try:
        with db.write() as session:
            session.add(ServiceSecret(name="session_key", value=secrets.token_urlsafe(32)))
    except IntegrityError:  # another process made it first
        pass
    with db.read() as session:
        stored = session.scalar(select(ServiceSecret.value).where(ServiceSecret.name == "session_key"))
    assert stored is not None
    return stored


class WebSession:
    """ASGI middleware: signed session cookies (Secure over HTTPS), then :class:`SignedInUser`. The key is
    read from the database on the first request (the app may be made before the database is migrated)."""

    def __init__(self, app: ASGIApp, db: Database) -> None:
        self.app = app
        self.db = db
        self._apps: dict[bool, ASGIApp] = {}

    def _wrapped(self, secure: bool) -> ASGIApp:
        if secure not in self._apps:
            key = session_key(self.db)
            inner = SignedInUser(self.app, self.db)
            self._apps[secure] = SessionMiddleware(inner, secret_key=key, session_cookie=SESSION_COOKIE,
                                                   max_age=SESSION_MAX_AGE_S, same_site="lax", https_only=secure)
        return self._apps[secure]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        await self._wrapped(scope.get("scheme") in ("https", "wss"))(scope, receive, send)


class SignedInUser:
    """ASGI middleware: the session's user becomes the caller for pages and the API's safe methods."""

    def __init__(self, app: ASGIApp, db: Database) -> None:
        self.app = app
        self.db = db

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        uid = scope.get("session", {}).get("uid")
        path: str = scope.get("path", "")
        api_write = path.startswith("/api/") and scope.get("method", "GET") not in SAFE_METHODS
        if isinstance(uid, int) and not api_write:
            from starlette.concurrency import run_in_threadpool

            user = await run_in_threadpool(self._user, uid)
            if user is not None:
                scope.setdefault("state", {})["user"] = user
        await self.app(scope, receive, send)

    def _user(self, uid: int) -> User | None:
        with self.db.read() as session:
            user = session.get(User, uid)
            if user is not None:
                session.expunge(user)
            return user


def csrf_token(request: Request) -> str:
    """The session's CSRF token (made on first use); every form and htmx request sends it back."""
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def csrf_ok(request: Request, sent: Any) -> bool:
    """Does ``sent`` (the form's ``csrf`` field or the ``X-CSRF-Token`` header) match the session's token?"""
    expected = request.session.get("csrf")
    return isinstance(expected, str) and isinstance(sent, str) and hmac.compare_digest(expected, sent)


def sign_in(request: Request, user: User) -> None:
    """Start a session for ``user`` (a fresh CSRF token; the old session's contents are dropped)."""
    request.session.clear()
    request.session["uid"] = user.id
    request.session["csrf"] = secrets.token_urlsafe(32)


def sign_out(request: Request) -> None:
    """End the session."""
    request.session.clear()
