"""Administration pages: users, roster upload, the policy's warnings, the access log."""

from __future__ import annotations

import html as html_lib
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from precert.models import Participant, Provider, User, WebSession
from tests.conftest import npi
from tests.portal.conftest import (
    FIRST_NAME,
    PARTICIPANT,
    PASSWORD,
    Cast,
    csrf_of,
    problem_next_to,
    sign_in,
    typed,
)


def secrets_shown(html: str) -> list[str]:
    """Return what the page shows once: a new password, then an API token."""
    return [html_lib.unescape(s) for s in re.findall(r'<code class="secret">([^<]*)</code>', html)]


def post_form(client: TestClient, path: str, **fields: str) -> Any:
    token = csrf_of(client.get("/admin/users").text)
    return client.post(path, data={"csrf_token": token, **fields})


def upload(client: TestClient, kind: str, csv: str) -> Any:
    token = csrf_of(client.get("/admin/roster").text)
    return client.post(
        "/admin/roster",
        data={"csrf_token": token, "kind": kind},
        files={"file": ("roster.csv", csv.encode(), "text/csv")},
    )


def report_of(html: str) -> list[tuple[int, str]]:
    """Return the (line, problem) rows of a roster upload's report."""
    rows = re.findall(r"<tr><td>(\d+)</td><td>([^<]*)</td></tr>", html)
    return [(int(line), html_lib.unescape(problem)) for line, problem in rows]


PARTICIPANTS_HEADER = (
    "participant_id,first_name,last_name,birth_date,eligibility_start,eligibility_end\n"
)
GOOD_ROW = "20000001,Ada,Lovelace,1980-01-01,2020-01-01,\n"


# ---- users --------------------------------------------------------------------------------


def test_admin_creates_a_user_who_can_then_sign_in(cast: Cast) -> None:
    with cast.signed_in("admin") as client:
        answer = post_form(
            client, "/admin/users", name="Dr. New", role="physician", npi=npi(21), username="newdoc"
        )
        again = client.get("/admin/users")
    assert answer.status_code == 201, answer.text
    assert "<strong>Dr. New</strong> was created." in answer.text
    password, token = secrets_shown(answer.text)
    assert len(password) >= 10 and token.startswith("pct_")
    assert password not in again.text and token not in again.text  # shown once
    assert cast.count(User, User.username == "newdoc", User.npi == npi(21)) == 1
    with cast.client() as client:
        assert sign_in(client, password="wrong", username="newdoc").status_code == 401
        assert sign_in(client, password=password, username="newdoc").status_code == 303
        home = client.get("/")
        api = client.get("/api/v1/precerts", headers={"Authorization": f"Bearer {token}"})
    assert "Dr. New" in home.text and "physician" in home.text
    assert api.status_code == 200


def test_a_bad_npi_is_shown_next_to_the_field_and_no_user_is_made(cast: Cast) -> None:
    users = cast.count(User)
    bad = npi(21)[:-1] + str((int(npi(21)[-1]) + 1) % 10)
    with cast.signed_in("admin") as client:
        answer = post_form(
            client, "/admin/users", name="Dr. Bad", role="physician", npi=bad, username="baddoc"
        )
    assert answer.status_code == 422
    assert "check digit" in problem_next_to(answer.text, "npi")
    assert typed(answer.text, "npi") == bad and typed(answer.text, "username") == "baddoc"
    assert typed(answer.text, "name") == "Dr. Bad"
    assert 'value="physician" selected' in answer.text
    assert secrets_shown(answer.text) == []
    assert cast.count(User) == users


def test_admin_forms_without_the_sessions_csrf_token_are_refused(cast: Cast) -> None:
    users = cast.count(User)
    with cast.signed_in("admin") as client:
        for token in ({}, {"csrf_token": "forged"}):
            answer = client.post(
                "/admin/users", data={**token, "name": "Sneaky", "role": "admin", "username": "x"}
            )
            assert answer.status_code == 403
            assert "That form could not be accepted" in answer.text
        roster = client.post(
            "/admin/roster",
            data={"kind": "participants", "csrf_token": "forged"},
            files={"file": ("r.csv", (PARTICIPANTS_HEADER + GOOD_ROW).encode(), "text/csv")},
        )
        assert roster.status_code == 403
    assert cast.count(User) == users
    assert cast.count(Participant, Participant.participant_id == "20000001") == 0


def test_disabling_a_user_ends_their_session_and_their_token(cast: Cast) -> None:
    with cast.signed_in("pt") as pt:
        assert pt.get("/").status_code == 200
        assert pt.get("/api/v1/precerts", headers=cast.tokens["pt"]).status_code == 200
        with cast.signed_in("admin") as admin:
            answer = post_form(admin, f"/admin/users/{cast.ids['pt']}/active", active="false")
        assert answer.status_code == 200, answer.text
        assert "was disabled" in answer.text
        after = pt.get("/")
        assert after.status_code == 303 and after.headers["location"] == "/login?ended=1"
        assert pt.get("/api/v1/precerts", headers=cast.tokens["pt"]).status_code == 401
    assert cast.count(WebSession, WebSession.user_id == cast.ids["pt"]) == 1
    open_ = cast.count(
        WebSession, WebSession.user_id == cast.ids["pt"], WebSession.ended_at.is_(None)
    )
    assert open_ == 0
    with cast.client() as client:
        assert sign_in(client, username="pt").status_code == 401


def test_an_enabled_user_may_use_the_api_again(cast: Cast) -> None:
    with cast.signed_in("admin") as admin:
        post_form(admin, f"/admin/users/{cast.ids['pt']}/active", active="false")
        answer = post_form(admin, f"/admin/users/{cast.ids['pt']}/active", active="true")
    assert "was enabled" in answer.text
    with cast.client() as client:
        assert client.get("/api/v1/precerts", headers=cast.tokens["pt"]).status_code == 200


@pytest.mark.parametrize(
    "user_id", ["abc", pytest.param("%C2%B2", id="superscript-2")]
)  # "²" passes str.isdigit(), not int()
def test_a_user_number_that_is_not_a_number_is_a_problem(cast: Cast, user_id: str) -> None:
    with cast.signed_in("admin", raises=False) as admin:
        answer = post_form(admin, f"/admin/users/{user_id}/active", active="false")
    assert answer.status_code == 422, answer.text
    assert "is not a user number" in answer.text
    assert cast.count(User, User.active.is_(False)) == 0


def test_an_admin_cannot_disable_themself(cast: Cast) -> None:
    with cast.signed_in("admin") as admin:
        answer = post_form(admin, f"/admin/users/{cast.ids['admin']}/active", active="false")
        assert answer.status_code == 422
        assert "you cannot disable yourself" in answer.text
        assert admin.get("/admin/users").status_code == 200


def test_resetting_a_password_unlocks_the_user(cast: Cast) -> None:
    with cast.client(sign_in_max_failures=2) as client:
        for _ in range(2):
            assert sign_in(client, password="wrong", username="pt").status_code == 401
        locked = sign_in(client, username="pt")
    assert locked.status_code == 401 and "locked" in locked.text
    with cast.signed_in("admin") as admin:
        answer = post_form(admin, f"/admin/users/{cast.ids['pt']}/password")
    assert answer.status_code == 200, answer.text
    assert "was given a new password" in answer.text
    [password] = secrets_shown(answer.text)
    with cast.client() as client:
        old = sign_in(client, password=PASSWORD, username="pt")
        assert old.status_code == 401 and "not right" in old.text
        assert sign_in(client, password=password, username="pt").status_code == 303
        assert client.get("/").status_code == 200


def test_resetting_a_password_ends_the_users_open_sessions(cast: Cast) -> None:
    with cast.signed_in("pt") as pt:
        with cast.signed_in("admin") as admin:
            post_form(admin, f"/admin/users/{cast.ids['pt']}/password")
        assert pt.get("/").status_code == 303


# ---- roster upload ------------------------------------------------------------------------


def test_a_roster_with_bad_rows_names_each_line_and_loads_nothing(cast: Cast) -> None:
    csv = (
        PARTICIPANTS_HEADER
        + GOOD_ROW
        + "12,Bad,Id,1980-01-01,2020-01-01,\n"
        + "20000003,Bad,Date,1980-02-30,2020-01-01,\n"
        + "20000004,Too,Few\n"
    )
    before = cast.count(Participant)
    with cast.signed_in("admin") as client:
        answer = upload(client, "participants", csv)
    assert answer.status_code == 422, answer.text
    assert "nothing was loaded. 3 problems" in answer.text
    report = report_of(answer.text)
    assert [line for line, _ in report] == [3, 4, 5]
    assert "participant_id '12' is not 8 digits" in report[0][1]
    assert "birth_date" in report[1][1]
    assert "has 3 fields; the header has 6" in report[2][1]
    assert cast.count(Participant) == before
    assert cast.count(Participant, Participant.participant_id == "20000001") == 0


def test_a_good_roster_loads_and_shows_its_counts(cast: Cast) -> None:
    csv = (
        PARTICIPANTS_HEADER
        + GOOD_ROW
        + "20000002,Grace,Hopper,1975-06-01,2021-01-01,2025-12-31\n"
        + f"{PARTICIPANT},{FIRST_NAME},Quixote,1980-01-01,2020-01-01,\n"
    )
    with cast.signed_in("admin") as client:
        answer = upload(client, "participants", csv)
    assert answer.status_code == 200, answer.text
    assert "participants loaded (2 added, 0 updated, 1 unchanged)" in answer.text
    assert cast.count(Participant) == 4


def test_a_provider_roster_checks_npis_and_types(cast: Cast) -> None:
    header = "npi,name,provider_type,enrollment_start,enrollment_end\n"
    bad = (
        header + f"{npi(31)},Clinic,massage,2020-01-01,\n" + "123,Short,chiropractor,2020-01-01,\n"
    )
    good = header + f"{npi(31)},Clinic,acupuncturist,2020-01-01,\n"
    before = cast.count(Provider)
    with cast.signed_in("admin") as client:
        refused = upload(client, "providers", bad)
        loaded = upload(client, "providers", good)
    assert refused.status_code == 422
    report = report_of(refused.text)
    assert [line for line, _ in report] == [2, 3]
    assert "'massage' is not one of" in report[0][1]
    assert "'123' is not an NPI" in report[1][1]
    assert loaded.status_code == 200 and "providers loaded (1 added" in loaded.text
    assert cast.count(Provider) == before + 1


def test_an_upload_needs_a_kind_and_a_file(cast: Cast) -> None:
    with cast.signed_in("admin") as client:
        token = csrf_of(client.get("/admin/roster").text)
        answer = client.post("/admin/roster", data={"csrf_token": token, "kind": "pets"})
    assert answer.status_code == 422
    assert problem_next_to(answer.text, "kind") and problem_next_to(answer.text, "file")


# ---- policy and access log ----------------------------------------------------------------


def test_the_policy_page_shows_the_lint_warnings(cast: Cast) -> None:
    with cast.signed_in("admin") as client:
        page = client.get("/admin/policy")
    assert page.status_code == 200
    warnings = dict(
        re.findall(r"<tr><td>([^<]+)</td><td>([^<]+)</td><td>[^<]*</td></tr>", page.text)
    )
    assert warnings.get("M54.5") == "icd10 not billable"
    assert warnings.get("M51.36") == "icd10 not billable"
    assert warnings.get("99201") == "cpt deleted"
    assert "Version 2021.10" in page.text


def test_the_access_log_page_lists_who_saw_which_participant(cast: Cast) -> None:
    with cast.signed_in("staff") as client:
        client.get(f"/participants/{PARTICIPANT}")
    with cast.signed_in("admin") as client:
        page = client.get("/admin/access-log", params={"participant_id": PARTICIPANT})
        malformed = client.get("/admin/access-log", params={"participant_id": "1"})
    assert page.status_code == 200
    row = re.search(
        r"<tr><td>[^<]*</td><td>staff \(#(\d+)\)</td><td>staff</td>"
        r"<td>participant</td><td>(\d+)</td>",
        page.text,
    )
    assert row, page.text
    assert int(row.group(1)) == cast.ids["staff"] and row.group(2) == PARTICIPANT
    assert FIRST_NAME not in page.text
    assert malformed.status_code == 422 and problem_next_to(malformed.text, "participant_id")
