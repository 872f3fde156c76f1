"""The request pages: step 1 by form, finding and completing step 2, the decision page.

Every failure a person can cause is shown next to its field, keeps what they typed, answers 422
and stores nothing; a second post of the same form (a double click) finds the first's result.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from precert.models import Precert, PrecertEvent
from tests.portal.conftest import (
    PARTICIPANT,
    PLAN,
    PT_CODES,
    START,
    Cast,
    csrf_of,
    hidden,
    problem_next_to,
    status_of,
    typed,
)

PRECERT_PATH = re.compile(r"^/precerts/(PC-[A-Z0-9]+)$")


def step_one(client: TestClient, **fields: Any) -> dict[str, Any]:
    """Return the step-1 form as the page hands it out, filled in validly, with `fields`."""
    page = client.get("/precerts/new")
    assert page.status_code == 200, page.text
    form: dict[str, Any] = {
        "csrf_token": csrf_of(page.text),
        "form_key": hidden(page.text, "form_key"),
        "participant_id": PARTICIPANT,
        "therapy": "physical_therapy",
        "diagnosis_codes": "M54.50, M54.6",
        "plan_of_care_date": PLAN,
        "start_date": START,
        "priority": "standard",
        "action": "submit",
    }
    form.update(fields)
    return form


def step_two(client: TestClient, precert_id: str, **fields: Any) -> dict[str, Any]:
    """Return the completion form of `precert_id`, filled in validly, with `fields`."""
    page = client.get(f"/precerts/{precert_id}/complete")
    assert page.status_code == 200, page.text
    form: dict[str, Any] = {
        "csrf_token": csrf_of(page.text),
        "form_key": hidden(page.text, "form_key"),
        "procedure_codes": ["97110", "97530"],
        "units": "8",
        "start_date": START,
    }
    form.update(fields)
    return form


def made_by(answer: Any) -> str:
    """Return the ID of the request a 303 answer points at."""
    assert answer.status_code == 303, answer.text
    found = PRECERT_PATH.match(answer.headers["location"])
    assert found, answer.headers["location"]
    return found.group(1)


def offered_codes(html: str) -> list[tuple[str, str]]:
    """Return the (value, label) of every procedure-code checkbox."""
    return re.findall(
        r'<label class="choice"><input type="checkbox" name="procedure_codes" value="([^"]+)"'
        r"[^>]*>([^<]*)</label>",
        html,
    )


# ---- step 1 -------------------------------------------------------------------------------


def test_physician_starts_a_request_by_form(cast: Cast) -> None:
    with cast.signed_in("doc_a") as client:
        answer = client.post("/precerts/new", data=step_one(client))
        made = made_by(answer)
        page = client.get(f"/precerts/{made}")
    assert page.status_code == 200
    assert status_of(page.text) == "awaiting_provider"
    assert made in page.text and f"NPI {cast.npis['doc_a']}" in page.text
    stored = cast.precert(made)
    assert stored.prescriber_npi == cast.npis["doc_a"]
    assert stored.diagnosis_codes == ["M54.50", "M54.6"]
    assert stored.status == "awaiting_provider"
    first = cast.events(made)[0]
    assert (first.action, first.channel) == ("referral", "web")
    assert first.actor_user_id == cast.ids["doc_a"] and first.actor_role == "physician"


def test_looking_up_a_participant_and_adding_a_diagnosis_store_nothing(cast: Cast) -> None:
    with cast.signed_in("doc_a") as client:
        looked = client.post("/precerts/new", data=step_one(client, action="lookup"))
        added = client.post(
            "/precerts/new",
            data=step_one(client, diagnosis_codes="M54.50", action="add:M54.6"),
        )
    assert looked.status_code == 200 and "Zelda Quixote" in looked.text
    assert "120 of 120 in the benefit year 2026-01-01 to 2026-12-31" in looked.text
    assert added.status_code == 200
    assert typed(added.text, "diagnosis_codes") == "M54.50, M54.6"
    assert cast.count(Precert) == 0


STEP_ONE_FAILURES = [
    ("participant_id", "99999999", "no MO HealthNet participant has ID 99999999"),
    ("participant_id", "1234", "1234"),
    ("diagnosis_codes", "XYZ", "not an ICD-10-CM code"),
    ("start_date", "2026-02-30", ""),
    ("start_date", "2026-03-01", "before today"),
]


@pytest.mark.parametrize(("name", "value", "says"), STEP_ONE_FAILURES)
def test_a_step_one_mistake_is_shown_next_to_its_field_and_nothing_is_stored(
    cast: Cast, name: str, value: str, says: str
) -> None:
    with cast.signed_in("doc_a") as client:
        answer = client.post("/precerts/new", data=step_one(client, **{name: value}))
    assert answer.status_code == 422, answer.text
    assert says in problem_next_to(answer.text, name)
    assert typed(answer.text, name) == value
    assert "Nothing was stored" in answer.text
    assert cast.count(Precert) == 0


def test_staff_step_one_needs_a_prescriber_npi_with_a_good_check_digit(cast: Cast) -> None:
    good = cast.npis["doc_a"]
    bad = good[:-1] + str((int(good[-1]) + 1) % 10)
    with cast.signed_in("staff") as client:
        wrong = client.post("/precerts/new", data=step_one(client, prescriber_npi=bad))
        missing = client.post("/precerts/new", data=step_one(client, prescriber_npi=""))
    assert wrong.status_code == 422
    assert "check digit" in problem_next_to(wrong.text, "prescriber_npi")
    assert typed(wrong.text, "prescriber_npi") == bad
    assert missing.status_code == 422
    assert problem_next_to(missing.text, "prescriber_npi")
    assert cast.count(Precert) == 0


def test_staff_enter_step_one_for_a_caller_as_a_phone_request(cast: Cast) -> None:
    with cast.signed_in("staff") as client:
        form = step_one(client, prescriber_npi=cast.npis["doc_b"])
        made = made_by(client.post("/precerts/new", data=form))
    assert cast.precert(made).prescriber_npi == cast.npis["doc_b"]
    first = cast.events(made)[0]
    assert (first.channel, first.actor_user_id, first.actor_role) == (
        "phone",
        cast.ids["staff"],
        "staff",
    )


def test_posting_step_one_twice_makes_one_request(cast: Cast) -> None:
    with cast.signed_in("doc_a") as client:
        form = step_one(client)
        first = made_by(client.post("/precerts/new", data=form))
        second = made_by(client.post("/precerts/new", data=form))
    assert first == second
    assert cast.count(Precert) == 1
    assert cast.count(PrecertEvent) == 1


# ---- finding and completing (step 2) ---------------------------------------------------


def test_provider_finds_and_completes_a_request(cast: Cast) -> None:
    started = cast.started()
    with cast.signed_in("pt") as client:
        found = client.get("/precerts/find", params={"participant_id": PARTICIPANT})
        assert found.status_code == 200
        assert f'<a class="button small" href="/precerts/{started["id"]}/complete"' in found.text
        form_page = client.get(f"/precerts/{started['id']}/complete")
        assert offered_codes(form_page.text) == [(code, code) for code in PT_CODES]
        answer = client.post(
            f"/precerts/{started['id']}/complete", data=step_two(client, started["id"])
        )
        assert made_by(answer) == started["id"]
        page = client.get(f"/precerts/{started['id']}")
    api = cast.api("GET", f"/precerts/{started['id']}", "staff")
    assert api["status"] == "approved" and api["end_date"] == "2027-03-01"
    assert status_of(page.text) == "approved"
    assert '<dd class="approved-units">8 units (120 minutes)</dd>' in page.text
    assert f'<dd class="period">{START} to {api["end_date"]}</dd>' in page.text
    assert "97110, 97530" in page.text
    for reason in api["reasons"]:
        assert reason["code"] in page.text and reason["message"] in page.text
    if not api["reasons"]:
        assert "No reasons: every rule was met." in page.text
    stored = cast.precert(started["id"])
    assert stored.provider_npi == cast.npis["pt"]
    assert stored.procedure_codes == ["97110", "97530"] and stored.approved_units == 8
    completion = cast.events(started["id"])[-1]
    assert (completion.action, completion.channel) == ("completion", "web")


def test_completion_form_offers_only_the_therapys_codes_in_use(cast: Cast) -> None:
    started = cast.started(therapy="chiropractic")
    with cast.signed_in("chiro") as client:
        page = client.get(f"/precerts/{started['id']}/complete")
    offered = offered_codes(page.text)
    assert all(value == label for value, label in offered)
    codes = [value for value, _ in offered]
    assert "98940" in codes and "99202" in codes
    assert "99201" not in codes  # deleted from CPT on 2021-01-01
    assert not set(codes) & set(PT_CODES)


# "²" passes str.isdigit() but not int(): typed or pasted, it must be a problem, not a 500.
@pytest.mark.parametrize("units", ["0", "500", "abc", pytest.param("²", id="superscript-2")])
def test_bad_units_are_shown_next_to_the_field_and_nothing_is_stored(
    cast: Cast, units: str
) -> None:
    started = cast.started()
    with cast.signed_in("pt", raises=False) as client:
        answer = client.post(
            f"/precerts/{started['id']}/complete",
            data=step_two(client, started["id"], units=units),
        )
    assert answer.status_code == 422, answer.text
    assert problem_next_to(answer.text, "units")
    assert typed(answer.text, "units") == units
    assert 'value="97110" checked' in answer.text and 'value="97530" checked' in answer.text
    assert 'value="97161" checked' not in answer.text
    assert cast.precert(started["id"]).status == "awaiting_provider"
    assert len(cast.events(started["id"])) == 1


def test_a_completion_date_that_does_not_exist_is_shown_next_to_the_field(cast: Cast) -> None:
    started = cast.started()
    with cast.signed_in("pt") as client:
        answer = client.post(
            f"/precerts/{started['id']}/complete",
            data=step_two(client, started["id"], start_date="2026-02-30"),
        )
    assert answer.status_code == 422
    assert problem_next_to(answer.text, "start_date")
    assert typed(answer.text, "start_date") == "2026-02-30"
    assert cast.precert(started["id"]).status == "awaiting_provider"


def test_posting_step_two_twice_completes_once(cast: Cast) -> None:
    started = cast.started()
    with cast.signed_in("pt") as client:
        form = step_two(client, started["id"])
        first = client.post(f"/precerts/{started['id']}/complete", data=form)
        second = client.post(f"/precerts/{started['id']}/complete", data=form)
    assert made_by(first) == made_by(second) == started["id"]
    assert [e.action for e in cast.events(started["id"])] == ["referral", "completion"]
    assert cast.precert(started["id"]).approved_units == 8


# ---- CSRF -----------------------------------------------------------------------------


def _refused(answer: Any) -> None:
    assert answer.status_code == 403
    assert "That form could not be accepted" in answer.text


def test_step_one_without_the_sessions_csrf_token_is_refused(cast: Cast) -> None:
    with cast.signed_in("doc_a") as client:
        form = step_one(client)
        for token in (None, "forged", csrf_of(client.get("/login").text)):
            if token is None:
                del form["csrf_token"]
            else:
                form["csrf_token"] = token
            _refused(client.post("/precerts/new", data=form))
    assert cast.count(Precert) == 0


def test_step_two_without_the_sessions_csrf_token_is_refused(cast: Cast) -> None:
    started = cast.started()
    with cast.signed_in("pt") as client:
        form = step_two(client, started["id"])
        _refused(
            client.post(f"/precerts/{started['id']}/complete", data={**form, "csrf_token": ""})
        )
        del form["csrf_token"]
        _refused(client.post(f"/precerts/{started['id']}/complete", data=form))
    assert cast.precert(started["id"]).status == "awaiting_provider"
    assert len(cast.events(started["id"])) == 1


# ---- home ---------------------------------------------------------------------------------


def test_a_physicians_home_lists_the_requests_they_started(cast: Cast) -> None:
    mine = [cast.started("doc_a"), cast.approved()]
    theirs = cast.started("doc_b")
    with cast.signed_in("doc_a") as client:
        home = client.get("/")
    assert "Requests you started (2)" in home.text
    for p in mine:
        assert f'<a href="/precerts/{p["id"]}">' in home.text
    assert theirs["id"] not in home.text
    assert f"{PARTICIPANT} Zelda Quixote" in home.text


def test_a_providers_home_lists_the_requests_they_completed(cast: Cast) -> None:
    done = cast.approved()
    waiting = cast.started()
    with cast.signed_in("pt") as client:
        home = client.get("/")
    assert "Requests you completed (1)" in home.text
    assert f'<a href="/precerts/{done["id"]}">' in home.text
    assert waiting["id"] not in home.text  # open requests are found by participant


def test_an_administrators_home_links_the_admin_pages(cast: Cast) -> None:
    with cast.signed_in("admin") as client:
        home = client.get("/")
    for path in ("/admin/users", "/admin/roster", "/admin/policy", "/admin/access-log"):
        assert f'href="{path}"' in home.text


def test_what_was_typed_is_kept_but_never_read_as_markup(cast: Cast) -> None:
    typed_in = 'M54.50 "><b id="injected">x</b>'
    with cast.signed_in("doc_a") as client:
        answer = client.post("/precerts/new", data=step_one(client, diagnosis_codes=typed_in))
    assert answer.status_code == 422
    assert typed(answer.text, "diagnosis_codes") == typed_in
    assert '<b id="injected">' not in answer.text
    assert problem_next_to(answer.text, "diagnosis_codes")
    assert cast.count(Precert) == 0


def test_finding_by_a_malformed_participant_id_says_so_and_logs_nothing(cast: Cast) -> None:
    with cast.signed_in("pt") as client:
        answer = client.get("/precerts/find", params={"participant_id": "1234567"})
    assert answer.status_code == 422
    assert "8-digit" in problem_next_to(answer.text, "participant_id")
    assert typed(answer.text, "participant_id") == "1234567"
    assert [e.page for e in cast.access_entries()] == []
