"""Queries of the provider roster."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from precert.models import EnrollmentSpan, Provider
from precert.rules import facts


def facts_of(session: Session, npi: str) -> facts.Provider | None:
    """Return the provider as the rules see them: type and enrollment spans."""
    rows = session.execute(
        select(Provider.provider_type, EnrollmentSpan.start_date, EnrollmentSpan.end_date)
        .outerjoin(EnrollmentSpan, EnrollmentSpan.npi == Provider.npi)
        .where(Provider.npi == npi)
    ).all()
    if not rows:
        return None
    spans = tuple(facts.Span(start, end) for _, start, end in rows if start is not None)
    return facts.Provider(npi, rows[0][0], spans)


def provider_type(session: Session, npi: str) -> str | None:
    return session.scalar(select(Provider.provider_type).where(Provider.npi == npi))
