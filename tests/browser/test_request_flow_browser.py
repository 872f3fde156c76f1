"""A request from step 1 to its decision in a real browser: approvals and denials.

Two people at two browsers: the physician starts the request, the performing provider finds it
by the participant's ID and completes it. Driven only by labels, roles and button names.
"""

from __future__ import annotations

import re
from datetime import date
from typing import TYPE_CHECKING

import pytest

from tests.browser.conftest import LivePortal, expect
from tests.browser.flows import (
    PERIOD,
    at,
    complete_request,
    fresh_participant,
    history_rows,
    nav,
    precert_id_of,
    sign_in_as,
    signed_in_page,
    start_request,
    status_of,
)

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = [pytest.mark.browser, pytest.mark.server]


def test_physician_starts_and_therapist_completes_to_an_approval(
    page: Page, browser: Browser, live_portal: LivePortal, page_problems: list[str]
) -> None:
    participant_id = fresh_participant(live_portal)
    doctor = sign_in_as(page, live_portal, "physician")

    # Step 1, by the physician.
    expect(nav(page).get_by_role("link", name="New request")).to_be_visible()
    expect(nav(page).get_by_role("link", name="Find requests")).to_have_count(0)
    precert_id = start_request(page, participant_id, therapy="physical_therapy")
    expect(status_of(page)).to_have_attribute("data-status", "awaiting_provider")
    expect(page.locator(".period")).to_contain_text("from 2026-03-02")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()

    # Step 2, by the physical therapist at another browser, found by the participant's ID.
    with signed_in_page(browser, live_portal, "physical_therapist", page_problems) as therapist:
        expect(nav(therapist).get_by_role("link", name="Find requests")).to_be_visible()
        expect(nav(therapist).get_by_role("link", name="New request")).to_have_count(0)
        complete_request(therapist, participant_id, precert_id, codes=("97110",), units="8")

        expect(status_of(therapist)).to_have_attribute("data-status", "approved")
        expect(therapist.get_by_role("heading", level=1)).to_have_text(precert_id)
        expect(therapist.locator(".approved-units")).to_have_text("8 units (120 minutes)")
        expect(therapist.locator(".period")).to_have_text(PERIOD)
        expect(therapist.get_by_text("No reasons: every rule was met.")).to_be_visible()
        # Both steps are in the history, each by its own person, on the web.
        rows = history_rows(therapist)
        expect(rows).to_have_count(2)
        expect(rows.nth(0)).to_contain_text(f"{doctor.name} (physician)")
        expect(rows.nth(1)).to_contain_text("Pat Therapist (provider)")
        expect(rows.nth(1)).to_contain_text("Approved")
        for row in rows.all():
            expect(row.get_by_role("cell").nth(3)).to_have_text("web")

        # The therapist's home page lists it among the requests they completed.
        nav(therapist).get_by_role("link", name="Home").click()
        table = therapist.get_by_role("table", name="Requests you completed")
        expect(table.get_by_role("row").filter(has_text=precert_id)).to_contain_text("Approved")

    # The physician's own page shows the decision too, and the home page lists the request.
    page.reload()
    expect(status_of(page)).to_have_attribute("data-status", "approved")
    expect(page.locator(".approved-units")).to_have_text("8 units (120 minutes)")
    nav(page).get_by_role("link", name="Home").click()
    expect(page).to_have_url(at(live_portal, "/"))
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=precert_id))
    expect(row).to_have_count(1)
    expect(row).to_contain_text(participant_id)
    expect(row.locator("[data-status]")).to_have_attribute("data-status", "approved")
    expect(row.get_by_role("cell").nth(4)).to_have_text("8")
    row.get_by_role("link", name=precert_id).click()
    expect(page).to_have_url(at(live_portal, f"/precerts/{precert_id}"))


def test_under_21_is_denied_at_step_1_with_the_age_reason(
    page: Page, live_portal: LivePortal
) -> None:
    sign_in_as(page, live_portal, "physician")
    precert_id = start_request(page, live_portal.participants.under_21, therapy="chiropractic")

    expect(status_of(page)).to_have_attribute("data-status", "denied")
    expect(page.get_by_role("heading", level=1)).to_have_text(precert_id)
    reasons = page.locator(".reasons li")
    expect(reasons).to_have_count(1)
    expect(reasons).to_contain_text("PARTICIPANT_UNDER_MINIMUM_AGE")
    # Born 2010-06-15: under 21 on the start date, turning 21 on 2031-06-15.
    expect(reasons).to_contain_text("The participant is under 21 on 2026-03-02")
    expect(reasons).to_contain_text("they turn 21 on 2031-06-15")
    expect(page.locator(".approved-units")).to_have_text("0 units (0 minutes)")
    # A denied request offers no step 2.
    expect(page.get_by_role("link", name="Complete")).to_have_count(0)


def test_a_diagnosis_no_longer_in_effect_is_denied_with_its_reason(
    page: Page, live_portal: LivePortal
) -> None:
    participant_id = fresh_participant(live_portal)
    sign_in_as(page, live_portal, "physician")
    # M54.5 (low back pain) ended on 2021-09-30; M54.50 replaced it.
    precert_id = start_request(page, participant_id, diagnoses="M54.5")

    expect(status_of(page)).to_have_attribute("data-status", "denied")
    reasons = page.locator(".reasons li")
    expect(reasons).to_have_count(1)
    expect(reasons).to_contain_text("DIAGNOSIS_NOT_APPROVED")
    expect(reasons).to_contain_text(
        "None of the diagnoses (M54.5) is on the approved list in effect on 2026-03-02."
    )
    assert precert_id_of(page) == precert_id


def test_several_reasons_are_all_shown(page: Page, live_portal: LivePortal) -> None:
    """Every reason that applies is listed, each with its code and its message."""
    young = fresh_participant(live_portal, birth_date=date(2012, 9, 1))
    sign_in_as(page, live_portal, "physician")
    start_request(page, young, therapy="acupuncture", diagnoses="M54.5")

    expect(status_of(page)).to_have_attribute("data-status", "denied")
    reasons = page.locator(".reasons li")
    expect(reasons).to_have_count(2)
    expect(reasons.nth(0)).to_contain_text(re.compile(r"PARTICIPANT_UNDER_MINIMUM_AGE.*under 21"))
    expect(reasons.nth(1)).to_contain_text(re.compile(r"DIAGNOSIS_NOT_APPROVED.*M54\.5"))
