"""Queries of pre-certifications, their history and the unit ledger.

The decision path runs these on every request, so the statements are built once, with bound
parameters, and run through SQLAlchemy Core: a pre-certification travels as a plain mapping.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, and_, bindparam, func, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from precert.db import connection
from precert.models import Precert, PrecertEvent, UnitLedger
from precert.rules.decision import Status
from precert.rules.facts import Authorization, Holding

Record = dict[str, Any]

PRECERTS = cast(Table, Precert.__table__)
EVENTS = cast(Table, PrecertEvent.__table__)
LEDGERS = cast(Table, UnitLedger.__table__)
ID_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U
ID_PATTERN = re.compile(f"PC-[{ID_ALPHABET}]{{10}}")
HOLDING = (Status.APPROVED.value, Status.PARTIALLY_APPROVED.value)

_GET = select(PRECERTS).where(PRECERTS.c.id == bindparam("id"))
_GET_LOCKED = _GET.with_for_update()
_UPDATE = PRECERTS.update().where(PRECERTS.c.id == bindparam("_id"))
_HISTORY = (
    select(EVENTS)
    .where(EVENTS.c.precert_id.in_(bindparam("ids", expanding=True)))
    .order_by(EVENTS.c.precert_id, EVENTS.c.seq)
)
_HELD = select(
    PRECERTS.c.id,
    PRECERTS.c.therapy,
    PRECERTS.c.start_date,
    PRECERTS.c.end_date,
    PRECERTS.c.approved_units,
    PRECERTS.c.used_units,
).where(
    PRECERTS.c.participant_id == bindparam("participant_id"),
    PRECERTS.c.status.in_(HOLDING),
    PRECERTS.c.start_date >= bindparam("first"),
    PRECERTS.c.start_date <= bindparam("last"),
)
# Insert and update statements reserve the column names, so the parameters are b_*.
_LEDGER_KEY: dict[str, Any] = {"participant_id": bindparam("b_pid"), "year_key": bindparam("b_key")}
_LOCK_LEDGER = {
    dialect: insert(LEDGERS)
    .values(**_LEDGER_KEY, authorized_units=0)
    .on_conflict_do_update(
        index_elements=[LEDGERS.c.participant_id, LEDGERS.c.year_key],
        set_={"authorized_units": LEDGERS.c.authorized_units},
    )
    for dialect, insert in (("postgresql", pg_insert), ("sqlite", sqlite_insert))
}
_ADD_TO_LEDGER = {
    dialect: insert(LEDGERS)
    .values(**_LEDGER_KEY, authorized_units=bindparam("b_units"))
    .on_conflict_do_update(
        index_elements=[LEDGERS.c.participant_id, LEDGERS.c.year_key],
        set_={"authorized_units": LEDGERS.c.authorized_units + bindparam("b_units")},
    )
    for dialect, insert in (("postgresql", pg_insert), ("sqlite", sqlite_insert))
}
_HISTORY_ONE = select(EVENTS).where(EVENTS.c.precert_id == bindparam("id")).order_by(EVENTS.c.seq)


def get(session: Session, precert_id: str, *, for_update: bool = False) -> Record | None:
    """Return the pre-certification, locking its row when asked (PostgreSQL)."""
    if not ID_PATTERN.fullmatch(precert_id):
        return None
    statement = _GET_LOCKED if for_update else _GET
    row = connection(session).execute(statement, {"id": precert_id}).mappings().one_or_none()
    return dict(row) if row is not None else None


def insert(session: Session, values: Record) -> None:
    connection(session).execute(PRECERTS.insert(), values)


def save(session: Session, precert: Record, changes: Record) -> None:
    """Write `changes` to the stored pre-certification and to `precert`."""
    connection(session).execute(_UPDATE, {"_id": precert["id"], **changes})
    precert.update(changes)


def history(session: Session, precert_ids: Sequence[str]) -> dict[str, list[Record]]:
    """Return the transitions of each pre-certification, oldest first."""
    found: dict[str, list[Record]] = {pid: [] for pid in precert_ids}
    if len(precert_ids) == 1:
        rows = connection(session).execute(_HISTORY_ONE, {"id": precert_ids[0]}).mappings()
    elif precert_ids:
        rows = connection(session).execute(_HISTORY, {"ids": list(precert_ids)}).mappings()
    if precert_ids:
        for row in rows:
            found[row["precert_id"]].append(dict(row))
    return found


def holdings(session: Session, participant_id: str, *, first: date, last: date) -> list[Holding]:
    """Return the participant's approved pre-certifications starting in [first, last]."""
    rows = connection(session).execute(
        _HELD, {"participant_id": participant_id, "first": first, "last": last}
    )
    return [
        Holding(pid, therapy, start, end, approved or 0, used or 0)
        for pid, therapy, start, end, approved, used in rows
        if end is not None
    ]


def authorizations(
    session: Session, participant_id: str, *, first: date, last: date
) -> list[Authorization]:
    """Return the units the participant holds from pre-certifications starting in [first, last]."""
    return [
        Authorization(h.precert_id, h.therapy, h.start, h.end, h.approved_units)
        for h in holdings(session, participant_id, first=first, last=last)
    ]


def lock_ledger(session: Session, participant_id: str, year_key: str) -> None:
    """Hold the participant's ledger row for the year until the transaction ends.

    On PostgreSQL the upsert locks the row; on SQLite a writer already holds the database's
    write lock from BEGIN IMMEDIATE, and `add_to_ledger` creates the row when it first counts.
    """
    conn = connection(session)
    if conn.dialect.name != "sqlite":
        conn.execute(_LOCK_LEDGER[conn.dialect.name], {"b_pid": participant_id, "b_key": year_key})


def add_to_ledger(session: Session, participant_id: str, year_key: str, units: int) -> None:
    conn = connection(session)
    params = {"b_pid": participant_id, "b_key": year_key, "b_units": units}
    conn.execute(_ADD_TO_LEDGER[conn.dialect.name], params)


def search(
    session: Session,
    *,
    visible: ColumnElement[bool],
    participant_id: str | None,
    status: str | None,
    therapy: str | None,
    today: date,
    limit: int,
    offset: int,
) -> tuple[list[Record], int]:
    """Return one page of matching pre-certifications, newest first, and the total."""
    conditions: list[ColumnElement[bool]] = [visible]
    if participant_id:
        conditions.append(PRECERTS.c.participant_id == participant_id)
    if therapy:
        conditions.append(PRECERTS.c.therapy == therapy)
    if status:
        conditions.append(status_condition(status, today))
    where = and_(*conditions)
    conn = connection(session)
    total = conn.execute(select(func.count()).select_from(PRECERTS).where(where)).scalar()
    rows = conn.execute(
        select(PRECERTS)
        .where(where)
        .order_by(PRECERTS.c.created_at.desc(), PRECERTS.c.id)
        .limit(limit)
        .offset(offset)
    ).mappings()
    return [dict(r) for r in rows], int(total or 0)


def status_condition(status: str, today: date) -> ColumnElement[bool]:
    """Match the status a reader sees: an open request past its expiry reads as expired."""
    awaiting = Status.AWAITING_PROVIDER.value
    if status == Status.EXPIRED.value:
        return or_(
            PRECERTS.c.status == status,
            and_(PRECERTS.c.status == awaiting, PRECERTS.c.expires_on < today),
        )
    if status == awaiting:
        return and_(PRECERTS.c.status == awaiting, PRECERTS.c.expires_on >= today)
    return PRECERTS.c.status == status


def add_event(
    session: Session,
    *,
    precert: Record,
    action: str,
    from_status: str | None,
    at: datetime,
    actor_user_id: int | None,
    actor_role: str,
    channel: str,
    inputs: dict[str, object],
    reasons: list[dict[str, str]],
    history: list[Record],
    note: str | None = None,
) -> None:
    """Append a transition to the stored history and to `history`, the events already read."""
    event = {
        "precert_id": precert["id"],
        "seq": len(history) + 1,
        "action": action,
        "from_status": from_status,
        "to_status": precert["status"],
        "at": at,
        "actor_user_id": actor_user_id,
        "actor_role": actor_role,
        "channel": channel,
        "inputs": inputs,
        "reasons": reasons,
        "policy_version": precert["policy_version"],
        "note": note,
    }
    connection(session).execute(EVENTS.insert(), event)
    history.append(event)


_PENDED = (
    select(PRECERTS)
    .where(PRECERTS.c.status == Status.PENDED.value)
    .order_by(PRECERTS.c.updated_at, PRECERTS.c.id)
    .limit(bindparam("limit"))
)


def pended(session: Session, *, limit: int) -> list[Record]:
    """Return the requests waiting for staff review, the longest waiting first."""
    return [dict(r) for r in connection(session).execute(_PENDED, {"limit": limit}).mappings()]
