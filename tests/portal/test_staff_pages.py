"""The Pre-Certification Unit's pages: the work queue, review, and the participant page."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from precert.config import Settings
from precert.db import as_utc, transaction
from precert.models import Precert, UnitLedger
from precert.web.templating import local_time
from tests.portal.conftest import (
    FIRST_NAME,
    OTHER_PARTICIPANT,
    PARTICIPANT,
    Cast,
    csrf_of,
    hidden,
    problem_next_to,
    status_of,
    typed,
)

ZONE = Settings().timezone  # the wall clock the pages show times on


def review(client: TestClient, precert_id: str, **fields: str) -> Any:
    page = client.get(f"/precerts/{precert_id}")
    assert page.status_code == 200, page.text
    form = {"csrf_token": csrf_of(page.text), **fields}
    return client.post(f"/precerts/{precert_id}/review", data=form)


def queue_rows(html: str) -> list[str]:
    """Return the rows of the work queue table, in order."""
    body = html.split("Pended requests waiting for a decision", 1)[1]
    return re.findall(r'<tr[^>]*>\s*<td[^>]*><a href="/precerts/.*?</tr>', body, re.S)


# ---- the work queue -------------------------------------------------------------------


def test_a_pended_request_waits_in_the_work_queue_with_its_time_left(cast: Cast) -> None:
    cast.approved()
    pended = cast.pended(units=30)
    with cast.signed_in("staff") as client:
        home = client.get("/")
    assert home.status_code == 200
    [row] = queue_rows(home.text)
    assert f'href="/precerts/{pended["id"]}"' in row
    assert f"{PARTICIPANT} {FIRST_NAME}" in row
    assert "<td>30</td>" in row and "Standard" in row
    assert "6 days 23 hours left" in row  # 7 days from when it was pended, a moment ago
    at = as_utc(cast.events(pended["id"])[-1].at)
    assert f"by {local_time(at + timedelta(days=7), ZONE)}" in row


def test_the_queue_is_oldest_first_and_an_expedited_request_is_due_in_72_hours(
    cast: Cast,
) -> None:
    cast.approved()
    older = cast.pended(priority="standard")
    urgent = cast.pended(priority="expedited")
    with cast.signed_in("staff") as client:
        home = client.get("/")
        page = client.get(f"/precerts/{urgent['id']}")
    rows = queue_rows(home.text)
    assert len(rows) == 2
    assert older["id"] in rows[0] and urgent["id"] in rows[1]
    assert "Expedited" in rows[1] and "2 days 23 hours left" in rows[1]
    pended_at = as_utc(cast.events(urgent["id"])[-1].at)
    due = local_time(pended_at + timedelta(hours=72), ZONE)
    assert f"by {due}" in rows[1]
    shown = re.search(r"<dt>Decision due</dt><dd>([^<]*)</dd>", page.text)
    assert shown and shown.group(1).startswith(due), page.text


def test_an_empty_queue_says_so(cast: Cast) -> None:
    cast.approved()
    with cast.signed_in("staff") as client:
        home = client.get("/")
    assert "No pended requests: the queue is empty." in home.text


# ---- review ---------------------------------------------------------------------------


def test_the_pended_request_page_shows_every_reason_and_the_review_form(cast: Cast) -> None:
    first = cast.approved()
    pended = cast.pended()
    with cast.signed_in("staff") as client:
        page = client.get(f"/precerts/{pended['id']}")
    assert status_of(page.text) == "pended"
    assert pended["reasons"]
    for reason in pended["reasons"]:
        assert reason["code"] in page.text and reason["message"] in page.text
    assert "DUPLICATE_AUTHORIZATION" in page.text and first["id"] in page.text
    assert f'action="/precerts/{pended["id"]}/review"' in page.text


def test_a_review_needs_a_note(cast: Cast) -> None:
    cast.approved()
    pended = cast.pended()
    with cast.signed_in("staff") as client:
        answer = review(client, pended["id"], decision="approve", units="5", note="  ")
    assert answer.status_code == 422, answer.text
    assert problem_next_to(answer.text, "note")
    assert typed(answer.text, "units") == "5"
    assert 'value="approve" id="decision" checked' in answer.text
    assert cast.precert(pended["id"]).status == "pended"
    assert len(cast.events(pended["id"])) == 2


def test_review_cannot_approve_more_units_than_requested(cast: Cast) -> None:
    cast.approved()
    pended = cast.pended(units=8)
    with cast.signed_in("staff") as client:
        answer = review(client, pended["id"], decision="approve", units="9", note="more")
    assert answer.status_code == 422
    assert "8 units requested" in problem_next_to(answer.text, "units")
    assert cast.precert(pended["id"]).status == "pended"


@pytest.mark.parametrize("units", ["0", "abc", pytest.param("²", id="superscript-2")])
def test_bad_review_units_are_shown_next_to_the_field(cast: Cast, units: str) -> None:
    cast.approved()
    pended = cast.pended()
    with cast.signed_in("staff", raises=False) as client:
        answer = review(client, pended["id"], decision="approve", units=units, note="fewer")
    assert answer.status_code == 422, answer.text
    assert problem_next_to(answer.text, "units")
    assert typed(answer.text, "units") == units
    assert cast.precert(pended["id"]).status == "pended"


def test_staff_approve_fewer_units(cast: Cast) -> None:
    cast.approved(units=8)
    pended = cast.pended(units=30)
    with cast.signed_in("staff") as client:
        answer = review(client, pended["id"], decision="approve", units="12", note="fewer")
        assert answer.status_code == 303
        assert answer.headers["location"] == f"/precerts/{pended['id']}"
        page = client.get(answer.headers["location"])
    assert status_of(page.text) == "partially_approved"
    assert '<dd class="approved-units">12 units (180 minutes)</dd>' in page.text
    assert "UNITS_REDUCED_ON_REVIEW" in page.text
    assert f"/precerts/{pended['id']}/review" not in page.text  # decided: no form any more
    stored = cast.precert(pended["id"])
    assert (stored.status, stored.approved_units) == ("partially_approved", 12)
    event = cast.events(pended["id"])[-1]
    assert (event.action, event.note, event.channel) == ("review", "fewer", "web")
    assert event.actor_user_id == cast.ids["staff"]
    assert cast.count(UnitLedger) == 1
    with cast.signed_in("staff") as client:
        units = client.get(f"/participants/{PARTICIPANT}")
    assert "20 of the 120-unit limit" in units.text


def test_staff_deny_a_pended_request(cast: Cast) -> None:
    cast.approved()
    pended = cast.pended()
    with cast.signed_in("staff") as client:
        answer = review(client, pended["id"], decision="deny", note="same therapy twice")
        page = client.get(f"/precerts/{pended['id']}")
    assert answer.status_code == 303
    assert status_of(page.text) == "denied"
    assert "same therapy twice" in page.text
    stored = cast.precert(pended["id"])
    assert (stored.status, stored.approved_units) == ("denied", 0)
    assert cast.events(pended["id"])[-1].note == "same therapy twice"


def test_only_staff_review(cast: Cast) -> None:
    cast.approved()
    pended = cast.pended()
    with cast.signed_in("doc_b") as client:
        page = client.get(f"/precerts/{pended['id']}")
        answer = client.post(
            f"/precerts/{pended['id']}/review",
            data={"csrf_token": csrf_of(page.text), "decision": "approve", "note": "mine"},
        )
    assert page.status_code == 200 and "/review" not in page.text
    assert answer.status_code == 403
    assert cast.precert(pended["id"]).status == "pended"


def test_review_without_the_sessions_csrf_token_is_refused(cast: Cast) -> None:
    cast.approved()
    pended = cast.pended()
    with cast.signed_in("staff") as client:
        for token in ({}, {"csrf_token": "forged"}):
            answer = client.post(
                f"/precerts/{pended['id']}/review",
                data={**token, "decision": "approve", "note": "ok"},
            )
            assert answer.status_code == 403
            assert "That form could not be accepted" in answer.text
    assert cast.precert(pended["id"]).status == "pended"
    assert len(cast.events(pended["id"])) == 2


# ---- the participant page -------------------------------------------------------------


def test_searching_a_participant_leads_to_their_page(cast: Cast) -> None:
    with cast.signed_in("staff") as client:
        found = client.get("/participants", params={"participant_id": PARTICIPANT})
        malformed = client.get("/participants", params={"participant_id": "12ab"})
        unknown = client.get("/participants", params={"participant_id": "99999999"})
    assert found.status_code == 303
    assert found.headers["location"] == f"/participants/{PARTICIPANT}"
    assert malformed.status_code == 422 and problem_next_to(malformed.text, "participant_id")
    assert typed(malformed.text, "participant_id") == "12ab"
    assert unknown.status_code == 422
    assert "99999999" in problem_next_to(unknown.text, "participant_id")


def test_the_participant_page_charts_the_units_and_lists_every_request(cast: Cast) -> None:
    approved = cast.approved(units=8)
    waiting = cast.started("doc_b", therapy="acupuncture")
    denied = cast.completed(cast.started(therapy="chiropractic"), "chiro", units=4)
    assert denied["status"] == "denied"
    elsewhere = cast.started(participant_id=OTHER_PARTICIPANT)
    with cast.signed_in("staff") as client:
        page = client.get(f"/participants/{PARTICIPANT}")
    assert page.status_code == 200
    svg = re.search(r'<svg class="chart" role="img" aria-label="([^"]+)"', page.text)
    assert svg, "the chart is an image with a text alternative"
    label = svg.group(1)
    assert "benefit year 2026-01-01 to 2026-12-31" in label
    assert "physical therapy 8, chiropractic 0, acupuncture 0" in label
    assert "8 of the 120-unit limit, 112 remaining" in label
    assert "Every request (3)" in page.text
    for p in (approved, waiting, denied):
        assert f'<a href="/precerts/{p["id"]}">' in page.text
    assert elsewhere["id"] not in page.text
    assert 'data-status="approved"' in page.text and 'data-status="denied"' in page.text
    assert 'data-status="awaiting_provider"' in page.text


def test_an_overdue_request_is_marked_in_the_queue(cast: Cast) -> None:
    cast.approved()
    late = cast.pended()
    with transaction(cast.world.sessions) as s:
        stored = s.get(Precert, late["id"])
        assert stored is not None
        stored.updated_at = datetime.now(UTC) - timedelta(days=8)
    with cast.signed_in("staff") as client:
        home = client.get("/")
    [row] = queue_rows(home.text)
    assert row.startswith('<tr class="overdue">')
    assert "<strong>Overdue:</strong> overdue by 1 day" in row


def test_a_second_post_of_a_review_says_it_is_already_decided(cast: Cast) -> None:
    """A double click on "Record decision", or two staff deciding at once: one decision."""
    cast.approved()
    pended = cast.pended()
    with cast.signed_in("staff") as client:
        page = client.get(f"/precerts/{pended['id']}")
        form = {"csrf_token": csrf_of(page.text), "decision": "approve", "note": "ok"}
        first = client.post(f"/precerts/{pended['id']}/review", data=form)
        second = client.post(f"/precerts/{pended['id']}/review", data=form)
    assert first.status_code == 303
    assert [e.action for e in cast.events(pended["id"])] == ["referral", "completion", "review"]
    # Either the second post lands on the decision (like steps 1 and 2), or it says why not.
    if second.status_code != 303:
        assert second.status_code == 409
        assert "not pended for review" in second.text, "the 409 page does not say why"


def test_staff_complete_step_two_for_a_caller_as_a_phone_request(cast: Cast) -> None:
    started = cast.started()
    with cast.signed_in("staff") as client:
        page = client.get(f"/precerts/{started['id']}/complete")
        form = {
            "csrf_token": csrf_of(page.text),
            "form_key": hidden(page.text, "form_key"),
            "procedure_codes": "97110",
            "units": "8",
            "start_date": started["start_date"],
        }
        missing = client.post(f"/precerts/{started['id']}/complete", data=form)
        done = client.post(
            f"/precerts/{started['id']}/complete", data={**form, "provider_npi": cast.npis["pt"]}
        )
    assert missing.status_code == 422 and problem_next_to(missing.text, "provider_npi")
    assert done.status_code == 303
    stored = cast.precert(started["id"])
    assert (stored.status, stored.provider_npi) == ("approved", cast.npis["pt"])
    event = cast.events(started["id"])[-1]
    assert (event.channel, event.actor_user_id) == ("phone", cast.ids["staff"])


@pytest.mark.parametrize("year", ["2025", "abc", pytest.param("²⁰²⁶", id="superscript-2026")])
def test_the_participant_page_of_another_year(cast: Cast, year: str) -> None:
    cast.approved()
    with cast.signed_in("staff", raises=False) as client:
        page = client.get(f"/participants/{PARTICIPANT}", params={"year": year})
    if year == "2025":
        assert page.status_code == 200
        assert "0 of the 120-unit limit, 120 remaining" in page.text
        assert "benefit year 2025-01-01 to 2025-12-31" in page.text
    else:  # a year that is not four digits is the visitor's mistake, never a server error
        assert page.status_code == 422, page.text
        assert "four-digit year" in page.text
