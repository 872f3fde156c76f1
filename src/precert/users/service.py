"""Users and their API tokens: only a hash of a token is ever stored."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime
from typing import cast

from sqlalchemy import Table, bindparam, select
from sqlalchemy.orm import Session

from precert.common.actor import Actor, Role
from precert.db import connection
from precert.errors import FieldProblem, validation_error
from precert.models import Provider, User
from precert.rules.codes import check_npi

CLINICAL_ROLES = (Role.PHYSICIAN, Role.PROVIDER)
_USERS = cast(Table, User.__table__)
_PROVIDERS = cast(Table, Provider.__table__)
_ACTOR_BY_TOKEN = (
    select(_USERS.c.id, _USERS.c.role, _USERS.c.npi, _USERS.c.name, _PROVIDERS.c.provider_type)
    .select_from(_USERS.outerjoin(_PROVIDERS, _PROVIDERS.c.npi == _USERS.c.npi))
    .where(_USERS.c.token_hash == bindparam("token_hash"), _USERS.c.active.is_(True))
)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return "pct_" + secrets.token_urlsafe(32)


def add_user(
    session: Session,
    *,
    role: str,
    name: str,
    npi: str | None = None,
    username: str | None = None,
    password_hash: str | None = None,
) -> tuple[User, str]:
    """Create a user; return it and its bearer token (shown once, stored only as a hash)."""
    problems = []
    try:
        kind = Role(role)
    except ValueError:
        kind = None
        problems.append(FieldProblem("role", f"unknown role {role!r}; use one of {_roles()}"))
    if not name.strip():
        problems.append(FieldProblem("name", "is required"))
    for label, text in (("name", name), ("username", username or "")):
        if "\x00" in text:
            problems.append(FieldProblem(label, "must not contain a NUL character"))
    if npi is not None:
        try:
            npi = check_npi(npi)
        except ValueError as exc:
            problems.append(FieldProblem("npi", str(exc)))
    if kind in CLINICAL_ROLES and npi is None:
        problems.append(FieldProblem("npi", f"a {role} user needs an NPI"))
    if username is not None:
        taken = session.scalar(select(User.id).where(User.username == username))
        if taken is not None:
            problems.append(FieldProblem("username", f"{username!r} is taken"))
    if problems:
        raise validation_error(problems)
    assert kind is not None
    token = new_token()
    user = User(
        name=name.strip(),
        role=kind.value,
        npi=npi,
        token_hash=hash_token(token),
        username=username,
        password_hash=password_hash,
        active=True,
        created_at=datetime.now(UTC),
    )
    session.add(user)
    session.flush()
    return user, token


def rotate_token(session: Session, user: User) -> str:
    """Give `user` a new token; the old one stops working."""
    token = new_token()
    user.token_hash = hash_token(token)
    session.flush()
    return token


def actor_for_token(session: Session, token: str) -> Actor | None:
    """Return the active user holding `token`, as an actor."""
    row = (
        connection(session)
        .execute(_ACTOR_BY_TOKEN, {"token_hash": hash_token(token)})
        .one_or_none()
    )
    if row is None:
        return None
    user_id, role, npi, name, provider_type = row
    return Actor(user_id, Role(role), npi, name, provider_type=provider_type)


def _roles() -> str:
    return ", ".join(r.value for r in Role)
