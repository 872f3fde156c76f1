"""Date boundaries, the day before and the day of: age, eligibility, enrolment, diagnoses."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from precert.rules.decision import Decision, Status
from tests.rules.factories import (
    complete,
    message,
    participant,
    performer,
    physician,
    policy_on,
    refer,
)

Step = Callable[..., Decision]
STEPS = [pytest.param(refer, id="step1"), pytest.param(complete, id="step2")]


@pytest.mark.parametrize("step", STEPS)
@pytest.mark.parametrize(
    ("birth", "start", "under_age"),
    [
        pytest.param(date(2005, 3, 15), date(2026, 3, 14), True, id="day-before-21st-birthday"),
        pytest.param(date(2005, 3, 15), date(2026, 3, 15), False, id="21st-birthday"),
        pytest.param(date(2005, 12, 31), date(2026, 12, 30), True, id="day-before-new-year-eve"),
        pytest.param(date(2005, 12, 31), date(2026, 12, 31), False, id="new-year-eve-birthday"),
        pytest.param(date(2006, 1, 1), date(2026, 12, 31), True, id="new-year-birthday-eve"),
        pytest.param(date(2006, 1, 1), date(2027, 1, 1), False, id="new-year-birthday"),
        pytest.param(date(2004, 2, 29), date(2025, 2, 28), True, id="leap-born-28-feb"),
        pytest.param(date(2004, 2, 29), date(2025, 3, 1), False, id="leap-born-turns-21-1-mar"),
        pytest.param(date(2008, 2, 29), date(2029, 2, 28), True, id="leap-born-2008-28-feb"),
        pytest.param(date(2008, 2, 29), date(2029, 3, 1), False, id="leap-born-2008-1-mar"),
    ],
)
def test_participant_is_21_from_their_21st_birthday(
    step: Step, birth: date, start: date, under_age: bool
) -> None:
    decision = step(start=start, who=participant(birth_date=birth))

    assert ("PARTICIPANT_UNDER_MINIMUM_AGE" in decision.reason_codes) is under_age
    assert (decision.status is Status.DENIED) is under_age


@pytest.mark.parametrize("step", STEPS)
def test_leap_day_birth_message_says_they_turn_21_on_1_march(step: Step) -> None:
    decision = step(start=date(2025, 2, 28), who=participant(birth_date=date(2004, 2, 29)))

    text = message(decision, "PARTICIPANT_UNDER_MINIMUM_AGE")
    assert "they turn 21 on 2025-03-01" in text


SPAN = ((date(2026, 3, 1), date(2026, 12, 31)),)
SPAN_EDGES = [
    pytest.param(date(2026, 2, 28), False, id="day-before-span-start"),
    pytest.param(date(2026, 3, 1), True, id="span-start"),
    pytest.param(date(2026, 12, 31), True, id="span-end"),
    pytest.param(date(2027, 1, 1), False, id="day-after-span-end"),
]


@pytest.mark.parametrize("step", STEPS)
@pytest.mark.parametrize(("start", "covered"), SPAN_EDGES)
def test_participant_is_eligible_from_span_start_to_span_end_inclusive(
    step: Step, start: date, covered: bool
) -> None:
    decision = step(start=start, who=participant(eligibility=SPAN))

    assert ("PARTICIPANT_NOT_ELIGIBLE" in decision.reason_codes) is not covered


@pytest.mark.parametrize("step", STEPS)
@pytest.mark.parametrize(
    ("start", "covered"),
    [
        pytest.param(date(2026, 3, 31), True, id="end-of-first-span"),
        pytest.param(date(2026, 4, 1), False, id="first-day-of-gap"),
        pytest.param(date(2026, 4, 30), False, id="last-day-of-gap"),
        pytest.param(date(2026, 5, 1), True, id="start-of-open-span"),
        pytest.param(date(2040, 1, 1), True, id="open-span-has-no-end"),
    ],
)
def test_any_eligibility_span_covering_the_start_date_is_enough(
    step: Step, start: date, covered: bool
) -> None:
    spans = ((date(2026, 1, 1), date(2026, 3, 31)), (date(2026, 5, 1), None))

    decision = step(start=start, who=participant(eligibility=spans))

    assert ("PARTICIPANT_NOT_ELIGIBLE" in decision.reason_codes) is not covered


@pytest.mark.parametrize(("start", "covered"), SPAN_EDGES)
def test_prescriber_is_enrolled_from_span_start_to_span_end_inclusive(
    start: date, covered: bool
) -> None:
    decision = refer(start=start, prescriber=physician(enrollment=SPAN))

    assert decision.reason_codes == (() if covered else ("PRESCRIBER_NOT_ENROLLED",))


@pytest.mark.parametrize(("start", "covered"), SPAN_EDGES)
def test_performing_provider_is_enrolled_from_span_start_to_span_end_inclusive(
    start: date, covered: bool
) -> None:
    decision = complete(start=start, by=performer("physical_therapy", enrollment=SPAN))

    assert decision.reason_codes == (() if covered else ("PROVIDER_NOT_ENROLLED",))


DIAGNOSIS_EDGES = [
    pytest.param("M54.5", date(2021, 9, 30), True, id="M54.5-on-its-last-day"),
    pytest.param("M54.5", date(2021, 10, 1), False, id="M54.5-day-after-its-end"),
    pytest.param("M54.50", date(2021, 9, 30), False, id="M54.50-day-before-it-starts"),
    pytest.param("M54.50", date(2021, 10, 1), True, id="M54.50-on-its-first-day"),
    pytest.param("M54.51", date(2021, 9, 30), False, id="M54.51-day-before-it-starts"),
    pytest.param("M54.51", date(2021, 10, 1), True, id="M54.51-on-its-first-day"),
    pytest.param("M54.59", date(2021, 9, 30), False, id="M54.59-day-before-it-starts"),
    pytest.param("M54.59", date(2021, 10, 1), True, id="M54.59-on-its-first-day"),
    pytest.param("M54.2", date(2020, 1, 1), True, id="open-code-on-first-policy-day"),
    pytest.param("M54.2", date(2040, 1, 1), True, id="open-code-far-ahead"),
]


@pytest.mark.parametrize("step", STEPS)
@pytest.mark.parametrize(("code", "start", "approved"), DIAGNOSIS_EDGES)
def test_diagnosis_is_approved_within_its_effective_dates(
    step: Step, code: str, start: date, approved: bool
) -> None:
    decision = step(start=start, diagnoses=(code,))

    assert decision.reason_codes == (() if approved else ("DIAGNOSIS_NOT_APPROVED",))


@pytest.mark.parametrize(("code", "start", "approved"), DIAGNOSIS_EDGES)
def test_policy_lists_diagnosis_as_approved_within_its_effective_dates(
    code: str, start: date, approved: bool
) -> None:
    assert (code in policy_on(start).approved_diagnoses(start)) is approved


def test_retired_and_new_low_back_pain_codes_together_are_approved_on_either_side() -> None:
    codes = ("M54.5", "M54.50")

    assert refer(start=date(2021, 9, 30), diagnoses=codes).status is Status.AWAITING_PROVIDER
    assert refer(start=date(2021, 10, 1), diagnoses=codes).status is Status.AWAITING_PROVIDER
