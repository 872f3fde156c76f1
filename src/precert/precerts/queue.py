"""The Pre-Certification Unit's work queue: pended requests and their decision deadlines."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from precert.common.actor import Role
from precert.common.context import Context
from precert.db import as_utc
from precert.policy.models import Policy
from precert.precerts import access, repository
from precert.precerts.repository import Record


@dataclass(frozen=True, slots=True)
class Waiting:
    precert: Record
    received_at: datetime
    due_at: datetime
    left: timedelta

    @property
    def overdue(self) -> bool:
        return self.left < timedelta(0)


def deadline(policy: Policy, priority: str, received_at: datetime) -> datetime:
    """Return when staff must decide: the policy's hours for the priority (CMS-0057-F)."""
    return received_at + timedelta(hours=policy.decision_hours.for_priority(priority))


def work_queue(ctx: Context, *, limit: int = 500) -> list[Waiting]:
    """Return pended requests, oldest first, with the time left before each decision is due.

    A request is received for review when step 2 sent it to a person (its last update).
    """
    access.require_role(ctx.actor, Role.STAFF)
    waiting = []
    for precert in repository.pended(ctx.session, limit=limit):
        received = as_utc(precert["updated_at"])
        policy = ctx.policies.by_version(precert["policy_version"]) or ctx.current_policy()
        due = deadline(policy, precert["priority"], received)
        waiting.append(Waiting(precert, received, due, due - ctx.now))
    return waiting
