"""Queries of the provider roster."""

from __future__ import annotations

from typing import cast

from sqlalchemy import Table, bindparam, select
from sqlalchemy.orm import Session

from precert.db import connection
from precert.models import EnrollmentSpan, Provider
from precert.rules import facts

_PROVIDERS = cast(Table, Provider.__table__)
_SPANS = cast(Table, EnrollmentSpan.__table__)
_FACTS = (
    select(_PROVIDERS.c.provider_type, _SPANS.c.start_date, _SPANS.c.end_date)
    .select_from(_PROVIDERS.outerjoin(_SPANS, _SPANS.c.npi == _PROVIDERS.c.npi))
    .where(_PROVIDERS.c.npi == bindparam("npi"))
)


def facts_of(session: Session, npi: str) -> facts.Provider | None:
    """Return the provider as the rules see them: type and enrollment spans."""
    rows = connection(session).execute(_FACTS, {"npi": npi}).all()
    if not rows:
        return None
    spans = tuple(facts.Span(start, end) for _, start, end in rows if start is not None)
    return facts.Provider(npi, rows[0][0], spans)
