"""Who may see what, typed straight into the address bar of a real browser: another
physician's request, a request of another provider type, a participant's page."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.browser.conftest import LivePortal, expect
from tests.browser.flows import (
    DIAGNOSIS,
    fresh_participant,
    nav,
    sign_in_as,
    signed_in_page,
    start_request,
    status_of,
)

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = [pytest.mark.browser, pytest.mark.server]


@pytest.fixture(scope="module")
def awaiting(browser: Browser, live_portal: LivePortal) -> tuple[str, str]:
    """A physical-therapy request the physician started, awaiting a provider:
    (participant ID, request ID)."""
    participant_id = fresh_participant(live_portal)
    problems: list[str] = []
    with signed_in_page(browser, live_portal, "physician", problems) as doctor:
        precert_id = start_request(doctor, participant_id, therapy="physical_therapy")
        expect(status_of(doctor)).to_have_attribute("data-status", "awaiting_provider")
    assert not problems, problems
    return participant_id, precert_id


def visit(page: Page, live_portal: LivePortal, path: str) -> int:
    response = page.goto(live_portal.url(path))
    assert response is not None
    return response.status


def shows_none_of(page: Page, *secrets: str) -> None:
    text = page.locator("body").inner_text()
    for secret in secrets:
        assert secret not in text, f"{secret!r} is shown on {page.url}:\n{text}"


def test_another_physicians_request_is_not_found(
    page: Page, live_portal: LivePortal, awaiting: tuple[str, str]
) -> None:
    participant_id, precert_id = awaiting
    sign_in_as(page, live_portal, "physician_2")

    assert visit(page, live_portal, f"/precerts/{precert_id}") == 404
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    expect(page.get_by_role("alert")).to_have_text("Pre-certification was not found.")
    expect(status_of(page)).to_have_count(0)
    shows_none_of(
        page, precert_id, participant_id, DIAGNOSIS, live_portal.npis["physician"], "Participant"
    )
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()

    # Nor is it listed on that physician's home page.
    nav(page).get_by_role("link", name="Home").click()
    expect(page.get_by_role("heading", name="Your requests")).to_be_visible()
    expect(page.get_by_role("link", name=precert_id)).to_have_count(0)
    shows_none_of(page, participant_id)

    # Its own physician does see it (the 404 is about who asks, not a broken link).
    page.get_by_role("button", name="Sign out").click()
    sign_in_as(page, live_portal, "physician")
    assert visit(page, live_portal, f"/precerts/{precert_id}") == 200
    expect(status_of(page)).to_have_attribute("data-status", "awaiting_provider")


def test_a_provider_of_another_type_gets_404_for_a_request_awaiting_a_provider(
    page: Page,
    browser: Browser,
    live_portal: LivePortal,
    awaiting: tuple[str, str],
    page_problems: list[str],
) -> None:
    participant_id, precert_id = awaiting
    sign_in_as(page, live_portal, "chiropractor")

    for path in (f"/precerts/{precert_id}", f"/precerts/{precert_id}/complete"):
        assert visit(page, live_portal, path) == 404, path
        expect(page.get_by_role("heading", name="Not found")).to_be_visible()
        expect(page.get_by_role("button", name="Sign out")).to_be_visible()
        expect(page.get_by_role("button", name="Complete request")).to_have_count(0)
        shows_none_of(page, participant_id, DIAGNOSIS)

    # Searching by the participant finds nothing for a chiropractor to complete.
    assert visit(page, live_portal, f"/precerts/find?participant_id={participant_id}") == 200
    expect(page.get_by_role("status")).to_have_text(
        f"No open request for participant {participant_id} waits for you."
    )
    expect(page.get_by_role("link", name="Complete")).to_have_count(0)

    # A physical therapist may open it: it waits for one.
    with signed_in_page(browser, live_portal, "physical_therapist", page_problems) as therapist:
        assert visit(therapist, live_portal, f"/precerts/{precert_id}") == 200
        expect(therapist.get_by_role("link", name="Complete")).to_be_visible()


@pytest.mark.parametrize("who", ["physical_therapist", "chiropractor", "physician"])
def test_only_staff_open_a_participants_page(page: Page, live_portal: LivePortal, who: str) -> None:
    adult = live_portal.participants.adult
    sign_in_as(page, live_portal, who)
    expect(nav(page).get_by_role("link", name="Participants")).to_have_count(0)

    for path in (f"/participants/{adult}", f"/participants?participant_id={adult}"):
        assert visit(page, live_portal, path) == 403, path
        expect(page.get_by_role("heading", name="Not available to you")).to_be_visible()
        expect(page.get_by_role("alert")).to_contain_text("This action is for staff users")
        expect(page.get_by_role("img")).to_have_count(0)  # no units chart
        shows_none_of(page, "1980-01-01", "Units in the benefit year")
        expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def test_staff_pages_and_admin_pages_are_closed_to_clinicians(
    page: Page, live_portal: LivePortal
) -> None:
    sign_in_as(page, live_portal, "physician")
    for path in ("/admin/users", "/admin/access-log", "/precerts/find"):
        assert visit(page, live_portal, path) == 403, path
        expect(page.get_by_role("heading", name="Not available to you")).to_be_visible()
        expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    expect(page.get_by_role("cell")).to_have_count(0)  # no table of users or entries
