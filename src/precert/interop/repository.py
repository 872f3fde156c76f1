"""Queries of the messages that reached pre-certifications through PAS or X12 278."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from precert.models.interop import InteropMessage


def add(
    session: Session,
    *,
    precert_id: str,
    standard: str,
    source_system: str,
    source_id: str,
    step: str,
    body: dict[str, Any],
    user_id: int,
    at: datetime,
) -> None:
    session.add(
        InteropMessage(
            precert_id=precert_id,
            standard=standard,
            source_system=source_system[:200],
            source_id=source_id[:100],
            step=step,
            body=body,
            user_id=user_id,
            created_at=at,
        )
    )
    session.flush()


def precert_for_source(session: Session, standard: str, system: str, value: str) -> str | None:
    """Return the pre-certification the sender's request `system|value` reached, if any."""
    query = (
        select(InteropMessage.precert_id)
        .where(
            InteropMessage.standard == standard,
            InteropMessage.source_system == system[:200],
            InteropMessage.source_id == value[:100],
        )
        .order_by(InteropMessage.id.desc())
        .limit(1)
    )
    return session.execute(query).scalar_one_or_none()


def messages_of(session: Session, precert_id: str, standard: str) -> list[InteropMessage]:
    """Return the messages of one standard that reached `precert_id`, oldest first."""
    query = (
        select(InteropMessage)
        .where(InteropMessage.precert_id == precert_id, InteropMessage.standard == standard)
        .order_by(InteropMessage.id)
    )
    return list(session.execute(query).scalars())
