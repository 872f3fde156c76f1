"""Signing in and out of the portal in a real browser, by labels, roles and button names."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest

from tests.browser.conftest import (
    LivePortal,
    assert_no_axe_violations,
    axe_violations,
    expect,
    sign_in,
)

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = [pytest.mark.browser, pytest.mark.server]


def at(live_portal: LivePortal, path: str) -> re.Pattern[str]:
    """Match the page URL of `path` exactly (no query string)."""
    return re.compile(re.escape(live_portal.url(path)) + "$")


def test_sign_in_lands_on_home_and_sign_out_ends_the_session(
    page: Page, live_portal: LivePortal
) -> None:
    doctor = live_portal.user("physician")
    response = sign_in(page, live_portal.base_url, doctor.username, doctor.password)

    assert response is not None and response.status == 200
    expect(page).to_have_url(at(live_portal, "/"))
    expect(page.get_by_role("banner")).to_contain_text(f"{doctor.name} (physician)")

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(at(live_portal, "/login"))
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()

    page.goto(live_portal.url("/"))
    expect(page).to_have_url(at(live_portal, "/login"))
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)


def test_signed_out_visitor_is_sent_to_sign_in(page: Page, live_portal: LivePortal) -> None:
    page.goto(live_portal.url("/"))
    expect(page).to_have_url(at(live_portal, "/login"))
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


def test_wrong_password_says_so_and_keeps_the_username(page: Page, live_portal: LivePortal) -> None:
    staff = live_portal.user("staff")
    response = sign_in(page, live_portal.base_url, staff.username, "not the password")

    assert response is not None and response.status == 401
    expect(page).to_have_url(at(live_portal, "/login"))
    expect(page.get_by_role("alert")).to_contain_text("not right")
    expect(page.get_by_label("Username")).to_have_value(staff.username)
    expect(page.get_by_label("Password")).to_have_value("")
    # The problem is tied to the field, so a screen reader announces it with the username.
    expect(page.get_by_label("Username")).to_have_accessible_description(re.compile("not right"))
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)

    # The form still works after a failure: the right password now signs in.
    page.get_by_label("Password").fill(staff.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(at(live_portal, "/"))
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def test_a_tampered_csrf_token_is_refused_with_403_and_signs_nobody_in(
    page: Page, live_portal: LivePortal
) -> None:
    admin = live_portal.user("admin")
    page.goto(live_portal.url("/login"))
    hidden = page.locator('form[action="/login"] input[name="csrf_token"]')
    original = hidden.evaluate("input => input.value")
    assert isinstance(original, str) and len(original) >= 32
    hidden.evaluate("input => { input.value = 'forged-' + input.value.slice(7); }")
    page.get_by_label("Username").fill(admin.username)
    page.get_by_label("Password").fill(admin.password)

    with page.expect_response(
        lambda r: r.request.method == "POST" and r.url == live_portal.url("/login")
    ) as posted:
        page.get_by_role("button", name="Sign in").click()

    assert posted.value.status == 403
    expect(page.get_by_role("heading", name="That form could not be accepted")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("Nothing was changed")
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)

    page.goto(live_portal.url("/"))
    expect(page).to_have_url(at(live_portal, "/login"))

    # The refusal does not spoil the account: an untampered form signs the same user in.
    sign_in(page, live_portal.base_url, admin.username, admin.password)
    expect(page).to_have_url(at(live_portal, "/"))


def test_a_removed_csrf_token_is_refused_too(page: Page, live_portal: LivePortal) -> None:
    admin = live_portal.user("admin")
    page.goto(live_portal.url("/login"))
    page.locator('form[action="/login"] input[name="csrf_token"]').evaluate("i => i.remove()")
    page.get_by_label("Username").fill(admin.username)
    page.get_by_label("Password").fill(admin.password)
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="Sign in").click()

    response = navigation.value
    assert response is not None and response.status == 403
    expect(page.get_by_role("heading", name="That form could not be accepted")).to_be_visible()


def test_five_failures_lock_the_account_even_for_the_right_password(
    page: Page, live_portal: LivePortal
) -> None:
    victim = live_portal.new_user("staff")
    for attempt in range(1, 5):
        response = sign_in(page, live_portal.base_url, victim.username, f"guess {attempt}")
        assert response is not None and response.status == 401
        expect(page.get_by_role("alert")).to_contain_text("not right")

    sign_in(page, live_portal.base_url, victim.username, "guess 5")
    expect(page.get_by_role("alert")).to_contain_text("locked")

    response = sign_in(page, live_portal.base_url, victim.username, victim.password)
    assert response is not None and response.status == 401
    expect(page.get_by_role("alert")).to_contain_text("locked")
    expect(page).to_have_url(at(live_portal, "/login"))
    page.goto(live_portal.url("/"))
    expect(page).to_have_url(at(live_portal, "/login"))


def test_the_lockout_is_the_accounts_own(page: Page, live_portal: LivePortal) -> None:
    victim = live_portal.new_user("staff")
    for attempt in range(5):
        sign_in(page, live_portal.base_url, victim.username, f"guess {attempt}")
    expect(page.get_by_role("alert")).to_contain_text("locked")

    bystander = live_portal.user("chiropractor")
    sign_in(page, live_portal.base_url, bystander.username, bystander.password)
    expect(page).to_have_url(at(live_portal, "/"))
    expect(page.get_by_role("banner")).to_contain_text(f"{bystander.name} (provider)")


# --- accessibility -----------------------------------------------------------------------------


def test_login_page_has_no_serious_accessibility_violations(
    page: Page, live_portal: LivePortal
) -> None:
    page.goto(live_portal.url("/login"))
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    assert_no_axe_violations(page)


def test_login_page_showing_a_problem_has_no_serious_accessibility_violations(
    page: Page, live_portal: LivePortal
) -> None:
    sign_in(page, live_portal.base_url, "nobody", "nothing")
    expect(page.get_by_role("alert")).to_be_visible()
    assert_no_axe_violations(page)


def test_refused_page_has_no_serious_accessibility_violations(
    page: Page, live_portal: LivePortal
) -> None:
    page.goto(live_portal.url("/login"))
    page.locator('input[name="csrf_token"]').evaluate("i => { i.value = 'forged'; }")
    page.get_by_label("Username").fill("nobody")
    page.get_by_label("Password").fill("nothing")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="That form could not be accepted")).to_be_visible()
    assert_no_axe_violations(page)


@pytest.mark.parametrize("who", ["physician", "physical_therapist", "staff", "admin"])
def test_home_page_has_no_serious_accessibility_violations(
    page: Page, live_portal: LivePortal, who: str
) -> None:
    account = live_portal.user(who)
    sign_in(page, live_portal.base_url, account.username, account.password)
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    assert_no_axe_violations(page)


def test_axe_check_does_find_a_violation_when_there_is_one(
    page: Page, live_portal: LivePortal
) -> None:
    """The accessibility checks can fail: an unlabelled field is reported as critical."""
    page.goto(live_portal.url("/login"))
    page.evaluate(
        "() => { const i = document.createElement('input'); i.id = 'unlabelled';"
        " document.querySelector('form').append(i); }"
    )
    found = axe_violations(page)
    assert [(v.id, v.impact, v.targets) for v in found] == [("label", "critical", ("#unlabelled",))]
    with pytest.raises(AssertionError, match=r"\[critical\] label: .*\n.*\n\s+at #unlabelled"):
        assert_no_axe_violations(page)
