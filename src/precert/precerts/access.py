"""Who may see and act on which pre-certification."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, false, or_, true

from precert.common.actor import Actor, Role
from precert.errors import forbidden, not_found
from precert.policy.models import Policy
from precert.precerts.repository import PRECERTS, Record
from precert.rules.codes import npi_check_digit_ok
from precert.rules.decision import Status


def require_role(actor: Actor, *roles: Role) -> None:
    if actor.role not in roles:
        names = ", ".join(r.value for r in roles)
        raise forbidden(f"This action is for {names} users; you are signed in as {actor.role}.")


def require_own_npi(actor: Actor, body: Any, field: str) -> None:
    """Refuse a clinician who names a valid NPI other than their own (malformed ones are a 422)."""
    if actor.role not in (Role.PHYSICIAN, Role.PROVIDER) or not isinstance(body, dict):
        return
    value = body.get(field)
    if isinstance(value, str) and npi_check_digit_ok(value.strip()) and value.strip() != actor.npi:
        raise forbidden(f"{field} must be your own NPI ({actor.npi}).")


def therapies_for(policy: Policy, provider_type: str | None) -> list[str]:
    """Return the therapies a performing provider of `provider_type` performs."""
    if provider_type is None:
        return []
    return [t.key for t in policy.therapies if provider_type in t.performing_provider_types]


def can_see(actor: Actor, precert: Record, *, open_therapies: list[str], today: date) -> bool:
    if actor.role is Role.STAFF:
        return True
    if actor.role is Role.PHYSICIAN:
        return bool(precert["prescriber_npi"] == actor.npi)
    if actor.role is Role.PROVIDER:
        if precert["provider_npi"] is not None and precert["provider_npi"] == actor.npi:
            return True
        # A request no provider has taken yet, of a therapy its type performs: while open it
        # may complete it; otherwise it learns why not (expired, denied at step 1, cancelled).
        return precert["provider_npi"] is None and precert["therapy"] in open_therapies
    return False


def visible_condition(
    actor: Actor, *, open_therapies: list[str], today: date, participant_id: str | None
) -> ColumnElement[bool]:
    """Return the SQL condition for what `actor` may list."""
    if actor.role is Role.STAFF:
        return true()
    if actor.role is Role.PHYSICIAN:
        return PRECERTS.c.prescriber_npi == actor.npi
    if actor.role is Role.PROVIDER:
        held = PRECERTS.c.provider_npi == actor.npi
        if participant_id is None or not open_therapies:
            # Open requests are found by participant, never browsed state-wide.
            return held
        # Listed: only what it could complete today. (By ID it may also see that one expired.)
        awaiting = and_(
            PRECERTS.c.status == Status.AWAITING_PROVIDER.value,
            PRECERTS.c.expires_on >= today,
            PRECERTS.c.therapy.in_(open_therapies),
        )
        return or_(held, awaiting)
    return false()


def ensure_visible(
    actor: Actor, precert: Record | None, *, open_therapies: list[str], today: date
) -> Record:
    if precert is None or not can_see(actor, precert, open_therapies=open_therapies, today=today):
        raise not_found("Pre-certification")
    return precert
