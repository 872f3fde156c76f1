"""Participant look-ups: who they are and how many units they have left."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from precert.claims import repository as claims
from precert.common.context import Context
from precert.common.fields import MAX_YEAR, MIN_YEAR
from precert.errors import FieldProblem, not_found, validation_error
from precert.participants import repository
from precert.policy.models import BenefitYearKind
from precert.precerts import repository as precerts
from precert.rules.codes import PARTICIPANT_ID_PATTERN
from precert.rules.dates import add_months, age_on, benefit_year_for_label, birthday
from precert.rules.facts import Span
from precert.rules.ledger import units_charged

_YEAR = re.compile(r"[0-9]{4}")


def units(ctx: Context, participant_id: str, *, year: str | None) -> dict[str, Any]:
    """Return the units authorized and remaining in a benefit year (the current one by default)."""
    _check_id(participant_id)
    on = ctx.today
    label: int | None = None
    if year is not None:
        if not _YEAR.fullmatch(year) or not MIN_YEAR <= int(year) <= MAX_YEAR:
            raise validation_error([FieldProblem("year", "must be a four-digit year, e.g. 2026")])
        label = int(year)
        on = date(label, 12, 31)
    if not repository.exists(ctx.session, participant_id):
        raise not_found(f"Participant {participant_id}")
    policy = ctx.nearest_policy(on)
    kind = policy.benefit_year
    held = precerts.authorizations(
        ctx.session, participant_id, first=add_months(on, -25), last=add_months(on, 13)
    )
    if label is not None and kind is not BenefitYearKind.ROLLING_12_MONTHS:
        first, last = benefit_year_for_label(kind, label)
    else:
        # The year a charge made on `on` would count against (for a rolling year, the fullest).
        _, (first, last) = units_charged(policy, held, on)
    in_year = [a for a in held if first <= a.start_date <= last]
    charged = sum(a.units for a in in_year)
    by_therapy = {t.key: 0 for t in policy.therapies}
    for a in in_year:
        by_therapy[a.therapy] = by_therapy.get(a.therapy, 0) + a.units
    used_by_therapy = {t.key: 0 for t in policy.therapies}
    used_by_therapy |= claims.used_by_therapy(ctx.session, participant_id, first, last)
    return {
        "participant_id": participant_id,
        "benefit_year": {"start": first, "end": last, "kind": kind.value},
        "used": sum(used_by_therapy.values()),
        "used_by_therapy": used_by_therapy,
        "limit": policy.annual_unit_limit,
        "authorized": charged,
        "remaining": max(policy.annual_unit_limit - charged, 0),
        "by_therapy": by_therapy,
        "minutes_per_unit": policy.minutes_per_unit,
    }


def profile(ctx: Context, participant_id: str) -> dict[str, Any]:
    """Return who the participant is, their age and eligibility today, for a request form."""
    _check_id(participant_id)
    participant = repository.get(ctx.session, participant_id)
    if participant is None:
        raise not_found(f"Participant {participant_id}")
    policy = ctx.current_policy()
    eligibility = tuple(Span(s.start_date, s.end_date) for s in participant.eligibility)
    return {
        "participant_id": participant.participant_id,
        "first_name": participant.first_name,
        "last_name": participant.last_name,
        "birth_date": participant.birth_date,
        "age": age_on(participant.birth_date, ctx.today),
        "turns_minimum_age_on": birthday(participant.birth_date, policy.minimum_age),
        "eligible_today": any(span.covers(ctx.today) for span in eligibility),
        "eligibility": [{"start": s.start, "end": s.end} for s in eligibility],
    }


BAD_ID = "must be an 8-digit MO HealthNet participant ID"


def _check_id(participant_id: str) -> None:
    if not PARTICIPANT_ID_PATTERN.fullmatch(participant_id):
        raise validation_error([FieldProblem("participant_id", BAD_ID)])


def id_problem(ctx: Context, participant_id: str) -> str | None:
    """Return what is wrong with a participant ID typed into a form, or None if it is known."""
    if not PARTICIPANT_ID_PATTERN.fullmatch(participant_id):
        return BAD_ID
    if not repository.exists(ctx.session, participant_id):
        return f"no MO HealthNet participant has ID {participant_id}"
    return None
