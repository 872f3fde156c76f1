"""Bad input: a 422 naming every problem at once, nothing stored, and never a 500."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import UNROSTERED, Scenario, assert_error, fields_of
from tests.conftest import npi

GOOD_NPI = npi(1)
BAD_CHECK_DIGIT = GOOD_NPI[:-1] + str((int(GOOD_NPI[-1]) + 1) % 10)


def test_referral_lists_every_problem_at_once(scenario: Scenario) -> None:
    body = scenario.referral(
        participant_id="99999999",  # well formed, but no such participant
        prescriber_npi=BAD_CHECK_DIGIT,
        therapy="massage",
        diagnosis_codes=["M54.50", "XYZ"],
        plan_of_care_date="2026-02-30",
        start_date="2026/03/10",
    )
    r = scenario.post_start(body, as_="staff")
    err = assert_error(r, 422, "VALIDATION_ERROR")
    assert fields_of(r) == {
        "participant_id",
        "prescriber_npi",
        "therapy",
        "diagnosis_codes[1]",
        "plan_of_care_date",
        "start_date",
    }
    messages = {p["field"]: p["message"] for p in err["fields"]}
    assert "99999999" in messages["participant_id"]
    assert "check digit" in messages["prescriber_npi"]
    assert "massage" in messages["therapy"]
    assert "XYZ" in messages["diagnosis_codes[1]"]
    assert "2026-02-30" in messages["plan_of_care_date"]
    assert all(p["field"] in err["detail"] for p in err["fields"])
    assert scenario.find()["total"] == 0


def test_date_rules_are_reported_with_other_problems(scenario: Scenario) -> None:
    body = scenario.referral(
        therapy="yoga", start_date="2026-03-01", plan_of_care_date="2026-03-05"
    )
    r = scenario.post_start(body)
    assert_error(r, 422, "VALIDATION_ERROR")
    assert fields_of(r) == {"therapy", "start_date", "plan_of_care_date"}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"participant_id": "99999999"}, "participant_id"),
        ({"participant_id": "1234567"}, "participant_id"),
        ({"participant_id": "123456789"}, "participant_id"),
        ({"participant_id": "abcdefgh"}, "participant_id"),
        ({"participant_id": 10000001}, "participant_id"),
        ({"participant_id": None}, "participant_id"),
        ({"prescriber_npi": "123"}, "prescriber_npi"),
        ({"prescriber_npi": int(GOOD_NPI)}, "prescriber_npi"),
        ({"prescriber_npi": None}, "prescriber_npi"),
        ({"therapy": "massage"}, "therapy"),
        ({"therapy": ""}, "therapy"),
        ({"therapy": 3}, "therapy"),
        ({"therapy": None}, "therapy"),
        ({"diagnosis_codes": []}, "diagnosis_codes"),
        ({"diagnosis_codes": None}, "diagnosis_codes"),
        ({"diagnosis_codes": "M54.50"}, "diagnosis_codes"),
        ({"diagnosis_codes": ["M54.50"] * 13}, "diagnosis_codes"),
        ({"diagnosis_codes": ["M5"]}, "diagnosis_codes[0]"),
        ({"diagnosis_codes": ["5450"]}, "diagnosis_codes[0]"),
        ({"diagnosis_codes": ["M54.50000"]}, "diagnosis_codes[0]"),
        ({"diagnosis_codes": ["M54..50"]}, "diagnosis_codes[0]"),
        ({"diagnosis_codes": [""]}, "diagnosis_codes[0]"),
        ({"diagnosis_codes": [5450]}, "diagnosis_codes[0]"),
        ({"diagnosis_codes": [None]}, "diagnosis_codes[0]"),
        ({"start_date": "2026-02-30"}, "start_date"),
        ({"start_date": "2026-13-01"}, "start_date"),
        ({"start_date": "2026-3-10"}, "start_date"),
        ({"start_date": "03/10/2026"}, "start_date"),
        ({"start_date": "2026-03-10T00:00:00"}, "start_date"),
        ({"start_date": 20260310}, "start_date"),
        ({"start_date": ""}, "start_date"),
        ({"start_date": None}, "start_date"),
        ({"start_date": "1999-01-01", "plan_of_care_date": "1999-01-01"}, "start_date"),
        ({"plan_of_care_date": "2025-02-29"}, "plan_of_care_date"),
        ({"plan_of_care_date": "yesterday"}, "plan_of_care_date"),
        ({"priority": "urgent"}, "priority"),
    ],
)
def test_bad_referral_field_is_a_422_naming_it(
    scenario: Scenario, change: dict[str, Any], field: str
) -> None:
    r = scenario.post_start(scenario.referral(**change), as_="staff")
    assert_error(r, 422, "VALIDATION_ERROR")
    assert fields_of(r) == {field}
    assert scenario.find()["total"] == 0


@pytest.mark.parametrize(
    "missing",
    [
        "participant_id",
        "prescriber_npi",
        "therapy",
        "diagnosis_codes",
        "plan_of_care_date",
        "start_date",
    ],
)
def test_missing_referral_field_is_required(scenario: Scenario, missing: str) -> None:
    body = scenario.referral()
    del body[missing]
    r = scenario.post_start(body, as_="staff")
    err = assert_error(r, 422, "VALIDATION_ERROR")
    assert err["fields"] == [{"field": missing, "message": "is required"}]


def test_empty_object_names_every_required_field(scenario: Scenario) -> None:
    r = scenario.post_start({}, as_="staff")
    assert_error(r, 422, "VALIDATION_ERROR")
    assert fields_of(r) == {
        "participant_id",
        "prescriber_npi",
        "therapy",
        "diagnosis_codes",
        "plan_of_care_date",
        "start_date",
    }


def test_completion_lists_every_problem_at_once(scenario: Scenario) -> None:
    precert = scenario.start()
    body = {
        "provider_npi": BAD_CHECK_DIGIT,
        "procedure_codes": ["9711", "ABCDE", "97110"],
        "units": 121,
        "start_date": "2026-02-30",
    }
    r = scenario.post_complete(precert["id"], body, as_="staff")
    assert_error(r, 422, "VALIDATION_ERROR")
    assert fields_of(r) == {
        "provider_npi",
        "procedure_codes[0]",
        "procedure_codes[1]",
        "units",
        "start_date",
    }
    after = scenario.get(precert["id"]).json()
    assert after["status"] == "awaiting_provider"
    assert len(after["history"]) == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"units": 0}, "units"),
        ({"units": 121}, "units"),
        ({"units": -5}, "units"),
        ({"units": "10"}, "units"),
        ({"units": 10.5}, "units"),
        ({"units": True}, "units"),
        ({"units": None}, "units"),
        ({"units": 10**30}, "units"),
        ({"procedure_codes": []}, "procedure_codes"),
        ({"procedure_codes": None}, "procedure_codes"),
        ({"procedure_codes": "97110"}, "procedure_codes"),
        ({"procedure_codes": [97110]}, "procedure_codes[0]"),
        ({"procedure_codes": ["971100"]}, "procedure_codes[0]"),
        ({"procedure_codes": ["97A10"]}, "procedure_codes[0]"),
        ({"procedure_codes": ["97110", ""]}, "procedure_codes[1]"),
        ({"provider_npi": "12345"}, "provider_npi"),
        ({"provider_npi": BAD_CHECK_DIGIT}, "provider_npi"),
        ({"provider_npi": None}, "provider_npi"),
        ({"start_date": "2026-04-31"}, "start_date"),
        ({"start_date": "next week"}, "start_date"),
        ({"start_date": None}, "start_date"),
        ({"channel": "fax"}, "channel"),
    ],
)
def test_bad_completion_field_is_a_422_naming_it(
    scenario: Scenario, change: dict[str, Any], field: str
) -> None:
    precert = scenario.start()
    body = {**scenario.completion(provider_npi=scenario.npis["pt"]), **change}
    r = scenario.post_complete(precert["id"], body, as_="staff")
    assert_error(r, 422, "VALIDATION_ERROR")
    assert fields_of(r) == {field}
    assert scenario.get(precert["id"]).json()["status"] == "awaiting_provider"
    assert scenario.units()["authorized"] == 0


def test_provider_gets_a_422_for_a_bad_check_digit_not_a_403(scenario: Scenario) -> None:
    own = scenario.npis["pt"]
    broken = own[:-1] + str((int(own[-1]) + 1) % 10)
    precert = scenario.start()
    r = scenario.post_complete(precert["id"], scenario.completion(provider_npi=broken), as_="pt")
    assert_error(r, 422, "VALIDATION_ERROR")
    assert fields_of(r) == {"provider_npi"}


def test_unknown_participant_is_a_422_on_participant_id(scenario: Scenario) -> None:
    r = scenario.post_start(scenario.referral(participant_id="10000009"))
    err = assert_error(r, 422, "VALIDATION_ERROR")
    assert err["fields"][0]["field"] == "participant_id"
    assert "10000009" in err["fields"][0]["message"]


def test_nothing_is_stored_after_a_422(scenario: Scenario) -> None:
    kept = scenario.start()
    before = scenario.find()
    for body in (
        scenario.referral(therapy="massage"),
        scenario.referral(diagnosis_codes=[]),
        scenario.referral(start_date="2026-02-30"),
        scenario.referral(participant_id="10000009"),
        scenario.referral(start_date="2026-03-01", plan_of_care_date="2026-03-01"),
    ):
        assert scenario.post_start(body).status_code == 422
    assert scenario.find() == before
    assert scenario.get(kept["id"]).json()["history"] == kept["history"]


# -- bodies that are not what they should be ---------------------------------------------------


def test_body_that_is_not_json_is_a_422_naming_the_body(scenario: Scenario) -> None:
    r = scenario.client.post(
        "/api/v1/precerts",
        headers={**scenario.headers["doc_a"], "Content-Type": "application/json"},
        content=b'{"participant_id": "10000001",',
    )
    err = assert_error(r, 422, "VALIDATION_ERROR")
    assert [p["field"] for p in err["fields"]] == ["body"]
    assert scenario.find()["total"] == 0


GARBAGE: list[Any] = [
    [],
    [{"participant_id": "10000001"}],
    "a string",
    42,
    3.5,
    True,
    {"participant_id": {"nested": True}, "therapy": ["physical_therapy"]},
    {
        "participant_id": None,
        "prescriber_npi": None,
        "provider_npi": None,
        "procedure_codes": None,
        "diagnosis_codes": None,
        "units": None,
        "start_date": None,
        "decision": None,
        "note": None,
    },
    {
        "participant_id": 10000001,
        "prescriber_npi": 1234567893,
        "provider_npi": 1234567893,
        "therapy": 1,
        "diagnosis_codes": [1, 2],
        "procedure_codes": [97110],
        "units": "ten",
        "plan_of_care_date": 1,
        "start_date": 2,
        "decision": 1,
        "note": 2,
    },
    {"start_date": "9999-99-99", "units": -(10**40), "procedure_codes": [[]], "note": {}},
]

RAW_GARBAGE: list[bytes] = [
    b"",
    b"null",
    b"\xff\xfe\x00garbage",
    b"{" * 3,
    b"[" * 100_000 + b"]" * 100_000,
    b'{"units": NaN, "start_date": Infinity}',
    b'{"a": "\\ud800"}',
    b'{"participant_id": "\\ud800", "therapy": "\\udfff", "units": "\\ud800"}',
    b'{"note": "\\ud800", "decision": "deny"}',
]


def endpoints(scenario: Scenario) -> list[str]:
    open_one = scenario.start()["id"]
    return [
        "/api/v1/precerts",
        f"/api/v1/precerts/{open_one}/completion",
        f"/api/v1/precerts/{open_one}/review",
        f"/api/v1/precerts/{open_one}/cancellation",
    ]


@pytest.mark.parametrize("body", GARBAGE, ids=[f"json{i}" for i in range(len(GARBAGE))])
def test_garbage_json_is_a_422_on_every_endpoint(scenario: Scenario, body: Any) -> None:
    for path in endpoints(scenario):
        r = scenario.client.post(path, headers=scenario.headers["staff"], json=body)
        assert_error(r, 422, "VALIDATION_ERROR")
        assert r.json()["fields"], r.text
    assert scenario.find()["total"] == 1


@pytest.mark.parametrize("raw", RAW_GARBAGE, ids=[f"raw{i}" for i in range(len(RAW_GARBAGE))])
def test_garbage_bytes_are_a_422_on_every_endpoint(scenario: Scenario, raw: bytes) -> None:
    for path in endpoints(scenario):
        r = scenario.client.post(
            path,
            headers={**scenario.headers["staff"], "Content-Type": "application/json"},
            content=raw,
        )
        assert_error(r, 422, "VALIDATION_ERROR")
    assert scenario.find()["total"] == 1


@pytest.mark.parametrize("day", ["9999-12-31", "9999-01-01"])
def test_far_future_dates_are_never_a_500(scenario: Scenario, day: str) -> None:
    r = scenario.post_start(scenario.referral(start_date=day))
    assert r.status_code in (201, 422), r.text
    precert = scenario.start()
    body = scenario.completion(provider_npi=scenario.npis["pt"], start_date=day)
    r = scenario.post_complete(precert["id"], body, as_="staff")
    assert r.status_code in (200, 422), r.text


def test_staff_may_name_any_valid_npi_but_not_a_malformed_one(scenario: Scenario) -> None:
    assert scenario.start(as_="staff", prescriber_npi=UNROSTERED)["status"] == "denied"
    r = scenario.post_start(scenario.referral(prescriber_npi=BAD_CHECK_DIGIT), as_="staff")
    assert fields_of(r) == {"prescriber_npi"}


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/precerts?status=%00&therapy=%FF",
        "/api/v1/precerts?participant_id=1000%000001",
        "/api/v1/precerts?participant_id=" + "9" * 5000,
        "/api/v1/precerts/" + "x" * 5000,
        "/api/v1/precerts/PC-%00",
        "/api/v1/participants/1000%000001/units",
        "/api/v1/participants/10000001/units?year=%00",
        "/api/v1/participants/10000001/units?year=" + "9" * 5000,
    ],
    ids=[
        "nul-status",
        "nul-participant-filter",
        "long-participant-filter",
        "long-id",
        "nul-id",
        "nul-participant",
        "nul-year",
        "5000-digit-year",
    ],
)
def test_query_and_path_garbage_is_never_a_500(scenario: Scenario, path: str) -> None:
    r = scenario.client.get(path, headers=scenario.headers["staff"])
    assert r.status_code in (200, 404, 422), r.text


def test_note_with_a_nul_character_is_never_a_500(scenario: Scenario) -> None:
    precert = scenario.start()
    r = scenario.cancel(precert["id"], {"note": "called\u0000back"})
    assert r.status_code in (200, 422), r.text


def test_review_note_with_a_nul_character_is_never_a_500(scenario: Scenario) -> None:
    scenario.approved(units=10)
    second = scenario.complete(scenario.start(as_="doc_b"), as_="pt2")
    assert second["status"] == "pended"
    r = scenario.review(second["id"], {"decision": "deny", "note": "dup\u0000licate"})
    assert r.status_code in (200, 422), r.text
