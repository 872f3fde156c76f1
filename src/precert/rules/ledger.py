"""Unit arithmetic of the annual limit, shared by the three therapies."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from precert.policy.models import BenefitYearKind, Policy
from precert.rules.dates import add_months, benefit_year, period_end
from precert.rules.facts import Authorization
from precert.rules.reasons import Finding, Reason


def units_charged(
    policy: Policy, authorizations: Iterable[Authorization], on: date
) -> tuple[int, tuple[date, date]]:
    """Return the units already charged against the year a charge on `on` falls in, and that year.

    Units are charged to the benefit year holding an authorization's start date. For a rolling
    year the figure and the year are those of the fullest 12-month window that contains `on`, so
    no window ever holds more than the limit.
    """
    kind = policy.benefit_year
    if kind is not BenefitYearKind.ROLLING_12_MONTHS:
        first, last = benefit_year(kind, on)
        return sum(a.units for a in authorizations if first <= a.start_date <= last), (first, last)
    return _fullest_window(list(authorizations), on)


def _earliest_window_start(on: date) -> date:
    """Return the first day of the earliest 12-month period that still reaches `on`."""
    start = add_months(on, -12) + timedelta(days=1)
    # Around 29 February the month arithmetic is not reversible: step back while it still fits.
    while period_end(start - timedelta(days=1), 12) >= on:
        start -= timedelta(days=1)
    return start


def _fullest_window(authorizations: list[Authorization], on: date) -> tuple[int, tuple[date, date]]:
    earliest = _earliest_window_start(on)
    # The windows holding `on` start in [earliest, on]; the fullest one starts either there or
    # where some charge just comes into reach at its end.
    starts = {earliest}
    for a in authorizations:
        begin = _earliest_window_start(a.start_date)
        if earliest <= begin <= on:
            starts.add(begin)
    best = (-1, (earliest, period_end(earliest, 12)))
    for begin in sorted(starts):
        end = period_end(begin, 12)
        charged = sum(a.units for a in authorizations if begin <= a.start_date <= end)
        if charged > best[0]:
            best = (charged, (begin, end))
    return best


def units_remaining(policy: Policy, authorizations: Iterable[Authorization], on: date) -> int:
    """Return the units left under the annual limit for a charge on `on`."""
    charged, _ = units_charged(policy, authorizations, on)
    return max(policy.annual_unit_limit - charged, 0)


# How the limit's messages name the units: authorizing them, or covering them on a claim.
AUTHORIZING = {"counted": "authorized", "asked": "requested", "granted": "approved"}
COVERING = {"counted": "used", "asked": "billed", "granted": "covered"}


def limit_finding(
    policy: Policy, year: tuple[date, date], remaining: int, wanted: int, words: dict[str, str]
) -> Finding | None:
    """Return ANNUAL_LIMIT_REACHED when no units remain in `year`, UNITS_REDUCED_TO_LIMIT when
    fewer than `wanted` remain, else None."""
    values = {"year_start": year[0], "year_end": year[1], "limit": policy.annual_unit_limit}
    if remaining == 0:
        return Finding.of(Reason.ANNUAL_LIMIT_REACHED, counted=words["counted"], **values)
    if remaining < wanted:
        return Finding.of(
            Reason.UNITS_REDUCED_TO_LIMIT,
            requested=wanted,
            remaining=remaining,
            asked=words["asked"],
            granted=words["granted"],
            **values,
        )
    return None
