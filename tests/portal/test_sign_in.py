"""Signing in to the portal: argon2 passwords, CSRF on every form, lock-out, time-out."""

from __future__ import annotations

from precert.db import transaction
from precert.users.service import add_user
from precert.users.sign_in import hash_password
from tests.conftest import World, npi
from tests.portal.conftest import PASSWORD, Portal, csrf_of, sign_in


def test_login_page_names_its_fields_and_button(portal: Portal) -> None:
    with portal.client() as client:
        html = client.get("/login").text
    assert '<label for="username">Username</label>' in html
    assert '<label for="password">Password</label>' in html
    assert '<button type="submit">Sign in</button>' in html


def test_signing_in_opens_a_session_in_an_httponly_lax_cookie(portal: Portal) -> None:
    with portal.client() as client:
        answer = sign_in(client)
        assert answer.status_code == 303 and answer.headers["location"] == "/"
        cookie = answer.headers["set-cookie"]
        assert "precert_session=" in cookie
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
        home = client.get("/")
    assert home.status_code == 200
    assert "Dr. Test" in home.text
    assert '<button type="submit">Sign out</button>' in home.text
    assert portal.sessions_open() == 1


def test_cookie_is_secure_when_served_over_https(portal: Portal) -> None:
    with portal.client("https://testserver", secure_cookies=True) as client:
        answer = sign_in(client)
    assert "Secure" in answer.headers["set-cookie"]


def test_sign_in_without_a_valid_csrf_token_is_refused_and_opens_nothing(portal: Portal) -> None:
    with portal.client() as client:
        client.get("/login")
        answer = client.post(
            "/login", data={"username": "drtest", "password": PASSWORD, "csrf_token": "forged"}
        )
    assert answer.status_code == 403
    assert portal.sessions_open() == 0


def test_wrong_password_says_so_and_keeps_the_username(portal: Portal) -> None:
    with portal.client() as client:
        answer = sign_in(client, password="wrong")
    assert answer.status_code == 401
    assert "not right" in answer.text
    assert 'value="drtest"' in answer.text
    assert portal.sessions_open() == 0


def test_unknown_user_gets_the_same_answer_as_a_wrong_password(portal: Portal) -> None:
    with portal.client() as client:
        answer = sign_in(client, username="nobody")
    assert answer.status_code == 401 and "not right" in answer.text


def test_repeated_failures_lock_the_account_even_for_the_right_password(portal: Portal) -> None:
    with portal.client(sign_in_max_failures=3) as client:
        for _ in range(3):
            assert sign_in(client, password="wrong").status_code == 401
        answer = sign_in(client)
    assert answer.status_code == 401
    assert "locked" in answer.text
    assert portal.sessions_open() == 0


def test_signing_out_ends_the_session(portal: Portal) -> None:
    with portal.client() as client:
        sign_in(client)
        token = csrf_of(client.get("/").text)
        answer = client.post("/logout", data={"csrf_token": token})
        assert answer.status_code == 303 and answer.headers["location"] == "/login"
        assert client.get("/").status_code == 303
    assert portal.sessions_open() == 0


def test_sign_out_without_the_csrf_token_is_refused(portal: Portal) -> None:
    with portal.client() as client:
        sign_in(client)
        assert client.post("/logout", data={"csrf_token": "forged"}).status_code == 403
        assert client.get("/").status_code == 200
    assert portal.sessions_open() == 1


def test_an_idle_session_times_out(portal: Portal) -> None:
    with portal.client(session_idle_minutes=0) as client:
        sign_in(client)
        answer = client.get("/")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?ended=1"
    assert portal.sessions_open() == 0


def test_signed_out_visitors_are_sent_to_sign_in(portal: Portal) -> None:
    with portal.client() as client:
        answer = client.get("/")
    assert answer.status_code == 303 and answer.headers["location"] == "/login"


def test_the_same_user_signs_in_to_the_portal_and_uses_the_api(
    world: World, database_url: str
) -> None:
    doctor = npi(7)
    with transaction(world.sessions) as s:
        _, token = add_user(
            s,
            role="physician",
            name="Dr. Both",
            npi=doctor,
            username="both",
            password_hash=hash_password(PASSWORD),
        )
    portal = Portal(world, database_url)
    with portal.client() as client:
        assert sign_in(client, username="both").status_code == 303
        api = client.get("/api/v1/precerts", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 200


def test_a_username_with_a_nul_character_is_a_wrong_username_not_an_error(portal: Portal) -> None:
    with portal.client() as client:
        answer = sign_in(client, username="dr\x00test")
    assert answer.status_code == 401 and "not right" in answer.text
