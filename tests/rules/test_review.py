"""Staff review of a pended request: approve, approve fewer units, deny; the limit is re-checked."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import pytest

from precert.policy.models import BenefitYearKind, Policy
from precert.rules.decision import Decision, Status
from precert.rules.facts import Authorization
from precert.rules.review import decide_review
from tests.rules.factories import START, held, message, policy_on

END = date(2027, 3, 1)
CODES = ("97110", "97530")


def review(
    *,
    approve: bool = True,
    requested: int = 40,
    reviewer_units: int | None = None,
    holding: Sequence[Authorization] = (),
    start: date = START,
    policy: Policy | None = None,
) -> Decision:
    return decide_review(
        approve=approve,
        requested_units=requested,
        reviewer_units=reviewer_units,
        procedure_codes=CODES,
        start_date=start,
        end_date=END,
        authorizations=holding,
        policy=policy or policy_on(start),
    )


@pytest.mark.parametrize("reviewer_units", [None, 40])
def test_review_approves_the_units_requested(reviewer_units: int | None) -> None:
    decision = review(requested=40, reviewer_units=reviewer_units)

    assert decision.status is Status.APPROVED
    assert decision.approved_units == 40
    assert decision.findings == ()
    assert decision.procedure_codes == CODES
    assert (decision.start_date, decision.end_date) == (START, END)


def test_review_approving_fewer_units_is_partially_approved() -> None:
    decision = review(requested=40, reviewer_units=30)

    assert decision.status is Status.PARTIALLY_APPROVED
    assert decision.approved_units == 30
    assert decision.reason_codes == ("UNITS_REDUCED_ON_REVIEW",)
    assert "approved 30 of the 40 units" in message(decision, "UNITS_REDUCED_ON_REVIEW")
    assert decision.procedure_codes == CODES


def test_review_approval_is_reduced_to_units_remaining() -> None:
    holding = [held("chiropractic", date(2026, 1, 5), 100)]

    decision = review(requested=40, holding=holding)

    assert decision.status is Status.PARTIALLY_APPROVED
    assert decision.approved_units == 20
    assert decision.reason_codes == ("UNITS_REDUCED_TO_LIMIT",)
    assert "only 20 of the 120-unit annual limit" in message(decision, "UNITS_REDUCED_TO_LIMIT")


@pytest.mark.parametrize(
    ("reviewer_units", "approved", "codes"),
    [
        pytest.param(30, 20, ("UNITS_REDUCED_ON_REVIEW", "UNITS_REDUCED_TO_LIMIT"), id="both"),
        pytest.param(20, 20, ("UNITS_REDUCED_ON_REVIEW",), id="reviewer-takes-all-left"),
        pytest.param(10, 10, ("UNITS_REDUCED_ON_REVIEW",), id="reviewer-below-limit"),
    ],
)
def test_review_approves_the_lesser_of_reviewer_units_and_units_remaining(
    reviewer_units: int, approved: int, codes: tuple[str, ...]
) -> None:
    holding = [held("acupuncture", date(2026, 2, 1), 100)]

    decision = review(requested=40, reviewer_units=reviewer_units, holding=holding)

    assert decision.status is Status.PARTIALLY_APPROVED
    assert decision.approved_units == approved
    assert decision.reason_codes == codes


def test_review_approval_is_denied_when_the_year_filled_while_pended() -> None:
    holding = [
        held("chiropractic", date(2026, 1, 5), 70),
        held("acupuncture", date(2026, 2, 1), 50),
    ]

    decision = review(requested=40, reviewer_units=10, holding=holding)

    assert decision.status is Status.DENIED
    assert decision.approved_units == 0
    assert decision.procedure_codes == ()
    assert decision.reason_codes == ("ANNUAL_LIMIT_REACHED",)
    assert "2026-01-01 to 2026-12-31" in message(decision, "ANNUAL_LIMIT_REACHED")


def test_review_counts_only_the_benefit_year_of_the_start_date() -> None:
    holding = [held("chiropractic", date(2025, 12, 31), 120)]

    assert review(requested=40, holding=holding).approved_units == 40
    fiscal = policy_on(benefit_year=BenefitYearKind.STATE_FISCAL)
    assert review(requested=40, holding=holding, policy=fiscal).status is Status.DENIED


@pytest.mark.parametrize("holding", [[], [held("chiropractic", date(2026, 1, 5), 120)]])
def test_review_denial_is_denied_on_review_with_no_units(holding: list[Authorization]) -> None:
    decision = review(approve=False, holding=holding)

    assert decision.status is Status.DENIED
    assert decision.approved_units == 0
    assert decision.procedure_codes == ()
    assert decision.reason_codes == ("DENIED_ON_REVIEW",)
    assert message(decision, "DENIED_ON_REVIEW") == (
        "Denied by the Pre-Certification Unit on review."
    )
