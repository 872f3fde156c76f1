"""Every row of the reason table: when it applies, the outcome, and what its message says."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from precert.rules.decision import Decision, Status
from precert.rules.reasons import Finding, Reason
from tests.rules.factories import (
    PRESCRIBER_NPI,
    PROVIDER_NPI,
    START,
    complete,
    held,
    message,
    participant,
    performer,
    physician,
    provider,
    refer,
)

Row = Callable[[], Decision]

ROWS = [
    # step 1
    pytest.param(
        lambda: refer(who=participant(eligibility=())),
        Status.DENIED,
        ("PARTICIPANT_NOT_ELIGIBLE",),
        id="step1-no-eligibility-span",
    ),
    pytest.param(
        lambda: refer(who=participant(eligibility=((date(2020, 1, 1), date(2025, 12, 31)),))),
        Status.DENIED,
        ("PARTICIPANT_NOT_ELIGIBLE",),
        id="step1-eligibility-ended",
    ),
    pytest.param(
        lambda: refer(who=participant(birth_date=date(2006, 1, 1))),
        Status.DENIED,
        ("PARTICIPANT_UNDER_MINIMUM_AGE",),
        id="step1-under-21",
    ),
    pytest.param(
        lambda: refer(prescriber=None),
        Status.DENIED,
        ("PRESCRIBER_NOT_ENROLLED",),
        id="step1-prescriber-not-on-roster",
    ),
    pytest.param(
        lambda: refer(prescriber=physician(enrollment=((date(2020, 1, 1), date(2025, 12, 31)),))),
        Status.DENIED,
        ("PRESCRIBER_NOT_ENROLLED",),
        id="step1-prescriber-enrollment-ended",
    ),
    pytest.param(
        lambda: refer(prescriber=physician(enrollment=((date(2026, 4, 1), None),))),
        Status.DENIED,
        ("PRESCRIBER_NOT_ENROLLED",),
        id="step1-prescriber-enrolled-later",
    ),
    pytest.param(
        lambda: refer(prescriber=provider("nurse_practitioner", number=1)),
        Status.DENIED,
        ("PRESCRIBER_TYPE_NOT_ALLOWED",),
        id="step1-prescriber-nurse-practitioner",
    ),
    pytest.param(
        lambda: refer(prescriber=provider("physical_therapist", number=1)),
        Status.DENIED,
        ("PRESCRIBER_TYPE_NOT_ALLOWED",),
        id="step1-prescriber-physical-therapist",
    ),
    pytest.param(
        lambda: refer(diagnoses=("Z00.00",)),
        Status.DENIED,
        ("DIAGNOSIS_NOT_APPROVED",),
        id="step1-diagnosis-not-on-list",
    ),
    pytest.param(
        lambda: refer(diagnoses=("Z00.00", "M54.2")),
        Status.AWAITING_PROVIDER,
        (),
        id="step1-one-approved-diagnosis-is-enough",
    ),
    # step 2
    pytest.param(
        lambda: complete(who=participant(eligibility=())),
        Status.DENIED,
        ("PARTICIPANT_NOT_ELIGIBLE",),
        id="step2-no-eligibility-span",
    ),
    pytest.param(
        lambda: complete(who=participant(birth_date=date(2006, 1, 1))),
        Status.DENIED,
        ("PARTICIPANT_UNDER_MINIMUM_AGE",),
        id="step2-under-21",
    ),
    pytest.param(
        lambda: complete(diagnoses=("Z00.00",)),
        Status.DENIED,
        ("DIAGNOSIS_NOT_APPROVED",),
        id="step2-diagnosis-not-on-list",
    ),
    pytest.param(
        lambda: complete(by=None),
        Status.DENIED,
        ("PROVIDER_NOT_ENROLLED",),
        id="step2-provider-not-on-roster",
    ),
    pytest.param(
        lambda: complete(
            by=performer("physical_therapy", enrollment=((date(2020, 1, 1), date(2026, 3, 1)),))
        ),
        Status.DENIED,
        ("PROVIDER_NOT_ENROLLED",),
        id="step2-provider-enrollment-ended",
    ),
    pytest.param(
        lambda: complete(therapy="physical_therapy", by=provider("chiropractor")),
        Status.DENIED,
        ("PROVIDER_TYPE_MISMATCH",),
        id="step2-chiropractor-for-physical-therapy",
    ),
    pytest.param(
        lambda: complete(therapy="acupuncture", by=provider("physician")),
        Status.DENIED,
        ("PROVIDER_TYPE_MISMATCH",),
        id="step2-physician-for-acupuncture",
    ),
    pytest.param(
        lambda: complete(procedures=("97110", "98940")),
        Status.APPROVED,
        ("PROCEDURE_NOT_COVERED",),
        id="step2-one-code-not-covered-others-go-on",
    ),
    pytest.param(
        lambda: complete(procedures=("98940", "97110", "97810")),
        Status.APPROVED,
        ("PROCEDURE_NOT_COVERED", "PROCEDURE_NOT_COVERED"),
        id="step2-one-reason-per-code-not-covered",
    ),
    pytest.param(
        lambda: complete(procedures=("98940", "97810")),
        Status.DENIED,
        ("PROCEDURE_NOT_COVERED", "PROCEDURE_NOT_COVERED"),
        id="step2-no-covered-code-remains",
    ),
    pytest.param(
        lambda: complete(holding=[held("chiropractic", date(2026, 1, 5), 120)]),
        Status.DENIED,
        ("ANNUAL_LIMIT_REACHED",),
        id="step2-no-units-remain",
    ),
    pytest.param(
        lambda: complete(units=40, holding=[held("chiropractic", date(2026, 1, 5), 100)]),
        Status.PARTIALLY_APPROVED,
        ("UNITS_REDUCED_TO_LIMIT",),
        id="step2-fewer-units-remain",
    ),
    pytest.param(
        lambda: complete(holding=[held("physical_therapy", date(2025, 6, 1), 10)]),
        Status.PENDED,
        ("DUPLICATE_AUTHORIZATION",),
        id="step2-overlapping-same-therapy",
    ),
    pytest.param(
        lambda: complete(holding=[held("chiropractic", date(2025, 6, 1), 10)]),
        Status.APPROVED,
        (),
        id="step2-overlapping-other-therapy-is-no-duplicate",
    ),
]


@pytest.mark.parametrize(("decide", "status", "codes"), ROWS)
def test_reason_table_row_decides_status_and_reasons(
    decide: Row, status: Status, codes: tuple[str, ...]
) -> None:
    decision = decide()

    assert decision.status is status
    assert decision.reason_codes == codes


@pytest.mark.parametrize(
    ("decide", "status", "codes"),
    [row for row in ROWS if row.values[1] is Status.DENIED and str(row.id).startswith("step2")],
)
def test_denied_completion_approves_no_units_and_no_codes(
    decide: Row, status: Status, codes: tuple[str, ...]
) -> None:
    decision = decide()

    assert decision.approved_units == 0
    assert decision.procedure_codes == ()


def test_referral_in_order_awaits_a_provider_from_its_start_date() -> None:
    decision = refer()

    assert decision.status is Status.AWAITING_PROVIDER
    assert decision.findings == ()
    assert decision.start_date == START


def test_completion_in_order_is_approved_for_twelve_months() -> None:
    decision = complete(units=40, procedures=("97110", "97530"))

    assert decision.status is Status.APPROVED
    assert decision.findings == ()
    assert decision.approved_units == 40
    assert decision.procedure_codes == ("97110", "97530")
    assert (decision.start_date, decision.end_date) == (date(2026, 3, 2), date(2027, 3, 1))


def test_not_covered_codes_are_dropped_from_the_approved_codes() -> None:
    decision = complete(procedures=("98940", "97110", "97810", "97530"))

    assert decision.procedure_codes == ("97110", "97530")
    assert decision.approved_units == 40
    texts = [f.message for f in decision.findings]
    assert texts == [
        "Procedure code 98940 is not covered for physical therapy.",
        "Procedure code 97810 is not covered for physical therapy.",
    ]


def test_units_reduced_to_limit_approves_the_remainder() -> None:
    decision = complete(units=40, holding=[held("chiropractic", date(2026, 1, 5), 100)])

    assert decision.approved_units == 20
    assert decision.procedure_codes == ("97110",)
    text = message(decision, "UNITS_REDUCED_TO_LIMIT")
    assert "40 units were requested" in text
    assert "only 20 of the 120-unit annual limit remain" in text
    assert "2026-01-01 to 2026-12-31" in text


def test_duplicate_pends_with_the_codes_that_would_be_approved_and_holds_no_units() -> None:
    other = held("physical_therapy", date(2025, 6, 1), 10, precert_id="PC-000777")

    decision = complete(procedures=("97110", "98940"), holding=[other])

    assert decision.status is Status.PENDED
    assert decision.approved_units is None
    assert decision.procedure_codes == ("97110",)
    assert decision.reason_codes == ("PROCEDURE_NOT_COVERED", "DUPLICATE_AUTHORIZATION")
    text = message(decision, "DUPLICATE_AUTHORIZATION")
    assert "PC-000777" in text
    assert "from 2025-06-01 to 2026-05-31" in text


MESSAGES = [
    pytest.param(
        lambda: refer(who=participant(eligibility=())),
        "PARTICIPANT_NOT_ELIGIBLE",
        ["2026-03-02"],
        id="not-eligible-names-the-date",
    ),
    pytest.param(
        lambda: refer(who=participant(birth_date=date(2005, 3, 15))),
        "PARTICIPANT_UNDER_MINIMUM_AGE",
        ["under 21 on 2026-03-02", "turn 21 on 2026-03-15"],
        id="under-age-names-the-21st-birthday",
    ),
    pytest.param(
        lambda: refer(prescriber=None),
        "PRESCRIBER_NOT_ENROLLED",
        [PRESCRIBER_NPI, "2026-03-02"],
        id="prescriber-not-enrolled-names-the-npi",
    ),
    pytest.param(
        lambda: refer(prescriber=provider("chiropractor", number=1)),
        "PRESCRIBER_TYPE_NOT_ALLOWED",
        [PRESCRIBER_NPI, "chiropractor", "only physician may start"],
        id="prescriber-type-names-the-type",
    ),
    pytest.param(
        lambda: refer(diagnoses=("Z00.00", "M54.5")),
        "DIAGNOSIS_NOT_APPROVED",
        ["Z00.00, M54.5", "2026-03-02"],
        id="diagnosis-names-the-codes",
    ),
    pytest.param(
        lambda: complete(by=None),
        "PROVIDER_NOT_ENROLLED",
        [PROVIDER_NPI, "2026-03-02"],
        id="provider-not-enrolled-names-the-npi",
    ),
    pytest.param(
        lambda: complete(therapy="acupuncture", by=provider("chiropractor")),
        "PROVIDER_TYPE_MISMATCH",
        [PROVIDER_NPI, "chiropractor", "acupuncture"],
        id="mismatch-names-type-and-therapy",
    ),
    pytest.param(
        lambda: complete(holding=[held("acupuncture", date(2026, 2, 1), 120)]),
        "ANNUAL_LIMIT_REACHED",
        ["2026-01-01 to 2026-12-31", "120 units"],
        id="limit-reached-names-the-benefit-year",
    ),
]


@pytest.mark.parametrize(("decide", "code", "fragments"), MESSAGES)
def test_reason_message_says_what_applies(decide: Row, code: str, fragments: list[str]) -> None:
    text = message(decide(), code)

    for fragment in fragments:
        assert fragment in text


def test_every_reason_code_is_its_stable_name() -> None:
    assert [r.code for r in Reason] == [
        "PARTICIPANT_NOT_ELIGIBLE",
        "PARTICIPANT_UNDER_MINIMUM_AGE",
        "PRESCRIBER_NOT_ENROLLED",
        "PRESCRIBER_TYPE_NOT_ALLOWED",
        "DIAGNOSIS_NOT_APPROVED",
        "PROVIDER_NOT_ENROLLED",
        "PROVIDER_TYPE_MISMATCH",
        "PROCEDURE_NOT_COVERED",
        "ANNUAL_LIMIT_REACHED",
        "UNITS_REDUCED_TO_LIMIT",
        "DUPLICATE_AUTHORIZATION",
        "DOCUMENTATION_NOT_CHRONIC",
        "UNITS_REDUCED_ON_REVIEW",
        "DENIED_ON_REVIEW",
        "CANCELLED",
        "STEP2_EXPIRED",
        "AWAITING_PERFORMING_PROVIDER",
        "NO_PRECERT",
        "BILLING_PROVIDER_MISMATCH",
        "PROCEDURE_NOT_AUTHORIZED",
        "PROCEDURE_NOT_IN_PROGRAM",
        "PRECERT_UNITS_EXHAUSTED",
        "CLAIM_LINE_VOIDED",
        "CLAIM_LINE_ALREADY_VOIDED",
    ]


def test_finding_renders_as_code_and_message() -> None:
    finding = Finding.of(Reason.PROCEDURE_NOT_COVERED, code="98940", therapy="acupuncture")

    assert finding.as_dict() == {
        "code": "PROCEDURE_NOT_COVERED",
        "message": "Procedure code 98940 is not covered for acupuncture.",
    }
