"""Read-only queries CRD needs: the pre-certifications a participant holds, without locking.

CRD only reads: it never charges the ledger, so it takes no ledger lock. A decision made
at the same moment may use units a card has just counted as left; the decision is the one
that counts.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from precert.precerts import repository as precerts
from precert.rules.dates import add_months
from precert.rules.facts import Holding


def held(session: Session, participant_id: str, *, earliest: date, latest: date) -> list[Holding]:
    """Return the approved pre-certifications that can count against, or cover, any day from
    `earliest` to `latest` (they start within 13 months either side, as `lock_and_gather`)."""
    return precerts.holdings(
        session, participant_id, first=add_months(earliest, -13), last=add_months(latest, 13)
    )
