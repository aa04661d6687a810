"""``/api/tokens``: the caller lists and revokes their own API tokens; administrators anyone's.

Another user's token is not found (404), exactly as one that does not exist, so lookup ids reveal
nothing. The queries are :mod:`rackforge.service.tokens`, the same as ``rackforge tokens list|revoke``.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, status
from pydantic import BaseModel

from rackforge.service.access import not_found
from rackforge.service.auth import TokenStatus, token_status
from rackforge.service.deps import Caller, CallerDep, WriteScope
from rackforge.service.models import ApiToken, utcnow
from rackforge.service.schemas import UtcTime
from rackforge.service.tokens import (
    LOOKUP_ARGUMENT_PATTERN,
    find_token,
    list_tokens,
    lookup_of,
    revoke,
    shown_lookup,
)

router = APIRouter(prefix="/api/tokens", tags=["tokens"])


class TokenOut(BaseModel):
    """An API token as listed: never its secret or the secret's hash."""

    user: str
    lookup: str
    label: str
    created_at: UtcTime
    expires_at: UtcTime | None
    status: TokenStatus


def token_out(token: ApiToken, now: dt.datetime) -> TokenOut:
    """``token`` as the API shows it, its status at ``now`` [UTC]."""
    return TokenOut(user=token.user.name, lookup=shown_lookup(token), label=token.label,
                    created_at=token.created_at, expires_at=token.expires_at, status=token_status(token, now))


@router.get("", response_model=list[TokenOut],
            responses={403: {"description": "only administrators list every user's tokens"}})
async def list_api_tokens(caller: CallerDep,
                          all_users: Annotated[bool, Query(alias="all", description="every user's tokens "
                                                           "(administrators only)")] = False) -> list[TokenOut]:
    """The caller's API tokens (every user's with ``?all=true``, administrators only), oldest first."""
    return await caller.run(lambda: tokens_out(caller, all_users))


def tokens_out(caller: Caller, all_users: bool) -> list[TokenOut]:
    """:func:`list_api_tokens`, read now."""
    with caller.read() as scope:
        if all_users and not scope.user.is_admin:
            raise HTTPException(status.HTTP_403_FORBIDDEN, "only administrators list every user's tokens")
        now = utcnow()
        return [token_out(t, now) for t in list_tokens(scope.session, None if all_users else scope.user)]


@router.delete("/{lookup}", status_code=204, responses={404: {"description": "no such token of the caller's"}})
def revoke_api_token(lookup: Annotated[str, Path(pattern=LOOKUP_ARGUMENT_PATTERN,
                                              description="rf_<lookup> or the bare lookup id")],
                 scope: WriteScope) -> None:
    """Revoke one of the caller's tokens (administrators: anyone's) at once; revoking again changes nothing."""
    found = lookup_of(lookup)
    token = None if found is None else find_token(scope.session, found, None if scope.user.is_admin else scope.user)
    if token is None:
        raise not_found("token")
    revoke(token)
    scope.session.commit()
