"""Date arithmetic the policy speaks in: anniversaries, approval periods, benefit years."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from precert.policy.models import BenefitYearKind


def add_months(start: date, months: int) -> date:
    """Return the same day `months` later; a day the month lacks rolls to the 1st after.

    So 29 February plus 12 months is 1 March, and the period it starts ends on 28 February.
    """
    index = start.year * 12 + (start.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    if start.day <= 28 or start.day <= calendar.monthrange(year, month)[1]:
        return date(year, month, start.day)
    return date(year, month, calendar.monthrange(year, month)[1]) + timedelta(days=1)


def period_end(start: date, months: int) -> date:
    """Return the last day of a period of `months` months starting on `start`."""
    return add_months(start, months) - timedelta(days=1)


def birthday(birth_date: date, age: int) -> date:
    """Return the date someone born on `birth_date` turns `age` (29 Feb -> 1 Mar)."""
    return add_months(birth_date, 12 * age)


def age_on(birth_date: date, on: date) -> int:
    """Return someone's age in whole years on `on`, by the same anniversaries as `birthday`."""
    age = on.year - birth_date.year
    return age - 1 if birthday(birth_date, age) > on else age


def benefit_year(kind: BenefitYearKind, on: date) -> tuple[date, date]:
    """Return the first and last day of the benefit year that contains `on`.

    For `rolling_12_months` this is the 12 months ending on `on`.
    """
    if kind is BenefitYearKind.CALENDAR:
        return date(on.year, 1, 1), date(on.year, 12, 31)
    if kind is BenefitYearKind.STATE_FISCAL:
        first_year = on.year if on.month >= 7 else on.year - 1
        return date(first_year, 7, 1), date(first_year + 1, 6, 30)
    return add_months(on, -12) + timedelta(days=1), on


def benefit_year_for_label(kind: BenefitYearKind, year: int) -> tuple[date, date]:
    """Return the benefit year named by `year`: calendar `year`, or state fiscal year `year`.

    Missouri's fiscal year 2027 runs 1 July 2026 to 30 June 2027.
    """
    if kind is BenefitYearKind.STATE_FISCAL:
        return date(year - 1, 7, 1), date(year, 6, 30)
    return date(year, 1, 1), date(year, 12, 31)


def ledger_key(kind: BenefitYearKind, on: date) -> str:
    """Return the key of the ledger row that serialises charges to the year holding `on`."""
    if kind is BenefitYearKind.ROLLING_12_MONTHS:
        # Any 12-month window can span two calendar years: one lock row per participant.
        return "rolling"
    start, _ = benefit_year(kind, on)
    return f"{kind.value}:{start.isoformat()}"
