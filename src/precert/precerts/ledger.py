"""Gather the units a participant holds, under the ledger lock for the year being charged."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from precert.policy.models import Policy
from precert.precerts import repository
from precert.rules.dates import add_months, ledger_key
from precert.rules.facts import Authorization


def lock_and_gather(
    session: Session, *, participant_id: str, policy: Policy, on: date
) -> tuple[str, list[Authorization]]:
    """Lock the ledger row a charge on `on` goes to; return its key and the units held nearby.

    Every authorization that can count against `on`'s benefit year or overlap a period starting
    on `on` starts within 13 months either side of it.
    """
    key = ledger_key(policy.benefit_year, on)
    repository.lock_ledger(session, participant_id, key)
    held = repository.authorizations(
        session, participant_id, first=add_months(on, -13), last=add_months(on, 13)
    )
    return key, held
