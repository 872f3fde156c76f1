"""Queries of pre-certifications, their history and the unit ledger."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from precert.models import Precert, PrecertEvent, UnitLedger
from precert.rules.decision import Status
from precert.rules.facts import Authorization

HOLDING = (Status.APPROVED.value, Status.PARTIALLY_APPROVED.value)


def get(session: Session, precert_id: str, *, for_update: bool = False) -> Precert | None:
    """Return the pre-certification, locking its row when asked (PostgreSQL)."""
    query = select(Precert).where(Precert.id == precert_id)
    if for_update:
        query = query.with_for_update()
    return session.scalars(query).one_or_none()


def history(session: Session, precert_ids: Sequence[str]) -> dict[str, list[PrecertEvent]]:
    """Return the transitions of each pre-certification, oldest first."""
    found: dict[str, list[PrecertEvent]] = {pid: [] for pid in precert_ids}
    if not precert_ids:
        return found
    query = (
        select(PrecertEvent)
        .where(PrecertEvent.precert_id.in_(precert_ids))
        .order_by(PrecertEvent.precert_id, PrecertEvent.seq)
    )
    for event in session.scalars(query):
        found[event.precert_id].append(event)
    return found


def authorizations(
    session: Session, participant_id: str, *, first: date, last: date
) -> list[Authorization]:
    """Return the units the participant holds from pre-certifications starting in [first, last]."""
    query = select(
        Precert.id, Precert.therapy, Precert.start_date, Precert.end_date, Precert.approved_units
    ).where(
        Precert.participant_id == participant_id,
        Precert.status.in_(HOLDING),
        Precert.start_date >= first,
        Precert.start_date <= last,
    )
    return [
        Authorization(pid, therapy, start, end, units or 0)
        for pid, therapy, start, end, units in session.execute(query)
        if end is not None
    ]


def lock_ledger(session: Session, participant_id: str, year_key: str) -> None:
    """Hold the participant's ledger row for the year until the transaction ends."""
    values = {"participant_id": participant_id, "year_key": year_key, "authorized_units": 0}
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    session.execute(insert(UnitLedger).values(**values).on_conflict_do_nothing())
    session.execute(
        select(UnitLedger.authorized_units)
        .where(UnitLedger.participant_id == participant_id, UnitLedger.year_key == year_key)
        .with_for_update()
    )


def add_to_ledger(session: Session, participant_id: str, year_key: str, units: int) -> None:
    session.execute(
        update(UnitLedger)
        .where(UnitLedger.participant_id == participant_id, UnitLedger.year_key == year_key)
        .values(authorized_units=UnitLedger.authorized_units + units)
    )


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
) -> tuple[list[Precert], int]:
    """Return one page of matching pre-certifications, newest first, and the total."""
    conditions: list[ColumnElement[bool]] = [visible]
    if participant_id:
        conditions.append(Precert.participant_id == participant_id)
    if therapy:
        conditions.append(Precert.therapy == therapy)
    if status:
        conditions.append(status_condition(status, today))
    where = and_(*conditions)
    total = session.scalar(select(func.count()).select_from(Precert).where(where)) or 0
    rows = session.scalars(
        select(Precert)
        .where(where)
        .order_by(Precert.created_at.desc(), Precert.id)
        .limit(limit)
        .offset(offset)
    ).all()
    return list(rows), total


def status_condition(status: str, today: date) -> ColumnElement[bool]:
    """Match the status a reader sees: an open request past its expiry reads as expired."""
    awaiting = Status.AWAITING_PROVIDER.value
    if status == Status.EXPIRED.value:
        return or_(
            Precert.status == status,
            and_(Precert.status == awaiting, Precert.expires_on < today),
        )
    if status == awaiting:
        return and_(Precert.status == awaiting, Precert.expires_on >= today)
    return Precert.status == status


def add_event(
    session: Session,
    *,
    precert: Precert,
    action: str,
    from_status: str | None,
    at: datetime,
    actor_user_id: int | None,
    actor_role: str,
    channel: str,
    inputs: dict[str, object],
    reasons: list[dict[str, str]],
    history: list[PrecertEvent],
    note: str | None = None,
) -> PrecertEvent:
    """Append a transition to the stored history and to `history`, the events already read."""
    event = PrecertEvent(
        precert_id=precert.id,
        seq=len(history) + 1,
        action=action,
        from_status=from_status,
        to_status=precert.status,
        at=at,
        actor_user_id=actor_user_id,
        actor_role=actor_role,
        channel=channel,
        inputs=inputs,
        reasons=reasons,
        policy_version=precert.policy_version,
        note=note,
    )
    session.add(event)
    history.append(event)
    return event
