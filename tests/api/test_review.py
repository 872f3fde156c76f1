"""Duplicates pend; staff review them: POST /api/v1/precerts/{id}/review."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import Scenario, assert_error, codes_of, fields_of


def pended(scenario: Scenario, units: int = 30, held: int = 10) -> dict[str, Any]:
    """Approve `held` units of physical therapy, then pend a second overlapping request."""
    scenario.approved(units=held)
    second = scenario.start(as_="doc_b")
    done = scenario.complete(second, as_="pt2", units=units)
    assert done["status"] == "pended", done
    return done


def test_overlapping_request_for_the_same_therapy_is_pended(scenario: Scenario) -> None:
    first = scenario.approved(units=10)
    second = scenario.start(as_="doc_b")
    done = scenario.complete(second, as_="pt2", units=30)
    assert done["status"] == "pended"
    assert codes_of(done) == ["DUPLICATE_AUTHORIZATION"]
    assert first["id"] in done["reasons"][0]["message"]
    assert done["approved_units"] is None
    assert done["approved_minutes"] is None
    assert done["requested_units"] == 30
    assert done["procedure_codes"] == ["97110"]
    assert done["end_date"] == "2027-03-09"


def test_pended_request_holds_no_units(scenario: Scenario) -> None:
    pended(scenario, units=30, held=10)
    units = scenario.units()
    assert units["authorized"] == 10
    assert units["by_therapy"]["physical_therapy"] == 10


def test_staff_approve_a_pended_request(scenario: Scenario) -> None:
    done = pended(scenario, units=30, held=10)
    r = scenario.review(done["id"], {"decision": "approve", "note": "second clinic, agreed"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "approved"
    assert body["approved_units"] == 30
    assert body["approved_minutes"] == 450
    assert body["procedure_codes"] == ["97110"]
    event = body["history"][-1]
    assert event["action"] == "review"
    assert event["from_status"] == "pended"
    assert event["to_status"] == "approved"
    assert event["actor_role"] == "staff"
    assert event["note"] == "second clinic, agreed"
    assert event["inputs"]["decision"] == "approve"
    assert [e["action"] for e in body["history"]] == ["referral", "completion", "review"]
    assert scenario.units()["authorized"] == 40


def test_review_for_a_caller_is_recorded_as_phone(scenario: Scenario) -> None:
    done = pended(scenario)
    body = {"decision": "deny", "note": "provider called", "channel": "phone"}
    r = scenario.review(done["id"], body)
    assert r.status_code == 200, r.text
    assert r.json()["history"][-1]["channel"] == "phone"


def test_staff_approve_fewer_units_than_requested(scenario: Scenario) -> None:
    done = pended(scenario, units=30)
    r = scenario.review(done["id"], {"decision": "approve", "units": 12, "note": "fewer"})
    body = r.json()
    assert body["status"] == "partially_approved"
    assert body["approved_units"] == 12
    assert "UNITS_REDUCED_ON_REVIEW" in codes_of(body)
    assert scenario.units()["authorized"] == 22


def test_staff_deny_a_pended_request(scenario: Scenario) -> None:
    done = pended(scenario, units=30)
    r = scenario.review(done["id"], {"decision": "deny", "note": "true duplicate"})
    body = r.json()
    assert body["status"] == "denied"
    assert body["approved_units"] == 0
    assert body["procedure_codes"] == []
    assert "DENIED_ON_REVIEW" in codes_of(body)
    assert body["history"][-1]["note"] == "true duplicate"
    assert scenario.units()["authorized"] == 10


def test_limit_is_checked_again_when_staff_approve(scenario: Scenario) -> None:
    done = pended(scenario, units=50, held=50)
    scenario.approved("chiropractic", units=50)
    r = scenario.review(done["id"], {"decision": "approve", "note": "ok"})
    body = r.json()
    assert body["status"] == "partially_approved"
    assert body["approved_units"] == 20
    assert "UNITS_REDUCED_TO_LIMIT" in codes_of(body)
    assert scenario.units()["authorized"] == 120


def test_approval_when_the_limit_is_used_up_is_denied(scenario: Scenario) -> None:
    done = pended(scenario, units=30, held=60)
    scenario.approved("chiropractic", units=60)
    r = scenario.review(done["id"], {"decision": "approve", "note": "ok"})
    body = r.json()
    assert body["status"] == "denied"
    assert body["approved_units"] == 0
    assert "ANNUAL_LIMIT_REACHED" in codes_of(body)
    assert scenario.units()["authorized"] == 120


# -- errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"decision": "approve"}, {"note"}),
        ({"decision": "approve", "note": ""}, {"note"}),
        ({"decision": "approve", "note": "   "}, {"note"}),
        ({"decision": "approve", "note": None}, {"note"}),
        ({"decision": "maybe", "note": "x"}, {"decision"}),
        ({"note": "x"}, {"decision"}),
        ({"decision": "approve", "units": 0, "note": "x"}, {"units"}),
        ({"decision": "approve", "units": "5", "note": "x"}, {"units"}),
        ({"decision": "maybe", "units": 0}, {"decision", "units", "note"}),
    ],
)
def test_bad_review_is_a_422_naming_every_field(
    scenario: Scenario, body: dict[str, Any], fields: set[str]
) -> None:
    done = pended(scenario)
    r = scenario.review(done["id"], body)
    assert_error(r, 422, "VALIDATION_ERROR")
    assert fields_of(r) == fields
    assert scenario.get(done["id"]).json()["status"] == "pended"


def test_more_units_than_requested_is_a_422(scenario: Scenario) -> None:
    done = pended(scenario, units=30)
    r = scenario.review(done["id"], {"decision": "approve", "units": 31, "note": "x"})
    body = assert_error(r, 422, "VALIDATION_ERROR")
    assert fields_of(r) == {"units"}
    assert "30" in body["fields"][0]["message"]


@pytest.mark.parametrize("who", ["doc_a", "doc_b", "pt", "pt2", "admin"])
def test_only_staff_review(scenario: Scenario, who: str) -> None:
    done = pended(scenario)
    r = scenario.review(done["id"], {"decision": "approve", "note": "x"}, as_=who)
    assert_error(r, 403, "FORBIDDEN")


def test_reviewing_an_unknown_request_is_a_404(scenario: Scenario) -> None:
    r = scenario.review("PC-0000000000", {"decision": "approve", "note": "x"})
    assert_error(r, 404, "NOT_FOUND")


def test_reviewing_a_request_that_is_not_pended_is_a_409(scenario: Scenario) -> None:
    open_one = scenario.start()
    approved = scenario.approved("chiropractic")
    for precert in (open_one, approved):
        r = scenario.review(precert["id"], {"decision": "approve", "note": "x"})
        assert_error(r, 409, "PRECERT_NOT_PENDED")


def test_reviewing_twice_is_a_409(scenario: Scenario) -> None:
    done = pended(scenario)
    assert scenario.review(done["id"], {"decision": "deny", "note": "no"}).status_code == 200
    r = scenario.review(done["id"], {"decision": "approve", "note": "changed my mind"})
    assert_error(r, 409, "PRECERT_NOT_PENDED")


def test_bad_review_body_on_an_open_request_is_a_422_before_the_409(scenario: Scenario) -> None:
    r = scenario.review(scenario.start()["id"], {"decision": "approve"})
    assert_error(r, 422, "VALIDATION_ERROR")
