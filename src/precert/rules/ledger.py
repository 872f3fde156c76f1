"""Unit arithmetic of the annual limit, shared by the three therapies."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from precert.policy.models import BenefitYearKind, Policy
from precert.rules.dates import add_months, benefit_year
from precert.rules.facts import Authorization


def units_charged(
    policy: Policy, authorizations: Iterable[Authorization], on: date
) -> tuple[int, tuple[date, date]]:
    """Return the units already charged against the year a charge on `on` falls in, and that year.

    Units are charged to the benefit year holding an authorization's start date. For a rolling
    year the figure is the fullest 12-month window that contains `on`, so no window ever holds
    more than the limit.
    """
    kind = policy.benefit_year
    year = benefit_year(kind, on)
    if kind is not BenefitYearKind.ROLLING_12_MONTHS:
        first, last = year
        return sum(a.units for a in authorizations if first <= a.start_date <= last), year
    return _fullest_window(list(authorizations), on), year


def _fullest_window(authorizations: list[Authorization], on: date) -> int:
    earliest = add_months(on, -12) + timedelta(days=1)
    starts = {earliest}
    for a in authorizations:
        # The window ending on `a.start_date` begins here; windows that hold `on` start in
        # [earliest, on], and the fullest one begins where some charge just fits at its end.
        begin = add_months(a.start_date, -12) + timedelta(days=1)
        if earliest <= begin <= on:
            starts.add(begin)
    best = 0
    for begin in starts:
        end = add_months(begin, 12) - timedelta(days=1)
        best = max(best, sum(a.units for a in authorizations if begin <= a.start_date <= end))
    return best


def units_remaining(policy: Policy, authorizations: Iterable[Authorization], on: date) -> int:
    """Return the units left under the annual limit for a charge on `on`."""
    charged, _ = units_charged(policy, authorizations, on)
    return max(policy.annual_unit_limit - charged, 0)
