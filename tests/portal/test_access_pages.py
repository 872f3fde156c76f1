"""Who may see which page, and the access log every page with participant data writes."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect

from precert.models import AccessEntry, Precert
from tests.portal.conftest import FIRST_NAME, LAST_NAME, PARTICIPANT, START, Cast, csrf_of

# ---- access control -----------------------------------------------------------------------


def test_a_physician_cannot_see_another_physicians_request(cast: Cast) -> None:
    mine = cast.started("doc_a")
    with cast.signed_in("doc_b") as client:
        page = client.get(f"/precerts/{mine['id']}")
        listed = client.get("/")
    assert page.status_code == 404
    for secret in (PARTICIPANT, FIRST_NAME, LAST_NAME, cast.npis["doc_a"]):
        assert secret not in page.text
    assert mine["id"] not in listed.text


def test_a_provider_cannot_see_a_request_for_another_type_of_provider(cast: Cast) -> None:
    for_pt = cast.started(therapy="physical_therapy")
    with cast.signed_in("chiro") as client:
        page = client.get(f"/precerts/{for_pt['id']}")
        form = client.get(f"/precerts/{for_pt['id']}/complete")
        found = client.get("/precerts/find", params={"participant_id": PARTICIPANT})
    assert page.status_code == 404 and form.status_code == 404
    assert FIRST_NAME not in page.text and FIRST_NAME not in form.text
    assert found.status_code == 200 and for_pt["id"] not in found.text


def test_a_provider_cannot_see_or_complete_a_request_another_provider_completed(
    cast: Cast,
) -> None:
    done = cast.approved()
    with cast.signed_in("pt2") as client:
        page = client.get(f"/precerts/{done['id']}")
        form = client.get(f"/precerts/{done['id']}/complete")
        token = csrf_of(client.get("/").text)
        posted = client.post(
            f"/precerts/{done['id']}/complete",
            data={
                "csrf_token": token,
                "form_key": "k",
                "procedure_codes": "97110",
                "units": "8",
                "start_date": START,
            },
        )
    assert page.status_code == 404 and form.status_code == 404
    assert posted.status_code == 404
    assert FIRST_NAME not in page.text and FIRST_NAME not in posted.text
    assert cast.precert(done["id"]).provider_npi == cast.npis["pt"]


@pytest.mark.parametrize(
    ("who", "path", "status"),
    [
        ("doc_a", f"/participants/{PARTICIPANT}", 403),
        ("pt", f"/participants/{PARTICIPANT}", 403),
        ("doc_a", "/admin/users", 403),
        ("pt", "/admin/users", 403),
        ("staff", "/admin/users", 403),
        ("doc_a", "/precerts/find", 403),
        ("pt", "/precerts/new", 403),
        ("staff", "/precerts/PC-UNKNOWN00", 404),
        ("staff", f"/participants/{PARTICIPANT[:-1]}9", 404),
    ],
)
def test_pages_not_for_the_user(cast: Cast, who: str, path: str, status: int) -> None:
    with cast.signed_in(who) as client:
        answer = client.get(path)
    assert answer.status_code == status, answer.text
    assert FIRST_NAME not in answer.text


def test_the_role_checks_hold_for_posts_too(cast: Cast) -> None:
    with cast.signed_in("pt") as client:
        token = csrf_of(client.get("/").text)
        started = client.post(
            "/precerts/new",
            data={"csrf_token": token, "participant_id": PARTICIPANT, "therapy": "chiropractic"},
        )
        users = client.post(
            "/admin/users", data={"csrf_token": token, "name": "Evil", "role": "admin"}
        )
    assert started.status_code == 403 and users.status_code == 403
    assert cast.count(Precert) == 0


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/precerts/new",
        "/precerts/find",
        "/precerts/PC-AAAAAAAAAA",
        "/precerts/PC-AAAAAAAAAA/complete",
        "/participants",
        f"/participants/{PARTICIPANT}",
        "/admin/users",
        "/admin/roster",
        "/admin/policy",
        "/admin/access-log",
    ],
)
def test_signed_out_visitors_are_sent_to_sign_in(cast: Cast, path: str) -> None:
    with cast.client() as client:
        answer = client.get(path)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login"


def test_a_signed_out_post_is_sent_to_sign_in_and_stores_nothing(cast: Cast) -> None:
    with cast.client() as client:
        answer = client.post(
            "/precerts/new", data={"participant_id": PARTICIPANT, "csrf_token": "x"}
        )
    assert answer.status_code == 303 and answer.headers["location"] == "/login"
    assert cast.count(Precert) == 0


# ---- the access log -------------------------------------------------------------------


def _entries(cast: Cast, page: str) -> list[AccessEntry]:
    return [e for e in cast.access_entries() if e.page == page]


def test_viewing_a_request_is_logged(cast: Cast) -> None:
    started = cast.started()
    with cast.signed_in("doc_a") as client:
        assert client.get(f"/precerts/{started['id']}").status_code == 200
    [entry] = _entries(cast, "request")
    assert entry.user_id == cast.ids["doc_a"] and entry.role == "physician"
    assert (entry.participant_id, entry.precert_id) == (PARTICIPANT, started["id"])


def test_viewing_a_participant_is_logged(cast: Cast) -> None:
    with cast.signed_in("staff") as client:
        assert client.get(f"/participants/{PARTICIPANT}").status_code == 200
    [entry] = _entries(cast, "participant")
    assert entry.user_id == cast.ids["staff"] and entry.role == "staff"
    assert (entry.participant_id, entry.precert_id) == (PARTICIPANT, None)


def test_finding_requests_by_participant_is_logged(cast: Cast) -> None:
    with cast.signed_in("pt") as client:
        assert client.get("/precerts/find").status_code == 200  # no participant: no entry
        assert _entries(cast, "find requests") == []
        found = client.get("/precerts/find", params={"participant_id": PARTICIPANT})
        assert found.status_code == 200
    [entry] = _entries(cast, "find requests")
    assert entry.user_id == cast.ids["pt"] and entry.role == "provider"
    assert (entry.participant_id, entry.precert_id) == (PARTICIPANT, None)


def test_the_completion_form_is_logged(cast: Cast) -> None:
    started = cast.started()
    with cast.signed_in("pt") as client:
        assert client.get(f"/precerts/{started['id']}/complete").status_code == 200
    [entry] = _entries(cast, "complete request")
    assert entry.user_id == cast.ids["pt"]
    assert (entry.participant_id, entry.precert_id) == (PARTICIPANT, started["id"])


def test_the_access_log_never_holds_names(cast: Cast) -> None:
    started = cast.started()
    with cast.signed_in("staff") as client:
        client.get("/")
        client.get(f"/participants/{PARTICIPANT}")
        client.get(f"/precerts/{started['id']}")
        client.get("/precerts/find", params={"participant_id": PARTICIPANT})
        client.get("/precerts/new", params={"participant_id": PARTICIPANT})
    entries = cast.access_entries()
    assert {e.page for e in entries} >= {"participant", "request", "find requests"}
    columns = {c.key for c in inspect(AccessEntry).columns}
    assert columns == {"id", "at", "user_id", "role", "page", "participant_id", "precert_id"}
    for entry in entries:
        for column in columns:
            value = str(getattr(entry, column))
            assert FIRST_NAME not in value and LAST_NAME not in value, (column, value)
            assert "User staff" not in value
