"""Passwords, API tokens and the ``current_user`` dependency.

Passwords are chosen by people, so they are hashed with argon2id (memory-hard, RFC 9106; argon2-cffi's
defaults), which makes guessing them from a stolen database slow.

API tokens are made by the machine: ``rf_<lookup>_<secret>`` where ``lookup`` is 8 random bytes that
find the row (an index, no scan) and ``secret`` 32 random bytes (256 bits) from :mod:`secrets`. Only the
secret's SHA-256 is stored and compared in constant time (:func:`hmac.compare_digest`). A slow KDF adds
nothing for such a secret: guessing 2^256 values is out of reach at any hash speed, so a stolen hash
cannot be reversed, while argon2 on every request would cost tens of milliseconds of CPU and memory per
call. The lookup id is not secret; knowing it does not help to forge the 256-bit part.

Tokens and passwords never go to logs: requests are logged without headers (uvicorn's access log
holds method, path and status only) and the token is printed once, when it is created.
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
import hashlib
import hmac
import secrets
from typing import Annotated

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select
from sqlalchemy.orm import Session

from rackforge.service.models import ApiToken, User, utcnow

TOKEN_PREFIX = "rf_"
LOOKUP_BYTES = 8
SECRET_BYTES = 32
"""Random bytes of a token's secret part: 256 bits."""

_hasher = PasswordHasher()
bearer_scheme = HTTPBearer(auto_error=False, description="an API token from 'rackforge tokens create NAME'")


def hash_password(password: str) -> str:
    """The argon2id hash of ``password`` (salted, with its parameters) to store."""
    return _hasher.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    """Does ``password`` match ``stored_hash``? Constant-time inside argon2."""
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def authenticate(session: Session, name: str, password: str) -> User | None:
    """The user called ``name`` if ``password`` is theirs, else None (an unknown name costs one hash too,
    so timing does not tell which names exist)."""
    user = session.scalar(select(User).where(User.name == name))
    if user is None:
        verify_password(_dummy_hash(), password)
        return None
    return user if verify_password(user.password_hash, password) else None


def secret_digest(secret: str) -> str:
    """What is stored of a token's secret: its SHA-256 [hex] (the secret is 256 random bits, so a fast
    hash is enough; passwords, which are not random, get argon2)."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def split_token(token: str, prefix: str) -> tuple[str, str] | None:
    """``(lookup, secret)`` of a presented ``prefix<lookup>_<secret>`` token, or None when malformed."""
    if not token.startswith(prefix):
        return None
    lookup, _, secret = token[len(prefix):].partition("_")
    if not lookup or not secret or len(lookup) > 32:
        return None
    return lookup, secret


def secret_matches(stored_sha256: str | None, secret: str) -> bool:
    """Does ``secret`` hash to ``stored_sha256``? Compared in constant time, with the same work when nothing
    is stored (no token has that lookup), so the answer's timing tells nothing."""
    presented = secret_digest(secret)
    if stored_sha256 is None:
        hmac.compare_digest(presented, presented)
        return False
    return hmac.compare_digest(stored_sha256, presented)


def issue_token(session: Session, user: User, label: str = "", expires_days: int | None = None) -> str:
    """Create a token for ``user`` and return it: the only time its secret exists outside the caller."""
    lookup = secrets.token_hex(LOOKUP_BYTES)
    secret = secrets.token_urlsafe(SECRET_BYTES)
    expires = None if expires_days is None else utcnow() + dt.timedelta(days=expires_days)
    session.add(ApiToken(user_id=user.id, lookup=lookup, secret_sha256=secret_digest(secret), label=label,
                         expires_at=expires, created_at=utcnow(), revoked=False))
    session.flush()
    return f"{TOKEN_PREFIX}{lookup}_{secret}"


class TokenStatus(enum.StrEnum):
    """Whether a token lets its user in."""

    ACTIVE = "active"
    EXPIRED = "expired"
    REVOKED = "revoked"


def token_status(token: ApiToken, now: dt.datetime) -> TokenStatus:
    """``token``'s status at ``now`` [UTC, no zone, as :func:`~rackforge.service.models.utcnow`]: revoked
    before expired; expired from ``expires_at`` on. Only an active token lets its user in
    (:func:`user_for_token`)."""
    if token.revoked:
        return TokenStatus.REVOKED
    if token.expires_at is not None and token.expires_at <= now:
        return TokenStatus.EXPIRED
    return TokenStatus.ACTIVE


def user_for_token(session: Session, token: str) -> User | None:
    """The user a presented token belongs to, or None when it is malformed, unknown, wrong, revoked or
    expired."""
    parts = split_token(token, TOKEN_PREFIX)
    if parts is None:
        return None
    lookup, secret = parts
    row = session.scalar(select(ApiToken).where(ApiToken.lookup == lookup))
    if not secret_matches(None if row is None else row.secret_sha256, secret) or row is None:
        return None
    if token_status(row, utcnow()) is not TokenStatus.ACTIVE:
        return None
    return row.user


def _unauthorised(detail: str) -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, detail, headers={"WWW-Authenticate": "Bearer"})


def request_user(request: Request, credentials: HTTPAuthorizationCredentials | None, session: Session) -> User:
    """The caller: ``request.state.user`` when another way in (the web pages' session) set it, else the
    user of the bearer token, looked up on ``session``; 401 otherwise."""
    preset = getattr(request.state, "user", None)
    if isinstance(preset, User):
        return preset
    if credentials is None:
        raise _unauthorised("an API token is required: 'Authorization: Bearer <token>'")
    user = user_for_token(session, credentials.credentials)
    if user is None:
        raise _unauthorised("the API token is not valid (unknown, revoked or expired)")
    return user


def current_user(request: Request,
                 credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)]) -> User:
    """FastAPI dependency: the user of the request's bearer token, or 401. Another way in (the web
    pages' session cookie) may set ``request.state.user`` before this runs; it is used when present."""
    with request.app.state.db.read() as session:
        user = request_user(request, credentials, session)
        if user in session:
            session.expunge(user)
        return user


CurrentUser = Annotated[User, Depends(current_user)]
"""A route parameter of this type is the authenticated caller."""


@functools.cache
def _dummy_hash() -> str:
    return _hasher.hash("rackforge: a password nobody has")
