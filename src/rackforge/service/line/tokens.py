"""Station tokens: ``rfs_<lookup>_<secret>``, one programme each, good only for posting line data.

Made and checked like API tokens (:mod:`rackforge.service.auth`): 8 random bytes find the row, a 256-bit
secret of which only the SHA-256 is stored and compared in constant time. A station token is not a user:
it can post events and test results to its programme and read nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from rackforge.service.line.models import StationToken
from rackforge.service.models import utcnow

STATION_TOKEN_PREFIX = "rfs_"
LOOKUP_BYTES = 8
SECRET_BYTES = 32


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def issue_station_token(session: Session, programme_id: int, user_id: int, label: str = "") -> str:
    """Create a station token for ``programme_id``; returns it (the only time its secret is seen)."""
    lookup = secrets.token_hex(LOOKUP_BYTES)
    secret = secrets.token_urlsafe(SECRET_BYTES)
    session.add(StationToken(programme_id=programme_id, lookup=lookup, secret_sha256=_digest(secret), label=label,
                             created_by=user_id, created_at=utcnow(), revoked=False))
    session.flush()
    return f"{STATION_TOKEN_PREFIX}{lookup}_{secret}"


def programme_of_station_token(session: Session, token: str) -> int | None:
    """The programme a presented station token may post to, or None (malformed, unknown, wrong, revoked)."""
    if not token.startswith(STATION_TOKEN_PREFIX):
        return None
    lookup, _, secret = token[len(STATION_TOKEN_PREFIX):].partition("_")
    if not lookup or not secret or len(lookup) > 32:
        return None
    row = session.scalar(select(StationToken).where(StationToken.lookup == lookup))
    presented = _digest(secret)
    if row is None:
        hmac.compare_digest(presented, presented)  # the same work whether or not the lookup exists
        return None
    if not hmac.compare_digest(row.secret_sha256, presented) or row.revoked:
        return None
    return row.programme_id
