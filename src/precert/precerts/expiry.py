"""Record the expiry of requests whose wait for step 2 is over."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from precert.db import connection
from precert.precerts import repository
from precert.precerts.repository import PRECERTS
from precert.rules.decision import Status
from precert.rules.reasons import Finding, Reason


def expire_overdue(session: Session, *, today: date) -> int:
    """Move every overdue `awaiting_provider` request to `expired`; return how many."""
    awaiting = Status.AWAITING_PROVIDER.value
    rows = connection(session).execute(
        select(PRECERTS)
        .where(PRECERTS.c.status == awaiting, PRECERTS.c.expires_on < today)
        .with_for_update()
    )
    overdue = [dict(r) for r in rows.mappings()]
    now = datetime.now(UTC)
    histories = repository.history(session, [p["id"] for p in overdue])
    for precert in overdue:
        days = (precert["expires_on"] - precert["created_on"]).days
        finding = Finding.of(Reason.STEP2_EXPIRED, expires_on=precert["expires_on"], days=days)
        changes = {
            "status": Status.EXPIRED.value,
            "reasons": [*precert["reasons"], finding.as_dict()],
            "updated_at": now,
        }
        repository.save(session, precert, changes)
        repository.add_event(
            session,
            precert=precert,
            action="expiry",
            from_status=awaiting,
            at=now,
            actor_user_id=None,
            actor_role="system",
            channel="system",
            inputs={"today": today.isoformat()},
            reasons=[finding.as_dict()],
            history=histories[precert["id"]],
        )
    return len(overdue)
