"""The portal's main flows, driven as a person would: by labels, roles and button names.

Shared by the browser test modules (not a test module itself). Every step waits for what the
person would see next, so a test that calls these reads as the acceptance check it is.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from precert.models import Precert
from precert.web.portal import SESSION_COOKIE
from tests.browser.conftest import (
    DEFAULT_TIMEOUT_MS,
    Account,
    LivePortal,
    _note_failed_resource,
    expect,
    sign_in,
)

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Locator, Page

# Server today is 2026-03-02 (PRECERT_TODAY): a request starting today runs 12 months.
TODAY = "2026-03-02"
PLAN_OF_CARE = "2026-02-20"
PERIOD = "2026-03-02 to 2027-03-01"
DIAGNOSIS = "M54.50"  # low back pain, in effect since 2021-10-01
CPT = {"physical_therapy": "97110", "chiropractic": "98940", "acupuncture": "97810"}
PERFORMER = {
    "physical_therapy": "physical_therapist",
    "chiropractic": "chiropractor",
    "acupuncture": "acupuncturist",
}
PRECERT_PATH = re.compile(r"/precerts/(PC-[0-9A-Z]{10})$")

_participant_numbers = itertools.count(1)


def at(live_portal: LivePortal, path: str) -> re.Pattern[str]:
    """Match the page URL of `path` exactly (no query string)."""
    return re.compile(re.escape(live_portal.url(path)) + "$")


def fresh_participant(live_portal: LivePortal, *, birth_date: date = date(1970, 4, 1)) -> str:
    """Seed a participant of its own for one test (eligible since 2020), and return the ID."""
    return live_portal.world.participant(
        f"{31000000 + next(_participant_numbers):08d}", birth_date=birth_date
    )


def requests_for(live_portal: LivePortal, participant_id: str) -> int:
    """Count the pre-certifications stored for a participant (straight from the database)."""
    with live_portal.world.sessions() as s:
        counted = s.scalar(
            select(func.count())
            .select_from(Precert)
            .where(Precert.participant_id == participant_id)
        )
    return int(counted or 0)


@contextmanager
def signed_in_page(
    browser: Browser,
    live_portal: LivePortal,
    who: str | Account,
    problems: list[str],
    *,
    locale: str | None = None,
) -> Iterator[Page]:
    """A second person at a second browser (a context of its own), signed in as `who`.

    JavaScript errors and failed sub-resources go to `problems` (the test's `page_problems`, so
    the `page` fixture fails the test on them as it does for its own page).
    """
    account = live_portal.user(who) if isinstance(who, str) else who
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale=locale)
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    page = context.new_page()
    page.on("pageerror", lambda error: problems.append(f"JavaScript error: {error}"))
    page.on("response", lambda response: _note_failed_resource(response, problems))
    try:
        sign_in_as(page, live_portal, account)
        yield page
    finally:
        context.close()


# Signed-in sessions by (server, username). The first sign-in of each account on a server goes
# through the form; later pages of the same account reuse its session cookie, which saves the
# password hashing each time (the sign-in form itself is tested in test_sign_in_browser).
_sessions: dict[tuple[str, str], list[Any]] = {}


def sign_in_as(page: Page, live_portal: LivePortal, who: str | Account) -> Account:
    """Sign `who` in on this page and show the home page."""
    account = live_portal.user(who) if isinstance(who, str) else who
    key = (live_portal.base_url, account.username)
    cookies = _sessions.get(key)
    if cookies is not None:
        page.context.add_cookies(cookies)
        page.goto(live_portal.url("/"))
    if cookies is None or page.url != live_portal.url("/"):  # new, or the session has ended
        sign_in(page, live_portal.base_url, account.username, account.password)
        expect(page).to_have_url(at(live_portal, "/"))
        _sessions[key] = [
            cookie
            for cookie in page.context.cookies(live_portal.base_url)
            if cookie["name"] == SESSION_COOKIE
        ]
    expect(page.get_by_role("banner")).to_contain_text(f"{account.name} ({account.role})")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    return account


def nav(page: Page) -> Locator:
    return page.get_by_role("navigation", name="Main")


def precert_id_of(page: Page) -> str:
    """The ID of the request whose page is shown (after a submit lands on it)."""
    expect(page).to_have_url(PRECERT_PATH)
    found = PRECERT_PATH.search(page.url)
    assert found is not None
    return found.group(1)


def status_of(page: Page) -> Locator:
    """The request page's status element (`data-status` carries the status)."""
    return page.locator("[data-status]")


def fill_step1(
    page: Page,
    participant_id: str,
    *,
    therapy: str = "physical_therapy",
    diagnoses: str = DIAGNOSIS,
    plan_of_care: str = PLAN_OF_CARE,
    start: str = TODAY,
    prescriber_npi: str | None = None,
) -> None:
    """Open New request from the navigation and fill step 1 (without submitting)."""
    nav(page).get_by_role("link", name="New request").click()
    expect(page.get_by_role("heading", name="New pre-certification request")).to_be_visible()
    page.get_by_label("Participant ID").fill(participant_id)
    if prescriber_npi is not None:
        page.get_by_label("Prescriber NPI").fill(prescriber_npi)
    page.get_by_label("Therapy").select_option(therapy)
    page.get_by_label("Diagnosis codes").fill(diagnoses)
    page.get_by_label("Plan of care date").fill(plan_of_care)
    page.get_by_label("Start date").fill(start)


def start_request(page: Page, participant_id: str, **step1: str | None) -> str:
    """Step 1 from the New request page; return the new request's ID (its page is shown)."""
    fill_step1(page, participant_id, **step1)  # type: ignore[arg-type]
    page.get_by_role("button", name="Submit request").click()
    return precert_id_of(page)


def open_completion(page: Page, participant_id: str, precert_id: str) -> None:
    """Find requests by the participant's ID, and follow the request's Complete link."""
    nav(page).get_by_role("link", name="Find requests").click()
    page.get_by_label("Participant ID").fill(participant_id)
    page.get_by_role("button", name="Search").click()
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=precert_id))
    row.get_by_role("link", name="Complete").click()
    expect(page.get_by_role("heading", name="Complete the request")).to_be_visible()
    expect(page.get_by_text(f"Request {precert_id}")).to_be_visible()


def fill_step2(
    page: Page,
    *,
    codes: tuple[str, ...],
    units: str,
    start: str | None = None,
    provider_npi: str | None = None,
) -> None:
    if provider_npi is not None:
        page.get_by_label("Provider NPI").fill(provider_npi)
    for code in codes:
        page.get_by_label(code, exact=True).check()
    page.get_by_label("Units", exact=True).fill(units)
    if start is not None:
        page.get_by_label("Start date").fill(start)


def complete_request(
    page: Page,
    participant_id: str,
    precert_id: str,
    *,
    codes: tuple[str, ...] = ("97110",),
    units: str = "8",
    start: str | None = None,
    provider_npi: str | None = None,
) -> None:
    """Step 2 through Find requests; the request's page is shown afterwards."""
    open_completion(page, participant_id, precert_id)
    fill_step2(page, codes=codes, units=units, start=start, provider_npi=provider_npi)
    page.get_by_role("button", name="Complete request").click()
    expect(page).to_have_url(re.compile(re.escape(f"/precerts/{precert_id}") + "$"))


def approve(
    doctor: Page,
    provider: Page,
    participant_id: str,
    *,
    therapy: str = "physical_therapy",
    units: str = "8",
) -> str:
    """Step 1 at the physician's browser, step 2 at the provider's: an approved request."""
    precert_id = start_request(doctor, participant_id, therapy=therapy)
    expect(status_of(doctor)).to_have_attribute("data-status", "awaiting_provider")
    complete_request(provider, participant_id, precert_id, codes=(CPT[therapy],), units=units)
    expect(status_of(provider)).to_have_attribute("data-status", "approved")
    return precert_id


def approved_request(
    browser: Browser,
    live_portal: LivePortal,
    problems: list[str],
    participant_id: str,
    *,
    therapy: str = "physical_therapy",
    units: str = "8",
) -> str:
    """Physician's step 1 and the therapy's provider's step 2, each in a browser of their own."""
    with (
        signed_in_page(browser, live_portal, "physician", problems) as doctor,
        signed_in_page(browser, live_portal, PERFORMER[therapy], problems) as provider,
    ):
        return approve(doctor, provider, participant_id, therapy=therapy, units=units)


def history_rows(page: Page) -> Locator:
    """The body rows of the request page's History table."""
    return page.get_by_role("region", name="History").locator("tbody tr")


def phone_request(
    page: Page,
    live_portal: LivePortal,
    participant_id: str,
    *,
    therapy: str = "physical_therapy",
    units: str = "8",
) -> str:
    """Staff enter both steps for callers (the physician's, then the provider's)."""
    precert_id = start_request(
        page, participant_id, therapy=therapy, prescriber_npi=live_portal.npis["physician"]
    )
    expect(status_of(page)).to_have_attribute("data-status", "awaiting_provider")
    complete_request(
        page,
        participant_id,
        precert_id,
        codes=(CPT[therapy],),
        units=units,
        provider_npi=live_portal.npis[PERFORMER[therapy]],
    )
    return precert_id
