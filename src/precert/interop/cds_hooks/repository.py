"""Read-only queries CRD needs: the pre-certifications a participant holds, without locking.

CRD only reads: it never charges the ledger, so it takes no ledger lock. A decision made
at the same moment may use units a card has just counted as left; the decision is the one
that counts.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from precert.db import connection
from precert.interop.cds_hooks.assessment import Held
from precert.precerts.repository import HOLDING, PRECERTS
from precert.rules.dates import add_months
from precert.rules.facts import Authorization

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


def held(session: Session, participant_id: str, *, earliest: date, latest: date) -> list[Held]:
    """Return the approved pre-certifications that can count against, or cover, any day from
    `earliest` to `latest` (they start within 13 months either side, as `lock_and_gather`)."""
    params = {
        "participant_id": participant_id,
        "first": add_months(earliest, -13),
        "last": add_months(latest, 13),
    }
    return [
        Held(pid, therapy, start, end, approved or 0, used or 0)
        for pid, therapy, start, end, approved, used in connection(session).execute(_HELD, params)
        if end is not None
    ]


def authorizations(found: list[Held]) -> list[Authorization]:
    """Return `found` as the ledger's authorizations (the units each holds)."""
    return [Authorization(h.precert_id, h.therapy, h.start, h.end, h.approved_units) for h in found]
