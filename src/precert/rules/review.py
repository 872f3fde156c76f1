"""Staff review of a pended request: the limit is checked again at approval."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from precert.policy.models import Policy
from precert.rules.decision import Decision, Status
from precert.rules.facts import Authorization
from precert.rules.ledger import AUTHORIZING, limit_finding, units_charged
from precert.rules.reasons import Finding, Reason


def decide_review(
    *,
    approve: bool,
    requested_units: int,
    reviewer_units: int | None,
    procedure_codes: tuple[str, ...],
    start_date: date,
    end_date: date,
    authorizations: Sequence[Authorization],
    policy: Policy,
) -> Decision:
    """Return the reviewer's decision, reduced to what the annual limit still allows."""
    if not approve:
        finding = Finding.of(Reason.DENIED_ON_REVIEW)
        return Decision(Status.DENIED, (finding,), 0, (), start_date, end_date)
    charged, year = units_charged(policy, authorizations, start_date)
    remaining = max(policy.annual_unit_limit - charged, 0)
    findings = []
    units = requested_units
    if reviewer_units is not None and reviewer_units < units:
        findings.append(
            Finding.of(Reason.UNITS_REDUCED_ON_REVIEW, approved=reviewer_units, requested=units)
        )
        units = reviewer_units
    limit = limit_finding(policy, year, remaining, units, AUTHORIZING)
    if limit is not None and remaining == 0:
        return Decision(Status.DENIED, (limit,), 0, (), start_date, end_date)
    if limit is not None:
        findings.append(limit)
        units = remaining
    status = Status.PARTIALLY_APPROVED if units < requested_units else Status.APPROVED
    return Decision(status, tuple(findings), units, procedure_codes, start_date, end_date)
