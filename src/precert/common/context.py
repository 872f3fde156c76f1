"""What every use case is given besides its input: the session, the actor, the policy, the clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session

from precert.common.actor import Actor
from precert.errors import FieldProblem
from precert.policy.loader import NoPolicyInEffect, PolicyBook
from precert.policy.models import Policy


@dataclass(frozen=True, slots=True)
class Context:
    session: Session
    actor: Actor
    policies: PolicyBook
    today: date
    now: datetime

    def policy_on(self, on: date, field: str, problems: list[FieldProblem]) -> Policy | None:
        """Return the policy in effect on `on`, or note the problem against `field`."""
        try:
            return self.policies.in_effect(on)
        except NoPolicyInEffect:
            problems.append(
                FieldProblem(field, f"no pre-certification policy is in effect on {on}")
            )
            return None

    def current_policy(self) -> Policy:
        return self.nearest_policy(self.today)

    def nearest_policy(self, on: date) -> Policy:
        """Return the policy in effect on `on`, else the earliest or latest one."""
        return self.policies.nearest(on)
