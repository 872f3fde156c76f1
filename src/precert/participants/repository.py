"""Queries of the participant roster."""

from __future__ import annotations

from typing import cast

from sqlalchemy import Table, bindparam, select
from sqlalchemy.orm import Session

from precert.db import connection
from precert.models import EligibilitySpan, Participant
from precert.rules import facts

_PARTICIPANTS = cast(Table, Participant.__table__)
_SPANS = cast(Table, EligibilitySpan.__table__)
_FACTS = (
    select(_PARTICIPANTS.c.birth_date, _SPANS.c.start_date, _SPANS.c.end_date)
    .select_from(
        _PARTICIPANTS.outerjoin(_SPANS, _SPANS.c.participant_id == _PARTICIPANTS.c.participant_id)
    )
    .where(_PARTICIPANTS.c.participant_id == bindparam("participant_id"))
)
_EXISTS = select(_PARTICIPANTS.c.participant_id).where(
    _PARTICIPANTS.c.participant_id == bindparam("participant_id")
)


def get(session: Session, participant_id: str) -> Participant | None:
    return session.get(Participant, participant_id)


def facts_of(session: Session, participant_id: str) -> facts.Participant | None:
    """Return the participant as the rules see them: birth date and eligibility spans."""
    rows = connection(session).execute(_FACTS, {"participant_id": participant_id}).all()
    if not rows:
        return None
    spans = tuple(facts.Span(start, end) for _, start, end in rows if start is not None)
    return facts.Participant(participant_id, rows[0][0], spans)


def exists(session: Session, participant_id: str) -> bool:
    params = {"participant_id": participant_id}
    return connection(session).execute(_EXISTS, params).first() is not None


def names(session: Session, participant_ids: list[str]) -> dict[str, str]:
    """Return `First Last` by participant ID, for lists of requests."""
    if not participant_ids:
        return {}
    rows = connection(session).execute(
        select(
            _PARTICIPANTS.c.participant_id, _PARTICIPANTS.c.first_name, _PARTICIPANTS.c.last_name
        ).where(_PARTICIPANTS.c.participant_id.in_(participant_ids))
    )
    return {pid: f"{first} {last}" for pid, first, last in rows}
