"""The Pre-Certification Unit in a real browser: the work queue and review, phone entries, and
the participant page with its units chart."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import update

from precert.db import transaction
from precert.models import Precert
from tests.browser.conftest import LivePortal, expect
from tests.browser.flows import (
    CPT,
    PERIOD,
    approve,
    at,
    complete_request,
    fresh_participant,
    history_rows,
    nav,
    phone_request,
    sign_in_as,
    signed_in_page,
    start_request,
    status_of,
)

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = [pytest.mark.browser, pytest.mark.server]


def pended_request(
    browser: Browser, live_portal: LivePortal, problems: list[str], participant_id: str
) -> tuple[str, str]:
    """An approved physical-therapy request, then an overlapping one (10 units) that is pended.

    Return (approved ID, pended ID).
    """
    with (
        signed_in_page(browser, live_portal, "physician", problems) as doctor,
        signed_in_page(browser, live_portal, "physical_therapist", problems) as therapist,
    ):
        first = approve(doctor, therapist, participant_id, units="8")
        second = start_request(doctor, participant_id, therapy="physical_therapy")
        complete_request(
            therapist, participant_id, second, codes=(CPT["physical_therapy"],), units="10"
        )
        expect(status_of(therapist)).to_have_attribute("data-status", "pended")
        reasons = therapist.locator(".reasons li")
        expect(reasons).to_have_count(1)
        expect(reasons).to_contain_text("DUPLICATE_AUTHORIZATION")
        expect(reasons).to_contain_text(
            f"already holds approved pre-certification {first} for physical therapy "
            f"from 2026-03-02 to 2027-03-01"
        )
        expect(therapist.locator(".approved-units")).to_have_text("not decided yet")
        # Only the Pre-Certification Unit decides: the provider gets no review form.
        expect(therapist.get_by_role("button", name="Record decision")).to_have_count(0)
    return first, second


def test_a_pended_duplicate_is_reviewed_by_staff_from_the_work_queue(
    page: Page, browser: Browser, live_portal: LivePortal, page_problems: list[str]
) -> None:
    participant_id = fresh_participant(live_portal)
    _, pended = pended_request(browser, live_portal, page_problems, participant_id)

    sign_in_as(page, live_portal, "staff")
    expect(page.get_by_role("heading", name="Work queue")).to_be_visible()
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=pended))
    expect(row).to_have_count(1)
    expect(row).to_contain_text(participant_id)
    expect(row).to_contain_text("Physical therapy")
    # A standard request is due 7 days after it was pended: all but a moment of that is left.
    expect(row).to_contain_text(re.compile(r"6 days 23 hours left"))
    expect(row).not_to_contain_text("Overdue")

    row.get_by_role("link", name=pended).click()
    expect(page).to_have_url(at(live_portal, f"/precerts/{pended}"))
    expect(status_of(page)).to_have_attribute("data-status", "pended")
    expect(page.locator("dd").filter(has_text="left")).to_have_count(1)  # the decision due
    events_before = history_rows(page).count()

    # Without a note: the problem is shown next to the Note field, and nothing changes.
    review = page.get_by_role("region", name="Review")
    decision = review.get_by_role("group", name="Decision")
    decision.get_by_role("radio", name="Approve").check()
    review.get_by_label("Units to approve").fill("6")
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        review.get_by_role("button", name="Record decision").click()
    assert posted.value.status == 422
    note = review.get_by_label("Note")
    expect(note).to_have_attribute("aria-invalid", "true")
    expect(note).to_have_accessible_description(
        re.compile(r"at least 1 character|is required|must not be empty", re.IGNORECASE)
    )
    expect(review.get_by_role("alert")).to_contain_text("Nothing was stored")
    expect(status_of(page)).to_have_attribute("data-status", "pended")
    expect(history_rows(page)).to_have_count(events_before)
    # What was chosen and typed is kept.
    expect(decision.get_by_role("radio", name="Approve")).to_be_checked()
    expect(review.get_by_label("Units to approve")).to_have_value("6")

    # More units than were requested: refused next to the units, nothing changes.
    note.fill("Second course agreed for 6 units after a call with the therapist.")
    units = review.get_by_label("Units to approve")
    units.fill("11")
    review.get_by_role("button", name="Record decision").click()
    expect(units).to_have_attribute("aria-invalid", "true")
    expect(units).to_have_accessible_description(
        re.compile("cannot approve more than the 10 units requested")
    )
    expect(note).to_have_value("Second course agreed for 6 units after a call with the therapist.")
    expect(status_of(page)).to_have_attribute("data-status", "pended")
    expect(history_rows(page)).to_have_count(events_before)

    # With a note and 6 units: 6 of the 10 units requested are approved.
    units.fill("6")
    review.get_by_role("button", name="Record decision").click()
    expect(page).to_have_url(at(live_portal, f"/precerts/{pended}"))
    expect(status_of(page)).to_have_attribute("data-status", "partially_approved")
    expect(page.locator(".approved-units")).to_have_text("6 units (90 minutes)")
    expect(page.locator(".period")).to_have_text(PERIOD)
    expect(page.locator(".reasons")).to_contain_text(
        "UNITS_REDUCED_ON_REVIEW The Pre-Certification Unit approved 6 of the 10 units requested."
    )
    expect(page.get_by_role("region", name="Review")).to_have_count(0)
    rows = history_rows(page)
    expect(rows).to_have_count(events_before + 1)
    last = rows.last
    expect(last).to_contain_text("review")
    expect(last).to_contain_text("Sam Staff (staff)")
    expect(last).to_contain_text("Partially approved")
    expect(last).to_contain_text(
        "Second course agreed for 6 units after a call with the therapist."
    )

    # The queue no longer holds it.
    nav(page).get_by_role("link", name="Home").click()
    expect(page.get_by_role("heading", name="Work queue")).to_be_visible()
    expect(page.get_by_role("link", name=pended)).to_have_count(0)


def back_date_pending(live_portal: LivePortal, precert_id: str, days: int) -> None:
    """Make a pended request look as if it had waited `days` days in the queue, which counts
    from its last update (straight in the database; the history is append-only)."""
    then = datetime.now(UTC).replace(tzinfo=None) - timedelta(days=days)
    with transaction(live_portal.world.sessions) as s:
        s.execute(update(Precert).where(Precert.id == precert_id).values(updated_at=then))


def test_an_overdue_request_is_marked_in_the_queue_and_can_be_denied(
    page: Page, browser: Browser, live_portal: LivePortal, page_problems: list[str]
) -> None:
    participant_id = fresh_participant(live_portal)
    _, pended = pended_request(browser, live_portal, page_problems, participant_id)
    back_date_pending(live_portal, pended, days=8)  # a standard request is due in 7

    sign_in_as(page, live_portal, "staff")
    rows = page.get_by_role("table").get_by_role("row")
    row = rows.filter(has=page.get_by_role("link", name=pended))
    expect(row).to_contain_text(re.compile(r"Overdue: overdue by 1 day \d+ hours?"))
    # Oldest first: the overdue one heads the queue.
    expect(rows.nth(1)).to_contain_text(pended)

    row.get_by_role("link", name=pended).click()
    review = page.get_by_role("region", name="Review")
    review.get_by_role("radio", name="Deny").check()
    review.get_by_label("Note").fill("The first course covers this period.")
    review.get_by_role("button", name="Record decision").click()

    expect(status_of(page)).to_have_attribute("data-status", "denied")
    expect(page.locator(".approved-units")).to_have_text("0 units (0 minutes)")
    expect(page.locator(".reasons")).to_contain_text(
        "DENIED_ON_REVIEW Denied by the Pre-Certification Unit on review."
    )
    last = history_rows(page).last
    expect(last).to_contain_text("Denied")
    expect(last).to_contain_text("The first course covers this period.")
    nav(page).get_by_role("link", name="Home").click()
    expect(page.get_by_role("link", name=pended)).to_have_count(0)


def test_staff_enter_both_steps_for_callers_recorded_as_phone(
    page: Page, live_portal: LivePortal
) -> None:
    participant_id = fresh_participant(live_portal)
    sign_in_as(page, live_portal, "staff")
    links = nav(page).get_by_role("link")
    expect(links).to_have_text(["Home", "Participants", "New request", "Find requests"])

    # Step 1 for the prescribing physician on the phone.
    physician_npi = live_portal.npis["physician"]
    nav(page).get_by_role("link", name="New request").click()
    expect(page.get_by_label("Prescriber NPI")).to_be_visible()
    precert_id = start_request(
        page, participant_id, therapy="chiropractic", prescriber_npi=physician_npi
    )
    expect(status_of(page)).to_have_attribute("data-status", "awaiting_provider")
    expect(page.get_by_text(f"NPI {physician_npi}")).to_be_visible()

    # Step 2 for the chiropractor on the phone.
    chiropractor_npi = live_portal.npis["chiropractor"]
    complete_request(
        page,
        participant_id,
        precert_id,
        codes=("98940", "98941"),
        units="6",
        provider_npi=chiropractor_npi,
    )
    expect(status_of(page)).to_have_attribute("data-status", "approved")
    expect(page.locator(".approved-units")).to_have_text("6 units (90 minutes)")
    expect(page.locator(".period")).to_have_text(PERIOD)
    expect(page.get_by_text(f"NPI {chiropractor_npi}")).to_be_visible()

    history = page.get_by_role("region", name="History")
    expect(history.get_by_role("columnheader").nth(3)).to_have_text("Channel")
    rows = history_rows(page)
    expect(rows).to_have_count(2)
    for row in rows.all():
        expect(row.get_by_role("cell").nth(3)).to_have_text("phone")
        expect(row.get_by_role("cell").nth(2)).to_have_text("Sam Staff (staff)")
    expect(rows.nth(0).get_by_role("cell").nth(1)).to_have_text("referral")
    expect(rows.nth(1).get_by_role("cell").nth(1)).to_have_text("completion")


def test_participant_page_charts_the_units_of_each_therapy(
    page: Page, live_portal: LivePortal
) -> None:
    participant_id = fresh_participant(live_portal)
    sign_in_as(page, live_portal, "staff")

    def open_participant() -> None:
        nav(page).get_by_role("link", name="Participants").click()
        page.get_by_label("Participant ID").fill(participant_id)
        page.get_by_role("button", name="Search").click()
        expect(page).to_have_url(at(live_portal, f"/participants/{participant_id}"))

    open_participant()
    chart = page.get_by_role("img")
    expect(chart).to_have_count(1)
    expect(chart).to_have_attribute(
        "aria-label",
        "Units authorized in the benefit year 2026-01-01 to 2026-12-31: physical therapy 0, "
        "chiropractic 0, acupuncture 0; 0 of the 120-unit limit, 120 remaining; "
        "0 used on claims.",
    )

    physical = phone_request(page, live_portal, participant_id, therapy="physical_therapy")
    expect(status_of(page)).to_have_attribute("data-status", "approved")
    acupuncture = phone_request(page, live_portal, participant_id, therapy="acupuncture", units="4")
    expect(status_of(page)).to_have_attribute("data-status", "approved")

    open_participant()
    chart = page.locator("svg[role=img]")
    expect(chart).to_have_attribute(
        "aria-label",
        re.compile(
            re.escape(
                "physical therapy 8, chiropractic 0, acupuncture 4; "
                "12 of the 120-unit limit, 108 remaining; 0 used on claims."
            )
            + "$"
        ),
    )
    # A real chart: one band per therapy, the physical-therapy band with a height.
    bands = chart.locator("polygon")
    expect(bands).to_have_count(3)
    points = bands.first.get_attribute("points") or ""
    heights = {float(p.split(",")[1]) for p in points.split()}
    assert len(heights) > 1, f"the physical-therapy band is flat: {points}"
    expect(page.locator("p").filter(has_text="units authorized;")).to_contain_text(
        "12 of 120 units authorized; 108 remaining (1620 minutes); 0 used on claims."
    )
    table = page.get_by_role("table", name="Units authorized by therapy")
    physical_row = re.compile(r"^physical therapy 8 120 0$")  # units, minutes, used on claims
    expect(table.get_by_role("row", name=physical_row)).to_have_count(1)
    expect(table.get_by_role("row", name=re.compile(r"^acupuncture 4 60 0$"))).to_have_count(1)
    # Both requests are listed below the chart.
    for precert_id in (physical, acupuncture):
        expect(page.get_by_role("link", name=precert_id)).to_be_visible()
