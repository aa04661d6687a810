"""``/api/users``: administrators add users (the same rules as ``rackforge users add``)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel, Field
from sqlalchemy import select

from rackforge.service.auth import hash_password
from rackforge.service.deps import WriteScope
from rackforge.service.models import User, utcnow

router = APIRouter(prefix="/api/users", tags=["users"])

USER_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$"
"""A user name: 1-64 letters, digits, '.', '_', '@' or '-', starting with a letter or digit."""

MIN_PASSWORD = 8
"""Shortest password accepted [characters]."""


class UserIn(BaseModel):
    """A new user: name, password (stored as an argon2id hash only) and whether they are an administrator."""

    name: str = Field(pattern=USER_NAME_PATTERN)
    password: str = Field(min_length=MIN_PASSWORD, max_length=1024)
    admin: bool = False


class UserOut(BaseModel):
    """A user as the API shows them."""

    name: str
    admin: bool


@router.post("", status_code=201, response_model=UserOut,
             responses={403: {"description": "only administrators add users"},
                        409: {"description": "the name is taken"}})
def add_user(body: UserIn, scope: WriteScope) -> UserOut:
    """Add a user (administrators only; 'rackforge users add NAME --admin' makes one)."""
    if not scope.user.is_admin:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "only administrators add users")
    if scope.session.scalar(select(User.id).where(User.name == body.name)) is not None:
        raise HTTPException(status.HTTP_409_CONFLICT, f"user {body.name!r} exists already")
    scope.session.add(User(name=body.name, password_hash=hash_password(body.password), is_admin=body.admin,
                           created_at=utcnow()))
    scope.session.commit()
    return UserOut(name=body.name, admin=body.admin)
