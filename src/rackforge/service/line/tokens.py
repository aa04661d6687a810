"""Station tokens: ``rfs_<lookup>_<secret>``, one programme each, good only for posting line data.

Made and checked like API tokens (:mod:`rackforge.service.auth`): 8 random bytes find the row, a 256-bit
secret of which only the SHA-256 is stored and compared in constant time. A station token is not a user:
it can post events and test results to its programme and read nothing.
"""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from rackforge.service.auth import secret_digest, secret_matches, split_token
from rackforge.service.line.models import StationToken
from rackforge.service.models import utcnow

STATION_TOKEN_PREFIX = "rfs_"
LOOKUP_BYTES = 8
SECRET_BYTES = 32


def issue_station_token(session: Session, programme_id: int, user_id: int, label: str = "") -> str:
    """Create a station token for ``programme_id``; returns it (the only time its secret is seen)."""
    lookup = secrets.token_hex(LOOKUP_BYTES)
    secret = secrets.token_urlsafe(SECRET_BYTES)
    session.add(StationToken(programme_id=programme_id, lookup=lookup, secret_sha256=secret_digest(secret), label=label,
                             created_by=user_id, created_at=utcnow(), revoked=False))
    session.flush()
    return f"{STATION_TOKEN_PREFIX}{lookup}_{secret}"


def programme_of_station_token(session: Session, token: str) -> int | None:
    """The programme a presented station token may post to, or None (malformed, unknown, wrong, revoked)."""
    parts = split_token(token, STATION_TOKEN_PREFIX)
    if parts is None:
        return None
    lookup, secret = parts
    row = session.scalar(select(StationToken).where(StationToken.lookup == lookup))
    if not secret_matches(None if row is None else row.secret_sha256, secret) or row is None or row.revoked:
        return None
    return row.programme_id
