"""Step 2: POST /api/v1/precerts/{id}/completion."""

from __future__ import annotations

from datetime import date

import pytest

from tests.api.conftest import START, UNROSTERED, Scenario, assert_error, codes_of, fields_of


def test_physical_therapist_completes_to_approved(scenario: Scenario) -> None:
    first = scenario.start()
    done = scenario.complete(first, units=8, procedure_codes=["97110", "97530"])
    assert done["id"] == first["id"]
    assert done["status"] == "approved"
    assert done["provider_npi"] == scenario.npis["pt"]
    assert done["requested_procedure_codes"] == ["97110", "97530"]
    assert done["procedure_codes"] == ["97110", "97530"]
    assert done["requested_units"] == 8
    assert done["approved_units"] == 8
    assert done["approved_minutes"] == 120
    assert done["start_date"] == START
    assert done["end_date"] == "2027-03-09"
    assert done["reasons"] == []
    assert done["expires_on"] is None


def test_completion_history_appends_to_the_referral(scenario: Scenario) -> None:
    done = scenario.approved(units=8)
    referral, completion = done["history"]
    assert referral["action"] == "referral"
    assert completion["action"] == "completion"
    assert completion["from_status"] == "awaiting_provider"
    assert completion["to_status"] == "approved"
    assert completion["actor_role"] == "provider"
    assert completion["channel"] == "api"
    assert completion["inputs"]["units"] == 8
    assert completion["inputs"]["procedure_codes"] == ["97110"]
    assert completion["inputs"]["provider_npi"] == scenario.npis["pt"]
    assert completion["policy_version"] == done["policy_version"]
    assert referral["actor_user_id"] != completion["actor_user_id"]


@pytest.mark.parametrize("therapy", ["chiropractic", "acupuncture"])
def test_each_kind_of_provider_completes_its_own_therapy(scenario: Scenario, therapy: str) -> None:
    done = scenario.approved(therapy, units=4)
    assert done["status"] == "approved"
    assert done["approved_minutes"] == 60


def test_procedure_codes_are_normalised_and_deduplicated(scenario: Scenario) -> None:
    done = scenario.complete(scenario.start(), procedure_codes=[" 97110", "97110 ", "97530"])
    assert done["requested_procedure_codes"] == ["97110", "97530"]
    assert done["procedure_codes"] == ["97110", "97530"]


def test_all_120_units_may_be_asked_for_at_once(scenario: Scenario) -> None:
    done = scenario.approved(units=120)
    assert done["approved_units"] == 120
    assert done["approved_minutes"] == 1800


def test_period_starting_on_29_february_ends_on_28_february(scenario: Scenario) -> None:
    first = scenario.start(start_date="2028-02-29")
    done = scenario.complete(first, start_date="2028-02-29")
    assert done["end_date"] == "2029-02-28"


def test_approved_period_starts_on_the_providers_start_date(scenario: Scenario) -> None:
    done = scenario.complete(scenario.start(), start_date="2026-04-15")
    assert done["start_date"] == "2026-04-15"
    assert done["end_date"] == "2027-04-14"


# -- PROCEDURE_NOT_COVERED drops the code ----------------------------------------------------


def test_uncovered_code_is_dropped_and_the_rest_approved(scenario: Scenario) -> None:
    done = scenario.complete(scenario.start(), procedure_codes=["97110", "98940", "97810"])
    assert done["status"] == "approved"
    assert done["approved_units"] == 10
    assert done["requested_procedure_codes"] == ["97110", "98940", "97810"]
    assert done["procedure_codes"] == ["97110"]
    assert codes_of(done) == ["PROCEDURE_NOT_COVERED", "PROCEDURE_NOT_COVERED"]
    messages = " ".join(r["message"] for r in done["reasons"])
    assert "98940" in messages and "97810" in messages


def test_only_uncovered_codes_is_denied(scenario: Scenario) -> None:
    done = scenario.complete(scenario.start(), procedure_codes=["98940"])
    assert done["status"] == "denied"
    assert done["approved_units"] == 0
    assert done["procedure_codes"] == []
    assert codes_of(done) == ["PROCEDURE_NOT_COVERED"]
    assert scenario.units()["authorized"] == 0


# -- step-2 denials ----------------------------------------------------------------------------


def test_staff_entering_a_chiropractor_for_physical_therapy_is_a_type_mismatch(
    scenario: Scenario,
) -> None:
    done = scenario.complete(scenario.start(), as_="staff", provider_npi=scenario.npis["chiro"])
    assert done["status"] == "denied"
    assert done["approved_units"] == 0
    assert "PROVIDER_TYPE_MISMATCH" in codes_of(done)


def test_staff_entering_an_unrostered_provider_is_not_enrolled(scenario: Scenario) -> None:
    done = scenario.complete(scenario.start(), as_="staff", provider_npi=UNROSTERED)
    assert done["status"] == "denied"
    assert codes_of(done) == ["PROVIDER_NOT_ENROLLED"]
    assert done["provider_npi"] == UNROSTERED


def test_provider_whose_enrolment_ended_is_not_enrolled(scenario: Scenario) -> None:
    lapsed = scenario.world.provider(21, "physical_therapist", spans=((date(2020, 1, 1), None),))
    ended = scenario.world.provider(
        22, "physical_therapist", spans=((date(2020, 1, 1), date(2026, 3, 9)),)
    )
    first = scenario.start()
    assert scenario.complete(first, as_="staff", provider_npi=ended)["status"] == "denied"
    second = scenario.start(as_="doc_b")
    assert scenario.complete(second, as_="staff", provider_npi=lapsed)["status"] == "approved"


def test_eligibility_is_checked_again_on_the_step_two_start_date(scenario: Scenario) -> None:
    scenario.world.participant("10000002", spans=((date(2020, 1, 1), date(2026, 6, 30)),))
    first = scenario.start(participant_id="10000002")
    assert first["status"] == "awaiting_provider"
    done = scenario.complete(first, start_date="2026-07-01")
    assert done["status"] == "denied"
    assert codes_of(done) == ["PARTICIPANT_NOT_ELIGIBLE"]


def test_diagnosis_is_checked_again_on_the_step_two_start_date(scenario: Scenario) -> None:
    first = scenario.start(
        as_="staff",
        diagnosis_codes=["M54.5"],
        start_date="2021-09-30",
        plan_of_care_date="2021-09-01",
    )
    assert first["status"] == "awaiting_provider"
    done = scenario.complete(
        first, as_="staff", provider_npi=scenario.npis["pt"], start_date="2021-10-01"
    )
    assert done["status"] == "denied"
    assert codes_of(done) == ["DIAGNOSIS_NOT_APPROVED"]


def test_every_step_two_denial_is_given_at_once(scenario: Scenario) -> None:
    scenario.world.participant("10000002", spans=((date(2020, 1, 1), date(2026, 6, 30)),))
    first = scenario.start(participant_id="10000002")
    done = scenario.complete(
        first,
        as_="staff",
        provider_npi=scenario.npis["acu"],
        procedure_codes=["97810"],
        start_date="2026-07-01",
    )
    assert done["status"] == "denied"
    assert codes_of(done) == [
        "PARTICIPANT_NOT_ELIGIBLE",
        "PROVIDER_TYPE_MISMATCH",
        "PROCEDURE_NOT_COVERED",
    ]


# -- dates -------------------------------------------------------------------------------------


def test_step_two_start_before_the_step_one_start_is_a_422(scenario: Scenario) -> None:
    first = scenario.start()
    r = scenario.post_complete(first["id"], scenario.completion(start_date="2026-03-09"))
    body = assert_error(r, 422, "VALIDATION_ERROR")
    assert fields_of(r) == {"start_date"}
    assert START in body["fields"][0]["message"]


def test_staff_step_two_start_before_the_step_one_start_is_a_422(scenario: Scenario) -> None:
    first = scenario.start(as_="staff", start_date="2025-06-01", plan_of_care_date="2025-06-01")
    body = scenario.completion(start_date="2025-05-31")
    r = scenario.post_complete(first["id"], body, as_="staff")
    assert_error(r, 422, "VALIDATION_ERROR")
    assert fields_of(r) == {"start_date"}


def test_provider_cannot_enter_a_retroactive_step_two_start(scenario: Scenario) -> None:
    first = scenario.start(as_="staff", start_date="2026-02-01", plan_of_care_date="2026-02-01")
    r = scenario.post_complete(first["id"], scenario.completion(start_date="2026-02-15"))
    body = assert_error(r, 422, "VALIDATION_ERROR")
    assert body["fields"][0]["field"] == "start_date"
    assert "before today" in body["fields"][0]["message"]


def test_staff_may_enter_a_retroactive_step_two_start(scenario: Scenario) -> None:
    first = scenario.start(as_="staff", start_date="2026-02-01", plan_of_care_date="2026-02-01")
    done = scenario.complete(
        first, as_="staff", provider_npi=scenario.npis["pt"], start_date="2026-02-15"
    )
    assert done["status"] == "approved"
    assert done["end_date"] == "2027-02-14"


def test_staff_completion_by_phone_is_recorded_as_phone(scenario: Scenario) -> None:
    done = scenario.complete(
        scenario.start(), as_="staff", provider_npi=scenario.npis["pt"], channel="phone"
    )
    assert done["history"][-1]["channel"] == "phone"
    assert done["history"][-1]["actor_role"] == "staff"


# -- 409s --------------------------------------------------------------------------------------


def test_second_completion_of_the_same_request_is_a_409_not_open(scenario: Scenario) -> None:
    done = scenario.approved()
    r = scenario.post_complete(done["id"], scenario.completion())
    assert_error(r, 409, "PRECERT_NOT_OPEN")
    after = scenario.get(done["id"]).json()
    assert after == done


def test_completing_a_denied_request_is_a_409_not_open(scenario: Scenario) -> None:
    denied = scenario.start(diagnosis_codes=["Z00.00"])
    r = scenario.post_complete(
        denied["id"], scenario.completion(provider_npi=scenario.npis["pt"]), as_="staff"
    )
    assert_error(r, 409, "PRECERT_NOT_OPEN")


def test_provider_completing_a_request_denied_at_step_1_gets_a_409_not_open(
    scenario: Scenario,
) -> None:
    denied = scenario.start(diagnosis_codes=["Z00.00"])
    assert denied["status"] == "denied"
    r = scenario.post_complete(denied["id"], scenario.completion(), as_="pt")
    assert_error(r, 409, "PRECERT_NOT_OPEN")
    assert_error(
        scenario.post_complete(denied["id"], scenario.completion("chiropractic"), as_="chiro"),
        404,
        "NOT_FOUND",
    )


def test_completion_is_accepted_on_the_last_day_of_the_wait(scenario: Scenario) -> None:
    first = scenario.start()
    with scenario.later(date(2026, 5, 31)) as later:
        r = later.get(f"/api/v1/precerts/{first['id']}", headers=scenario.headers["doc_a"])
        assert r.json()["status"] == "awaiting_provider"
        done = scenario.complete(first, client=later, start_date="2026-05-31")
    assert done["status"] == "approved"


def test_completion_the_day_after_the_wait_is_a_409_expired(scenario: Scenario) -> None:
    first = scenario.start()
    with scenario.later(date(2026, 6, 1)) as later:
        body = scenario.completion(provider_npi=scenario.npis["pt"], start_date="2026-06-01")
        r = scenario.post_complete(first["id"], body, as_="staff", client=later)
        assert_error(r, 409, "PRECERT_EXPIRED")
        r = later.get(f"/api/v1/precerts/{first['id']}", headers=scenario.headers["doc_a"])
        assert r.json()["status"] == "expired"
        assert r.json()["expires_on"] is None


def test_provider_who_could_have_completed_gets_a_409_expired(scenario: Scenario) -> None:
    """The physical therapist given an expired request's ID learns it expired (not 404)."""
    first = scenario.start()
    with scenario.later(date(2026, 6, 1)) as later:
        body = scenario.completion(start_date="2026-06-01")
        r = scenario.post_complete(first["id"], body, as_="pt", client=later)
        assert_error(r, 409, "PRECERT_EXPIRED")


def test_expired_request_reads_as_expired_without_any_write(scenario: Scenario) -> None:
    first = scenario.start()
    with scenario.later(date(2026, 6, 1)) as later:
        r = later.get(f"/api/v1/precerts/{first['id']}", headers=scenario.headers["staff"])
        assert r.json()["status"] == "expired"
        assert len(r.json()["history"]) == 1
    # Today (2026-03-02) it is still open.
    assert scenario.get(first["id"]).json()["status"] == "awaiting_provider"


def test_422_comes_before_409(scenario: Scenario) -> None:
    done = scenario.approved()
    r = scenario.post_complete(done["id"], scenario.completion(units=0))
    assert_error(r, 422, "VALIDATION_ERROR")
