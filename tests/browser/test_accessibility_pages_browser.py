"""axe-core on each main portal page, in the state a person meets it: filled, with results, with
problems shown. A serious or critical violation fails the test."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest

from tests.browser.conftest import LivePortal, assert_no_axe_violations, expect
from tests.browser.flows import (
    CPT,
    approve,
    complete_request,
    fresh_participant,
    nav,
    open_completion,
    sign_in_as,
    signed_in_page,
    start_request,
    status_of,
)

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = [pytest.mark.browser, pytest.mark.server]

BAD_ROSTER = (
    b"participant_id,first_name,last_name,birth_date,eligibility_start,eligibility_end\n"
    b"32000001,Ann,Lee,1970-02-30,2020-01-01,\n"
    b"123,Bo,Ray,1981-05-05,2020-01-01,\n"
)


@dataclass(frozen=True)
class Made:
    """Requests in each state, made once for the module through the browser."""

    approved: str  # physical therapy, 8 units
    approved_participant: str
    denied: str  # under 21
    pended: str  # a duplicate of an approved one
    awaiting: str  # physical therapy, waiting for step 2
    awaiting_participant: str


@pytest.fixture(scope="module")
def made(browser: Browser, live_portal: LivePortal) -> Made:
    problems: list[str] = []
    approved_participant = fresh_participant(live_portal)
    duplicate_participant = fresh_participant(live_portal)
    awaiting_participant = fresh_participant(live_portal)
    with (
        signed_in_page(browser, live_portal, "physician", problems) as doctor,
        signed_in_page(browser, live_portal, "physical_therapist", problems) as therapist,
    ):
        approved = approve(doctor, therapist, approved_participant)
        approve(doctor, therapist, duplicate_participant)
        denied = start_request(doctor, live_portal.participants.under_21)
        expect(status_of(doctor)).to_have_attribute("data-status", "denied")
        pended = start_request(doctor, duplicate_participant)
        awaiting = start_request(doctor, awaiting_participant)
        complete_request(therapist, duplicate_participant, pended, codes=(CPT["physical_therapy"],))
        expect(status_of(therapist)).to_have_attribute("data-status", "pended")
    assert not problems, problems
    return Made(approved, approved_participant, denied, pended, awaiting, awaiting_participant)


Visit = Callable[["Page", LivePortal, Made], None]


def physician_home(page: Page, live_portal: LivePortal, made: Made) -> None:
    sign_in_as(page, live_portal, "physician")
    expect(page.get_by_role("link", name=made.approved)).to_be_visible()


def new_request_looked_up_and_found(page: Page, live_portal: LivePortal, made: Made) -> None:
    sign_in_as(page, live_portal, "physician")
    nav(page).get_by_role("link", name="New request").click()
    page.get_by_label("Participant ID").fill(made.approved_participant)
    page.get_by_role("button", name="Look up participant").click()
    expect(page.get_by_role("region", name="Participant")).to_contain_text("112 of 120")
    page.get_by_label("Search diagnoses").fill("low back")
    page.get_by_role("button", name="Find").click()
    page.get_by_role("button", name="Add M54.50").click()
    page.get_by_label("Search diagnoses").fill("M54.5")
    page.get_by_role("button", name="Find").click()
    expect(page.get_by_role("button", name="Add M54.59")).to_be_visible()
    expect(page.get_by_role("list", name="Diagnoses entered")).to_contain_text("M54.50")


def new_request_with_problems(page: Page, live_portal: LivePortal, made: Made) -> None:
    sign_in_as(page, live_portal, "physician")
    nav(page).get_by_role("link", name="New request").click()
    page.get_by_label("Participant ID").fill("39999999")
    page.get_by_label("Diagnosis codes").fill("M54.5, XYZ")
    page.get_by_role("button", name="Submit request").click()
    expect(page.get_by_role("alert")).to_contain_text("Nothing was stored")


def approved_request_page(page: Page, live_portal: LivePortal, made: Made) -> None:
    sign_in_as(page, live_portal, "physician")
    page.goto(live_portal.url(f"/precerts/{made.approved}"))
    expect(status_of(page)).to_have_attribute("data-status", "approved")


def denied_request_page(page: Page, live_portal: LivePortal, made: Made) -> None:
    sign_in_as(page, live_portal, "physician")
    page.goto(live_portal.url(f"/precerts/{made.denied}"))
    expect(status_of(page)).to_have_attribute("data-status", "denied")


def pended_request_with_review_form(page: Page, live_portal: LivePortal, made: Made) -> None:
    sign_in_as(page, live_portal, "staff")
    page.get_by_role("link", name=made.pended).click()
    expect(status_of(page)).to_have_attribute("data-status", "pended")
    expect(page.get_by_role("button", name="Record decision")).to_be_visible()


def pended_request_review_problems(page: Page, live_portal: LivePortal, made: Made) -> None:
    sign_in_as(page, live_portal, "staff")
    page.goto(live_portal.url(f"/precerts/{made.pended}"))
    page.get_by_role("radio", name="Approve").check()
    page.get_by_label("Units to approve").fill("999")
    page.get_by_role("button", name="Record decision").click()
    expect(page.get_by_label("Note")).to_have_attribute("aria-invalid", "true")
    expect(status_of(page)).to_have_attribute("data-status", "pended")


def find_requests_with_results(page: Page, live_portal: LivePortal, made: Made) -> None:
    sign_in_as(page, live_portal, "physical_therapist")
    nav(page).get_by_role("link", name="Find requests").click()
    page.get_by_label("Participant ID").fill(made.awaiting_participant)
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("link", name="Complete")).to_be_visible()


def complete_form(page: Page, live_portal: LivePortal, made: Made) -> None:
    sign_in_as(page, live_portal, "physical_therapist")
    open_completion(page, made.awaiting_participant, made.awaiting)
    page.get_by_label("Units", exact=True).fill("8")  # shows its minutes as it is typed
    expect(page.get_by_text("8 units = 120 minutes")).to_be_visible()


def complete_form_with_problems(page: Page, live_portal: LivePortal, made: Made) -> None:
    sign_in_as(page, live_portal, "physical_therapist")
    open_completion(page, made.awaiting_participant, made.awaiting)
    page.get_by_label("Units", exact=True).fill("500")
    page.get_by_role("button", name="Complete request").click()
    expect(page.get_by_role("alert")).to_contain_text("Nothing was stored")


def staff_work_queue(page: Page, live_portal: LivePortal, made: Made) -> None:
    sign_in_as(page, live_portal, "staff")
    expect(page.get_by_role("link", name=made.pended)).to_be_visible()
    expect(page.get_by_role("table")).to_contain_text("left")


def participant_page_with_chart(page: Page, live_portal: LivePortal, made: Made) -> None:
    sign_in_as(page, live_portal, "staff")
    nav(page).get_by_role("link", name="Participants").click()
    page.get_by_label("Participant ID").fill(made.approved_participant)
    page.get_by_role("button", name="Search").click()
    expect(page.locator("svg[role=img]")).to_have_attribute(
        "aria-label",
        "Units authorized in the benefit year 2026-01-01 to 2026-12-31: "
        "physical therapy 8, chiropractic 0, acupuncture 0; 8 of the 120-unit limit, "
        "112 remaining; 0 used on claims.",
    )


def participant_search_with_a_problem(page: Page, live_portal: LivePortal, made: Made) -> None:
    sign_in_as(page, live_portal, "staff")
    nav(page).get_by_role("link", name="Participants").click()
    page.get_by_label("Participant ID").fill("39999999")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_label("Participant ID")).to_have_attribute("aria-invalid", "true")


def admin_users(page: Page, live_portal: LivePortal, made: Made) -> None:
    sign_in_as(page, live_portal, "admin")
    nav(page).get_by_role("link", name="Users").click()
    page.get_by_label("Name", exact=True).fill("Robin Newcomer")
    page.get_by_label("Role").select_option("staff")
    page.get_by_label("Username").fill("robin-newcomer")
    page.get_by_role("button", name="Create user").click()
    expect(page.get_by_role("status")).to_contain_text("Robin Newcomer was created")


def roster_upload_with_an_error_report(page: Page, live_portal: LivePortal, made: Made) -> None:
    sign_in_as(page, live_portal, "admin")
    nav(page).get_by_role("link", name="Roster upload").click()
    page.get_by_label("Roster").select_option("participants")
    page.get_by_label("CSV file").set_input_files(
        files=[{"name": "roster.csv", "mimeType": "text/csv", "buffer": BAD_ROSTER}]
    )
    page.get_by_role("button", name="Upload").click()
    report = page.get_by_role("alert")
    expect(report).to_contain_text("roster.csv: nothing was loaded")
    expect(report.get_by_role("row")).not_to_have_count(0)


def policy(page: Page, live_portal: LivePortal, made: Made) -> None:
    sign_in_as(page, live_portal, "admin")
    nav(page).get_by_role("link", name="Policy").click()
    expect(page.get_by_role("heading", name="Policy in effect on 2026-03-02")).to_be_visible()


def access_log(page: Page, live_portal: LivePortal, made: Made) -> None:
    sign_in_as(page, live_portal, "admin")
    nav(page).get_by_role("link", name="Access log").click()
    page.get_by_label("Participant ID").fill(made.approved_participant)
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_role("cell", name="request", exact=True).first).to_be_visible()


def not_found_page(page: Page, live_portal: LivePortal, made: Made) -> None:
    sign_in_as(page, live_portal, "physician_2")
    response = page.goto(live_portal.url(f"/precerts/{made.approved}"))
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()


def forbidden_page(page: Page, live_portal: LivePortal, made: Made) -> None:
    sign_in_as(page, live_portal, "physical_therapist")
    response = page.goto(live_portal.url(f"/participants/{made.approved_participant}"))
    assert response is not None and response.status == 403
    expect(page.get_by_role("heading", name="Not available to you")).to_be_visible()


PAGES: list[Visit] = [
    physician_home,
    new_request_looked_up_and_found,
    new_request_with_problems,
    approved_request_page,
    denied_request_page,
    pended_request_with_review_form,
    pended_request_review_problems,
    find_requests_with_results,
    complete_form,
    complete_form_with_problems,
    staff_work_queue,
    participant_page_with_chart,
    participant_search_with_a_problem,
    admin_users,
    roster_upload_with_an_error_report,
    policy,
    access_log,
    not_found_page,
    forbidden_page,
]


@pytest.mark.parametrize("visit", PAGES, ids=[v.__name__ for v in PAGES])
def test_page_has_no_serious_accessibility_violations(
    page: Page, live_portal: LivePortal, made: Made, visit: Visit
) -> None:
    visit(page, live_portal, made)
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    assert_no_axe_violations(page)
