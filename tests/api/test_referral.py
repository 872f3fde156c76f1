"""Step 1: POST /api/v1/precerts."""

from __future__ import annotations

from datetime import date

import pytest

from tests.api.conftest import (
    PARTICIPANT,
    START,
    UNROSTERED,
    Scenario,
    assert_error,
    codes_of,
    fields_of,
)


def test_physician_starts_a_request_that_awaits_a_provider(scenario: Scenario) -> None:
    body = scenario.start(diagnosis_codes=["m5450 ", "M54.50", "g8921"])
    assert {
        "id",
        "status",
        "participant_id",
        "therapy",
        "prescriber_npi",
        "provider_npi",
        "diagnosis_codes",
        "requested_procedure_codes",
        "procedure_codes",
        "requested_units",
        "approved_units",
        "approved_minutes",
        "start_date",
        "end_date",
        "reasons",
        "history",
        "policy_version",
    } <= set(body)
    assert body["id"].startswith("PC-")
    assert body["status"] == "awaiting_provider"
    assert body["participant_id"] == PARTICIPANT
    assert body["therapy"] == "physical_therapy"
    assert body["prescriber_npi"] == scenario.npis["doc_a"]
    assert body["provider_npi"] is None
    assert body["diagnosis_codes"] == ["M54.50", "G89.21"]
    assert body["requested_procedure_codes"] == []
    assert body["procedure_codes"] == []
    assert body["requested_units"] is None
    assert body["approved_units"] is None
    assert body["approved_minutes"] is None
    assert body["start_date"] == START
    assert body["end_date"] is None
    assert body["reasons"] == []
    assert body["policy_version"]


def test_step_one_expires_ninety_days_after_the_day_it_was_made(scenario: Scenario) -> None:
    # Made on 2026-03-02 (today), starting later: the wait counts from today, not the start.
    body = scenario.start(start_date="2026-04-20")
    assert body["expires_on"] == "2026-05-31"


def test_step_one_history_records_who_how_and_what(scenario: Scenario) -> None:
    body = scenario.start()
    [event] = body["history"]
    assert {
        "action",
        "from_status",
        "to_status",
        "at",
        "actor_user_id",
        "actor_role",
        "channel",
        "inputs",
        "reasons",
        "policy_version",
        "note",
    } <= set(event)
    assert event["action"] == "referral"
    assert event["from_status"] is None
    assert event["to_status"] == "awaiting_provider"
    assert isinstance(event["actor_user_id"], int)
    assert event["actor_role"] == "physician"
    assert event["channel"] == "api"
    assert event["inputs"]["participant_id"] == PARTICIPANT
    assert event["inputs"]["diagnosis_codes"] == ["M54.50"]
    assert event["inputs"]["start_date"] == START
    assert event["reasons"] == []
    assert event["policy_version"] == body["policy_version"]
    assert event["note"] is None


def test_read_back_equals_the_created_request(scenario: Scenario) -> None:
    body = scenario.start()
    r = scenario.get(body["id"], as_="doc_a")
    assert r.status_code == 200
    assert r.json() == body


def test_staff_phone_entry_is_recorded_as_phone(scenario: Scenario) -> None:
    body = scenario.start(as_="staff", channel="phone")
    assert body["history"][0]["channel"] == "phone"
    assert body["history"][0]["actor_role"] == "staff"


def test_physician_cannot_claim_the_phone_channel(scenario: Scenario) -> None:
    body = scenario.start(channel="phone")
    assert body["history"][0]["channel"] == "api"


def test_start_date_of_today_is_accepted_from_a_physician(scenario: Scenario) -> None:
    body = scenario.start(start_date="2026-03-02", plan_of_care_date="2026-03-02")
    assert body["status"] == "awaiting_provider"


def test_start_date_before_today_is_a_422_for_a_physician(scenario: Scenario) -> None:
    body = scenario.referral(start_date="2026-03-01", plan_of_care_date="2026-02-01")
    r = scenario.post_start(body)
    body = assert_error(r, 422, "VALIDATION_ERROR")
    [problem] = body["fields"]
    assert problem["field"] == "start_date"
    assert "before today" in problem["message"]


def test_staff_may_enter_a_retroactive_start_date(scenario: Scenario) -> None:
    body = scenario.start(as_="staff", start_date="2025-06-01", plan_of_care_date="2025-05-20")
    assert body["status"] == "awaiting_provider"
    assert body["start_date"] == "2025-06-01"


def test_plan_of_care_after_the_start_date_is_a_422(scenario: Scenario) -> None:
    r = scenario.post_start(scenario.referral(plan_of_care_date="2026-03-11"))
    assert_error(r, 422, "VALIDATION_ERROR")
    assert fields_of(r) == {"plan_of_care_date"}


def test_plan_of_care_on_the_start_date_is_accepted(scenario: Scenario) -> None:
    assert scenario.start(plan_of_care_date=START)["status"] == "awaiting_provider"


@pytest.mark.parametrize("therapy", ["physical_therapy", "chiropractic", "acupuncture"])
def test_each_therapy_can_be_started(scenario: Scenario, therapy: str) -> None:
    assert scenario.start(therapy)["therapy"] == therapy


# -- step-1 denials: every reason that applies, approved_units 0 ----------------------------


def test_participant_without_eligibility_on_the_start_date_is_denied(
    scenario: Scenario,
) -> None:
    scenario.world.participant("10000002", spans=((date(2020, 1, 1), date(2026, 3, 9)),))
    body = scenario.start(participant_id="10000002")
    assert body["status"] == "denied"
    assert codes_of(body) == ["PARTICIPANT_NOT_ELIGIBLE"]
    assert body["approved_units"] == 0
    assert body["approved_minutes"] == 0
    assert body["procedure_codes"] == []
    assert body["history"][0]["to_status"] == "denied"
    assert body["history"][0]["reasons"] == body["reasons"]


def test_participant_under_21_is_denied_with_the_day_they_turn_21(scenario: Scenario) -> None:
    scenario.world.participant("10000003", birth_date=date(2005, 6, 1))
    body = scenario.start(participant_id="10000003")
    assert body["status"] == "denied"
    assert codes_of(body) == ["PARTICIPANT_UNDER_MINIMUM_AGE"]
    assert "2026-06-01" in body["reasons"][0]["message"]


def test_participant_who_turns_21_on_the_start_date_is_accepted(scenario: Scenario) -> None:
    scenario.world.participant("10000003", birth_date=date(2005, 3, 10))
    assert scenario.start(participant_id="10000003")["status"] == "awaiting_provider"


def test_unrostered_prescriber_entered_by_staff_is_not_enrolled(scenario: Scenario) -> None:
    body = scenario.start(as_="staff", prescriber_npi=UNROSTERED)
    assert body["status"] == "denied"
    assert codes_of(body) == ["PRESCRIBER_NOT_ENROLLED"]


def test_prescriber_enrolled_as_another_type_is_not_allowed(scenario: Scenario) -> None:
    # A nurse practitioner holding a physician token, acting with their own NPI.
    body = scenario.start(as_="np", prescriber_npi=scenario.npis["np"])
    assert body["status"] == "denied"
    assert codes_of(body) == ["PRESCRIBER_TYPE_NOT_ALLOWED"]


def test_staff_entering_a_chiropractor_as_prescriber_is_not_allowed(scenario: Scenario) -> None:
    body = scenario.start(as_="staff", prescriber_npi=scenario.npis["chiro"])
    assert codes_of(body) == ["PRESCRIBER_TYPE_NOT_ALLOWED"]


def test_unapproved_diagnosis_is_denied(scenario: Scenario) -> None:
    body = scenario.start(diagnosis_codes=["Z00.00"])
    assert body["status"] == "denied"
    assert codes_of(body) == ["DIAGNOSIS_NOT_APPROVED"]


def test_one_approved_diagnosis_among_others_is_enough(scenario: Scenario) -> None:
    body = scenario.start(diagnosis_codes=["Z00.00", "M51.16"])
    assert body["status"] == "awaiting_provider"


def test_every_denial_reason_is_given_at_once(scenario: Scenario) -> None:
    scenario.world.participant(
        "10000004", birth_date=date(2010, 1, 1), spans=((date(2020, 1, 1), date(2021, 1, 1)),)
    )
    body = scenario.start(
        as_="staff", participant_id="10000004", prescriber_npi=UNROSTERED, diagnosis_codes=["R51"]
    )
    assert body["status"] == "denied"
    assert set(codes_of(body)) == {
        "PARTICIPANT_NOT_ELIGIBLE",
        "PARTICIPANT_UNDER_MINIMUM_AGE",
        "PRESCRIBER_NOT_ENROLLED",
        "DIAGNOSIS_NOT_APPROVED",
    }


# -- the M54.5 boundary, retroactively through the phone unit --------------------------------


@pytest.mark.parametrize(
    ("code", "start", "status"),
    [
        ("M54.5", "2021-09-30", "awaiting_provider"),
        ("M54.5", "2021-10-01", "denied"),
        ("M54.50", "2021-09-30", "denied"),
        ("M54.50", "2021-10-01", "awaiting_provider"),
        ("M5459", "2021-10-01", "awaiting_provider"),
    ],
)
def test_low_back_pain_codes_follow_their_effective_dates(
    scenario: Scenario, code: str, start: str, status: str
) -> None:
    body = scenario.start(
        as_="staff", diagnosis_codes=[code], start_date=start, plan_of_care_date="2021-09-01"
    )
    assert body["status"] == status
    if status == "denied":
        assert codes_of(body) == ["DIAGNOSIS_NOT_APPROVED"]


def test_m54_5_on_its_last_day_goes_through_both_steps_to_approved(scenario: Scenario) -> None:
    first = scenario.start(
        as_="staff",
        channel="phone",
        diagnosis_codes=["m54.5"],
        start_date="2021-09-30",
        plan_of_care_date="2021-09-15",
    )
    assert first["diagnosis_codes"] == ["M54.5"]
    done = scenario.complete(
        first, as_="staff", provider_npi=scenario.npis["pt"], start_date="2021-09-30", units=12
    )
    assert done["status"] == "approved"
    assert done["approved_units"] == 12
    assert done["start_date"] == "2021-09-30"
    assert done["end_date"] == "2022-09-29"
    assert scenario.units(year="2021")["authorized"] == 12


def test_m54_5_on_the_day_after_its_end_is_denied(scenario: Scenario) -> None:
    body = scenario.start(
        as_="staff",
        diagnosis_codes=["M54.5"],
        start_date="2021-10-01",
        plan_of_care_date="2021-09-15",
    )
    assert body["status"] == "denied"
    assert codes_of(body) == ["DIAGNOSIS_NOT_APPROVED"]
    assert body["approved_units"] == 0
