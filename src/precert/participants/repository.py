"""Queries of the participant roster."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from precert.models import EligibilitySpan, Participant
from precert.rules import facts


def get(session: Session, participant_id: str) -> Participant | None:
    return session.get(Participant, participant_id)


def facts_of(session: Session, participant_id: str) -> facts.Participant | None:
    """Return the participant as the rules see them: birth date and eligibility spans."""
    rows = session.execute(
        select(Participant.birth_date, EligibilitySpan.start_date, EligibilitySpan.end_date)
        .outerjoin(EligibilitySpan, EligibilitySpan.participant_id == Participant.participant_id)
        .where(Participant.participant_id == participant_id)
    ).all()
    if not rows:
        return None
    spans = tuple(facts.Span(start, end) for _, start, end in rows if start is not None)
    return facts.Participant(participant_id, rows[0][0], spans)


def exists(session: Session, participant_id: str) -> bool:
    found = session.scalar(
        select(Participant.participant_id).where(Participant.participant_id == participant_id)
    )
    return found is not None
