"""POST /api/v1/precerts/{id}/cancellation: who may cancel what, and units given back."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from tests.api.conftest import Scenario, assert_error, codes_of, fields_of


def cancelled(scenario: Scenario, precert: dict[str, Any], as_: str) -> dict[str, Any]:
    r = scenario.cancel(precert["id"], {"note": "patient moved"}, as_=as_)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    assert body["status"] == "cancelled"
    return body


def test_staff_cancel_an_open_request(scenario: Scenario) -> None:
    body = cancelled(scenario, scenario.start(), "staff")
    assert codes_of(body)[-1] == "CANCELLED"
    event = body["history"][-1]
    assert event["action"] == "cancellation"
    assert event["from_status"] == "awaiting_provider"
    assert event["to_status"] == "cancelled"
    assert event["actor_role"] == "staff"
    assert event["note"] == "patient moved"
    assert [e["action"] for e in body["history"]] == ["referral", "cancellation"]


def test_staff_cancel_by_phone_is_recorded_as_phone(scenario: Scenario) -> None:
    precert = scenario.start()
    r = scenario.cancel(precert["id"], {"note": "caller asked", "channel": "phone"})
    assert r.status_code == 200, r.text
    assert r.json()["history"][-1]["channel"] == "phone"


def test_staff_cancelling_an_approved_request_releases_its_units(scenario: Scenario) -> None:
    done = scenario.approved(units=40)
    assert scenario.units()["authorized"] == 40
    body = cancelled(scenario, done, "staff")
    assert body["history"][-1]["from_status"] == "approved"
    units = scenario.units()
    assert units["authorized"] == 0
    assert units["remaining"] == 120
    assert units["by_therapy"]["physical_therapy"] == 0


def test_staff_cancel_a_pended_request(scenario: Scenario) -> None:
    scenario.approved(units=10)
    second = scenario.complete(scenario.start(as_="doc_b"), as_="pt2")
    assert second["status"] == "pended"
    cancelled(scenario, second, "staff")
    assert scenario.units()["authorized"] == 10


def test_released_units_can_be_authorized_again(scenario: Scenario) -> None:
    first = scenario.approved(units=120)
    cancelled(scenario, first, "staff")
    again = scenario.approved("chiropractic", units=120)
    assert again["status"] == "approved"
    assert again["approved_units"] == 120


def test_physician_cancels_their_own_open_request(scenario: Scenario) -> None:
    body = cancelled(scenario, scenario.start(), "doc_a")
    assert body["history"][-1]["actor_role"] == "physician"


def test_physician_may_not_cancel_their_own_approved_request(scenario: Scenario) -> None:
    done = scenario.approved()
    assert_error(scenario.cancel(done["id"], as_="doc_a"), 403, "FORBIDDEN")
    assert scenario.get(done["id"]).json()["status"] == "approved"


def test_physician_may_not_cancel_their_own_pended_request(scenario: Scenario) -> None:
    scenario.approved(units=10)
    second = scenario.complete(scenario.start(), as_="pt2")
    assert second["status"] == "pended"
    assert_error(scenario.cancel(second["id"], as_="doc_a"), 403, "FORBIDDEN")


def test_physician_cannot_cancel_another_physicians_request(scenario: Scenario) -> None:
    precert = scenario.start()
    assert_error(scenario.cancel(precert["id"], as_="doc_b"), 404, "NOT_FOUND")
    assert scenario.get(precert["id"]).json()["status"] == "awaiting_provider"


def test_provider_cancels_the_approval_it_holds_and_releases_units(scenario: Scenario) -> None:
    done = scenario.approved(units=30)
    body = cancelled(scenario, done, "pt")
    assert body["history"][-1]["actor_role"] == "provider"
    assert body["history"][-1]["from_status"] == "approved"
    assert scenario.units()["authorized"] == 0


def test_provider_cancels_a_partial_approval_it_holds_and_releases_units(
    scenario: Scenario,
) -> None:
    scenario.approved("chiropractic", units=100)
    done = scenario.approved(units=30)
    assert done["status"] == "partially_approved"
    assert scenario.units()["authorized"] == 120
    cancelled(scenario, done, "pt")
    assert scenario.units()["authorized"] == 100


def test_provider_may_not_cancel_a_pended_request_it_holds(scenario: Scenario) -> None:
    scenario.approved(units=10)
    second = scenario.complete(scenario.start(as_="doc_b"), as_="pt2")
    assert_error(scenario.cancel(second["id"], as_="pt2"), 403, "FORBIDDEN")


def test_provider_may_not_cancel_an_open_request_it_can_see(scenario: Scenario) -> None:
    precert = scenario.start()
    assert scenario.get(precert["id"], as_="pt").status_code == 200
    assert_error(scenario.cancel(precert["id"], as_="pt"), 403, "FORBIDDEN")


def test_provider_cannot_cancel_an_open_request_of_another_therapy(scenario: Scenario) -> None:
    precert = scenario.start()
    assert_error(scenario.cancel(precert["id"], as_="chiro"), 404, "NOT_FOUND")


def test_other_provider_cannot_cancel_an_approval(scenario: Scenario) -> None:
    done = scenario.approved()
    assert_error(scenario.cancel(done["id"], as_="pt2"), 404, "NOT_FOUND")
    assert_error(scenario.cancel(done["id"], as_="chiro"), 404, "NOT_FOUND")


def test_admin_cannot_cancel(scenario: Scenario) -> None:
    assert_error(scenario.cancel(scenario.start()["id"], as_="admin"), 403, "FORBIDDEN")


def test_cancelling_an_unknown_request_is_a_404(scenario: Scenario) -> None:
    assert_error(scenario.cancel("PC-0000000000"), 404, "NOT_FOUND")


# -- closed requests: 409 PRECERT_CLOSED -------------------------------------------------------


def test_cancelling_twice_is_a_409_closed(scenario: Scenario) -> None:
    precert = scenario.start()
    cancelled(scenario, precert, "staff")
    assert_error(scenario.cancel(precert["id"]), 409, "PRECERT_CLOSED")


def test_cancelling_a_denied_request_is_a_409_closed(scenario: Scenario) -> None:
    denied = scenario.start(diagnosis_codes=["Z00.00"])
    assert_error(scenario.cancel(denied["id"]), 409, "PRECERT_CLOSED")


def test_cancelling_an_expired_request_is_a_409_closed(scenario: Scenario) -> None:
    precert = scenario.start()
    with scenario.later(date(2026, 6, 1)) as later:
        r = later.post(
            f"/api/v1/precerts/{precert['id']}/cancellation",
            headers=scenario.headers["staff"],
            json={"note": "late"},
        )
        assert_error(r, 409, "PRECERT_CLOSED")


def test_cancelled_request_cannot_be_completed(scenario: Scenario) -> None:
    precert = scenario.start()
    cancelled(scenario, precert, "doc_a")
    body = scenario.completion(provider_npi=scenario.npis["pt"])
    assert_error(scenario.post_complete(precert["id"], body, as_="staff"), 409, "PRECERT_NOT_OPEN")


# -- the note ----------------------------------------------------------------------------------


@pytest.mark.parametrize("body", [{}, {"note": ""}, {"note": 5}, {"note": None}, []])
def test_cancellation_needs_a_note(scenario: Scenario, body: Any) -> None:
    precert = scenario.start()
    r = scenario.client.post(
        f"/api/v1/precerts/{precert['id']}/cancellation",
        headers=scenario.headers["staff"],
        json=body,
    )
    assert_error(r, 422, "VALIDATION_ERROR")
    assert fields_of(r) <= {"note", "body"} and fields_of(r)
    assert scenario.get(precert["id"]).json()["status"] == "awaiting_provider"


def test_forbidden_cancellation_is_a_403_before_the_422(scenario: Scenario) -> None:
    done = scenario.approved()
    r = scenario.client.post(
        f"/api/v1/precerts/{done['id']}/cancellation", headers=scenario.headers["doc_a"], json={}
    )
    assert_error(r, 403, "FORBIDDEN")
