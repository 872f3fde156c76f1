"""Queries of FHIR subscriptions and their deliveries."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session, aliased

from precert.db import connection
from precert.models.interop import Delivery, Subscription

OFF = "off"


def add(session: Session, subscription: Subscription) -> None:
    session.add(subscription)
    session.flush()


def get(session: Session, subscription_id: str) -> Subscription | None:
    return session.get(Subscription, subscription_id)


def of_user(session: Session, user_id: int) -> list[Subscription]:
    """Return a user's subscriptions that are not off, oldest first."""
    query = (
        select(Subscription)
        .where(Subscription.user_id == user_id, Subscription.status != OFF)
        .order_by(Subscription.created_at, Subscription.id)
    )
    return list(session.execute(query).scalars())


def listening(session: Session, npis: Collection[str]) -> list[Subscription]:
    """Return the subscriptions to any of `npis` that are not off, locked to count an event.

    The lock keeps event numbers in commit order: a second decision for the same subscriber
    waits here until the first one commits.
    """
    # Most decisions have no subscriber: a plain look-up first, the locked ORM read only then.
    params = {"npis": list(npis)}
    if connection(session).execute(_ANY_LISTENING, params).first() is None:
        return []
    return list(session.execute(_LISTENING, params).scalars())


_LISTENING_WHERE = (
    Subscription.npi.in_(bindparam("npis", expanding=True)),
    Subscription.status != OFF,
)
_ANY_LISTENING = select(Subscription.id).where(*_LISTENING_WHERE).limit(1)
_LISTENING = (
    select(Subscription).where(*_LISTENING_WHERE).order_by(Subscription.id).with_for_update()
)


def add_delivery(session: Session, delivery: Delivery) -> None:
    session.add(delivery)
    session.flush()


def deliveries_of(session: Session, subscription_id: str) -> list[Delivery]:
    query = (
        select(Delivery)
        .where(Delivery.subscription_id == subscription_id)
        .order_by(Delivery.event_number)
    )
    return list(session.execute(query).scalars())


@dataclass(frozen=True, slots=True)
class Due:
    """The oldest undelivered notification of one subscription, due now."""

    delivery_id: int
    subscription_id: str
    precert_id: str
    event_number: int
    attempts: int
    payload: dict[str, Any]
    endpoint: str
    headers: list[str]


def due_heads(
    session: Session, *, now: datetime, limit: int, skip: Collection[str] = ()
) -> list[Due]:
    """Return, per subscription, its lowest-numbered undelivered notification if it is due.

    A subscription whose oldest notification is waiting out its back-off (or is being sent)
    has nothing due: later events never overtake an earlier one.
    """
    older = aliased(Delivery)
    first_open = (
        select(func.min(older.event_number))
        .where(older.subscription_id == Delivery.subscription_id, older.delivered_at.is_(None))
        .scalar_subquery()
    )
    query = (
        select(
            Delivery.id,
            Delivery.subscription_id,
            Delivery.precert_id,
            Delivery.event_number,
            Delivery.attempts,
            Delivery.payload,
            Subscription.endpoint,
            Subscription.headers,
        )
        .join(Subscription, Subscription.id == Delivery.subscription_id)
        .where(
            Delivery.delivered_at.is_(None),
            Delivery.next_attempt_at <= now,
            Delivery.event_number == first_open,
            Subscription.status != OFF,
        )
        .order_by(Delivery.next_attempt_at, Delivery.id)
        .limit(limit)
    )
    if skip:
        query = query.where(Delivery.subscription_id.not_in(list(skip)))
    return [Due(*row) for row in session.execute(query)]


def claim(session: Session, delivery_id: int, *, now: datetime, until: datetime) -> bool:
    """Take a due delivery for one attempt (until `until`); False if another worker has it."""
    result = session.execute(
        update(Delivery)
        .where(
            Delivery.id == delivery_id,
            Delivery.delivered_at.is_(None),
            Delivery.next_attempt_at <= now,
        )
        .values(next_attempt_at=until)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0) == 1)


def record_delivered(session: Session, due: Due, *, at: datetime) -> None:
    session.execute(
        update(Delivery)
        .where(Delivery.id == due.delivery_id)
        .values(attempts=Delivery.attempts + 1, delivered_at=at, last_error=None)
        .execution_options(synchronize_session=False)
    )
    set_status(session, due.subscription_id, "active")


def record_failed(session: Session, due: Due, *, error: str, retry_at: datetime) -> None:
    session.execute(
        update(Delivery)
        .where(Delivery.id == due.delivery_id)
        .values(attempts=Delivery.attempts + 1, last_error=error, next_attempt_at=retry_at)
        .execution_options(synchronize_session=False)
    )
    set_status(session, due.subscription_id, "error")


def set_status(session: Session, subscription_id: str, status: str) -> None:
    """Set a subscription's status unless it was turned off meanwhile."""
    session.execute(
        update(Subscription)
        .where(Subscription.id == subscription_id, Subscription.status != OFF)
        .values(status=status)
        .execution_options(synchronize_session=False)
    )
