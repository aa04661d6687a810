"""Listing and revoking API tokens: the one set of queries behind ``rackforge tokens list|revoke`` and
``GET|DELETE /api/tokens``.

A token is named by its lookup id, the part of ``rf_<lookup>_<secret>`` that is not secret; it is shown
as ``rf_<lookup>``. Nothing here reads or returns a secret or its hash. Revoking sets
``api_tokens.revoked``; :func:`rackforge.service.auth.user_for_token` reads it on every request, so a
revoked token stops working at once.
"""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from rackforge.service.auth import TOKEN_PREFIX
from rackforge.service.models import ApiToken, User

LOOKUP_PATTERN = r"[0-9a-f]{1,32}"
"""A lookup id: lowercase hex (``secrets.token_hex``), at most 32 characters (the column's width)."""

LOOKUP_ARGUMENT_PATTERN = rf"^(?:{TOKEN_PREFIX})?{LOOKUP_PATTERN}$"
"""How the API's path names a token: ``rf_<lookup>`` or the bare lookup (never the secret, which would
end up in access logs)."""


def shown_lookup(token: ApiToken) -> str:
    """How a token is named in listings and messages: ``rf_<lookup>`` (no secret)."""
    return f"{TOKEN_PREFIX}{token.lookup}"


def lookup_of(text: str) -> str | None:
    """The lookup id named by ``text``, which is ``rf_<lookup>``, the bare lookup or a whole token
    ``rf_<lookup>_<secret>`` (of which only the lookup is used); None when it is none of these."""
    text = text.strip()
    lookup = text[len(TOKEN_PREFIX):].partition("_")[0] if text.startswith(TOKEN_PREFIX) else text
    return lookup if re.fullmatch(LOOKUP_PATTERN, lookup) else None


def list_tokens(session: Session, owner: User | None) -> list[ApiToken]:
    """The tokens of ``owner`` (every user's when None), by user name, then oldest first."""
    query = select(ApiToken).join(User, User.id == ApiToken.user_id)
    if owner is not None:
        query = query.where(ApiToken.user_id == owner.id)
    return list(session.scalars(query.order_by(User.name, ApiToken.created_at, ApiToken.id)))


def find_token(session: Session, lookup: str, owner: User | None) -> ApiToken | None:
    """The token with ``lookup`` if it belongs to ``owner`` (any user's when None), else None: another
    user's token is not found, exactly as one that does not exist."""
    query = select(ApiToken).where(ApiToken.lookup == lookup)
    if owner is not None:
        query = query.where(ApiToken.user_id == owner.id)
    return session.scalar(query)


def revoke(token: ApiToken) -> bool:
    """Revoke ``token`` (flushed with its session); False when it was revoked already."""
    if token.revoked:
        return False
    token.revoked = True
    return True
