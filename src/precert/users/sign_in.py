"""Portal sign-in: argon2 passwords, lock-out after repeated failures, server-side sessions."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session

from precert.common.actor import Actor, Channel, Role
from precert.config import Settings
from precert.db import as_utc, connection
from precert.models import Provider, User, WebSession

_HASHER = PasswordHasher()
# Checked against when the username is unknown, so both cases take the same time.
_DUMMY_HASH = _HASHER.hash(secrets.token_urlsafe(16))
_SESSIONS = cast(Table, WebSession.__table__)
_USERS = cast(Table, User.__table__)
_PROVIDERS = cast(Table, Provider.__table__)
_BY_KEY = (
    select(
        _SESSIONS.c.csrf_token,
        _SESSIONS.c.created_at,
        _SESSIONS.c.last_seen_at,
        _USERS.c.id,
        _USERS.c.role,
        _USERS.c.npi,
        _USERS.c.name,
        _PROVIDERS.c.provider_type,
    )
    .select_from(
        _SESSIONS.join(_USERS, _USERS.c.id == _SESSIONS.c.user_id).outerjoin(
            _PROVIDERS, _PROVIDERS.c.npi == _USERS.c.npi
        )
    )
    .where(
        _SESSIONS.c.key_hash == bindparam("key_hash"),
        _SESSIONS.c.ended_at.is_(None),
        _USERS.c.active.is_(True),
    )
)


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class SignIn:
    """The outcome of a sign-in attempt: a session key to set, or why not."""

    session_key: str | None
    problem: str | None


def sign_in(
    session: Session, *, username: str, password: str, now: datetime, settings: Settings
) -> SignIn:
    """Check the password; on success open a session, on failure count towards lock-out."""
    if "\x00" in username:  # no stored username holds one, and PostgreSQL refuses to compare it
        _verify(_DUMMY_HASH, password)
        return SignIn(None, "The username or password is not right.")
    user = session.scalar(select(User).where(User.username == username))
    if user is None or user.password_hash is None or not user.active:
        _verify(_DUMMY_HASH, password)
        return SignIn(None, "The username or password is not right.")
    if user.locked_until is not None and as_utc(user.locked_until) > now:
        return SignIn(None, "This account is locked after repeated failed sign-ins; try later.")
    if not _verify(user.password_hash, password):
        user.failed_logins += 1
        if user.failed_logins >= settings.sign_in_max_failures:
            user.failed_logins = 0
            user.locked_until = now + timedelta(minutes=settings.sign_in_lockout_minutes)
            return SignIn(None, "This account is locked after repeated failed sign-ins; try later.")
        return SignIn(None, "The username or password is not right.")
    user.failed_logins = 0
    user.locked_until = None
    key = secrets.token_urlsafe(32)
    session.add(
        WebSession(
            key_hash=_digest(key),
            user_id=user.id,
            csrf_token=secrets.token_urlsafe(32),
            created_at=now,
            last_seen_at=now,
        )
    )
    session.flush()
    return SignIn(key, None)


@dataclass(frozen=True, slots=True)
class PortalUser:
    actor: Actor
    csrf_token: str


def portal_user(
    session: Session, key: str, *, now: datetime, settings: Settings
) -> PortalUser | None:
    """Return who holds the session `key`, if it is open and not idle or too old; touch it."""
    conn = connection(session)
    row = conn.execute(_BY_KEY, {"key_hash": _digest(key)}).one_or_none()
    if row is None:
        return None
    csrf, created, seen, user_id, role, npi, name, provider_type = row
    idle = now - as_utc(seen) > timedelta(minutes=settings.session_idle_minutes)
    old = now - as_utc(created) > timedelta(hours=settings.session_max_hours)
    if idle or old:
        end_session(session, key, now=now)
        return None
    conn.execute(
        update(_SESSIONS).where(_SESSIONS.c.key_hash == _digest(key)).values(last_seen_at=now)
    )
    actor = Actor(user_id, Role(role), npi, name, Channel.WEB, provider_type=provider_type)
    return PortalUser(actor, csrf)


def end_session(session: Session, key: str, *, now: datetime) -> None:
    connection(session).execute(
        update(_SESSIONS)
        .where(_SESSIONS.c.key_hash == _digest(key), _SESSIONS.c.ended_at.is_(None))
        .values(ended_at=now)
    )


def same_token(expected: str, given: str | None) -> bool:
    return given is not None and secrets.compare_digest(expected.encode(), given.encode())


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
