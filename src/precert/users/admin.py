"""What an administrator does to users: list, create, disable or enable, reset a password."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import cast

from sqlalchemy import Table, select, update
from sqlalchemy.orm import Session

from precert.db import connection
from precert.errors import FieldProblem, not_found, validation_error
from precert.models import User, WebSession
from precert.users.service import add_user
from precert.users.sign_in import hash_password

_SESSIONS = cast(Table, WebSession.__table__)
MIN_PASSWORD = 10


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.role, User.name, User.id)))


def names_of(session: Session, user_ids: list[int]) -> dict[int, str]:
    """Return user names by ID, for histories."""
    if not user_ids:
        return {}
    rows = session.execute(select(User.id, User.name).where(User.id.in_(user_ids)))
    return {user_id: name for user_id, name in rows}


def new_password() -> str:
    return secrets.token_urlsafe(12)


def create(
    session: Session,
    *,
    name: str,
    role: str,
    npi: str | None,
    username: str | None,
    password: str | None,
) -> tuple[User, str, str | None]:
    """Create a user; return it, its API token and the password to hand over (if any)."""
    problems: list[FieldProblem] = []
    if password and len(password) < MIN_PASSWORD:
        problems.append(FieldProblem("password", f"must be at least {MIN_PASSWORD} characters"))
    if password and not username:
        problems.append(FieldProblem("username", "is required to sign in with a password"))
    if problems:
        raise validation_error(problems)
    given = password or (new_password() if username else None)
    user, token = add_user(
        session,
        role=role,
        name=name,
        npi=npi or None,
        username=username or None,
        password_hash=hash_password(given) if given else None,
    )
    return user, token, given


def _user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise not_found(f"User {user_id}")
    return user


def set_active(session: Session, user_id: int, *, active: bool, by: int, now: datetime) -> User:
    """Disable (ending their sessions; the API token stops working) or enable a user."""
    if not active and user_id == by:
        raise validation_error([FieldProblem("user", "you cannot disable yourself")])
    user = _user(session, user_id)
    user.active = active
    if not active:
        end_sessions(session, user_id, now)
    session.flush()
    return user


def reset_password(session: Session, user_id: int, *, now: datetime) -> tuple[User, str]:
    """Give the user a new password (shown once), unlock them and end their sessions."""
    user = _user(session, user_id)
    if user.username is None:
        raise validation_error(
            [FieldProblem("user", "this user has no username: it uses the API token only")]
        )
    password = new_password()
    user.password_hash = hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
    end_sessions(session, user_id, now)
    session.flush()
    return user, password


def end_sessions(session: Session, user_id: int, now: datetime) -> None:
    connection(session).execute(
        update(_SESSIONS)
        .where(_SESSIONS.c.user_id == user_id, _SESSIONS.c.ended_at.is_(None))
        .values(ended_at=now)
    )
