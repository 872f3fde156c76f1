"""Denials come first: every denial at once; a duplicate pends only an otherwise approved one."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from precert.rules.decision import Status
from tests.rules.factories import (
    START,
    complete,
    held,
    participant,
    performer,
    provider,
    refer,
)

NOT_ELIGIBLE_AND_UNDER_AGE = participant(birth_date=date(2006, 1, 1), eligibility=())


def test_denied_referral_lists_every_reason_that_applies() -> None:
    decision = refer(
        who=NOT_ELIGIBLE_AND_UNDER_AGE,
        prescriber=provider("nurse_practitioner", number=1),
        diagnoses=("Z00.00",),
    )

    assert decision.status is Status.DENIED
    assert sorted(decision.reason_codes) == [
        "DIAGNOSIS_NOT_APPROVED",
        "PARTICIPANT_NOT_ELIGIBLE",
        "PARTICIPANT_UNDER_MINIMUM_AGE",
        "PRESCRIBER_TYPE_NOT_ALLOWED",
    ]


def test_unenrolled_prescriber_is_not_also_judged_on_type() -> None:
    decision = refer(
        prescriber=provider("chiropractor", number=1, enrollment=((date(2027, 1, 1), None),))
    )

    assert decision.reason_codes == ("PRESCRIBER_NOT_ENROLLED",)


def test_denied_completion_lists_every_reason_that_applies_and_no_duplicate() -> None:
    # The same-therapy authorization both overlaps (a duplicate) and uses up the year.
    overlapping = held("physical_therapy", date(2026, 1, 5), 120)

    decision = complete(
        who=NOT_ELIGIBLE_AND_UNDER_AGE,
        by=None,
        diagnoses=("Z00.00",),
        procedures=("97110", "98940"),
        holding=[overlapping],
    )

    assert decision.status is Status.DENIED
    assert sorted(decision.reason_codes) == [
        "ANNUAL_LIMIT_REACHED",
        "DIAGNOSIS_NOT_APPROVED",
        "PARTICIPANT_NOT_ELIGIBLE",
        "PARTICIPANT_UNDER_MINIMUM_AGE",
        "PROCEDURE_NOT_COVERED",
        "PROVIDER_NOT_ENROLLED",
    ]
    assert decision.approved_units == 0
    assert decision.procedure_codes == ()


def test_type_mismatch_and_no_covered_code_are_both_reported() -> None:
    decision = complete(therapy="acupuncture", by=provider("chiropractor"), procedures=("98940",))

    assert decision.status is Status.DENIED
    assert decision.reason_codes == ("PROVIDER_TYPE_MISMATCH", "PROCEDURE_NOT_COVERED")


def test_a_denial_drops_the_units_reduced_reason() -> None:
    decision = complete(
        diagnoses=("Z00.00",), units=40, holding=[held("chiropractic", date(2026, 1, 5), 100)]
    )

    assert decision.status is Status.DENIED
    assert decision.reason_codes == ("DIAGNOSIS_NOT_APPROVED",)


DUPLICATE = held("physical_therapy", date(2025, 6, 1), 10)


@pytest.mark.parametrize(
    ("changes", "denial"),
    [
        pytest.param({"who": participant(eligibility=())}, "PARTICIPANT_NOT_ELIGIBLE", id="elig"),
        pytest.param(
            {"who": participant(birth_date=date(2006, 1, 1))},
            "PARTICIPANT_UNDER_MINIMUM_AGE",
            id="age",
        ),
        pytest.param({"by": None}, "PROVIDER_NOT_ENROLLED", id="provider"),
        pytest.param({"by": provider("acupuncturist")}, "PROVIDER_TYPE_MISMATCH", id="type"),
        pytest.param({"diagnoses": ("Z00.00",)}, "DIAGNOSIS_NOT_APPROVED", id="diagnosis"),
        pytest.param({"procedures": ("97810",)}, "PROCEDURE_NOT_COVERED", id="procedures"),
    ],
)
def test_duplicate_of_a_denied_request_is_denied_without_duplicate_reason(
    changes: dict[str, Any], denial: str
) -> None:
    decision = complete(holding=[DUPLICATE], **changes)

    assert decision.status is Status.DENIED
    assert decision.reason_codes == (denial,)


def test_duplicate_of_a_reduced_request_is_pended_with_both_reasons() -> None:
    other_therapy = held("chiropractic", date(2026, 1, 5), 100)

    decision = complete(units=40, holding=[DUPLICATE, other_therapy])

    assert decision.status is Status.PENDED
    assert decision.reason_codes == ("UNITS_REDUCED_TO_LIMIT", "DUPLICATE_AUTHORIZATION")
    assert decision.approved_units is None


def test_each_overlapping_authorization_is_named() -> None:
    first = held("physical_therapy", date(2025, 6, 1), 10)
    second = held("physical_therapy", date(2026, 6, 1), 10)

    decision = complete(holding=[first, second])

    assert decision.status is Status.PENDED
    assert decision.reason_codes == ("DUPLICATE_AUTHORIZATION", "DUPLICATE_AUTHORIZATION")


@pytest.mark.parametrize(
    ("other_start", "pended"),
    [
        # This period runs 2026-03-02 to 2027-03-01.
        # Another period starting on 2025-03-02 runs to 2026-03-01.
        pytest.param(date(2025, 3, 2), False, id="other-ends-day-before-this-starts"),
        pytest.param(date(2025, 3, 3), True, id="other-ends-the-day-this-starts"),
        pytest.param(date(2027, 3, 1), True, id="other-starts-the-day-this-ends"),
        pytest.param(date(2027, 3, 2), False, id="other-starts-day-after-this-ends"),
    ],
)
def test_duplicate_means_an_overlapping_period_of_the_same_therapy(
    other_start: date, pended: bool
) -> None:
    other = held("physical_therapy", other_start, 10)

    decision = complete(start=START, holding=[other])

    assert (decision.status is Status.PENDED) is pended
    assert ("DUPLICATE_AUTHORIZATION" in decision.reason_codes) is pended


def test_performer_of_another_therapy_is_a_type_mismatch_not_a_duplicate() -> None:
    decision = complete(
        therapy="chiropractic",
        by=performer("physical_therapy"),
        holding=[held("chiropractic", date(2025, 6, 1), 10)],
    )

    assert decision.reason_codes == ("PROVIDER_TYPE_MISMATCH",)
