"""Mistakes a person can make in the browser, and what the portal does about them: the problem
next to its field, what was typed kept, nothing stored; and a double click that stores once."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest

from tests.browser.conftest import LivePortal, expect
from tests.browser.flows import (
    DIAGNOSIS,
    PLAN_OF_CARE,
    TODAY,
    at,
    fill_step1,
    fresh_participant,
    nav,
    open_completion,
    precert_id_of,
    requests_for,
    sign_in_as,
    signed_in_page,
    start_request,
    status_of,
)

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = [pytest.mark.browser, pytest.mark.server]

UNKNOWN_PARTICIPANT = "39999999"


def submit_step1(page: Page) -> int:
    """Press Submit request; return the status of the page the browser shows next."""
    with page.expect_navigation() as shown:
        page.get_by_role("button", name="Submit request").click()
    response = shown.value
    assert response is not None
    return response.status


def test_an_unknown_participant_id_is_shown_next_to_the_field_and_the_form_kept(
    page: Page, live_portal: LivePortal
) -> None:
    sign_in_as(page, live_portal, "physician")
    fill_step1(page, UNKNOWN_PARTICIPANT, therapy="acupuncture", diagnoses="M54.50, G89.21")

    assert submit_step1(page) == 422
    expect(page).to_have_url(at(live_portal, "/precerts/new"))
    field = page.get_by_label("Participant ID")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_have_accessible_description(
        re.compile(f"no MO HealthNet participant has ID {UNKNOWN_PARTICIPANT}")
    )
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Nothing was stored")
    expect(summary.get_by_role("link", name="participant id")).to_have_attribute(
        "href", "#participant_id"
    )
    # What was typed is all still there.
    expect(field).to_have_value(UNKNOWN_PARTICIPANT)
    expect(page.get_by_label("Therapy")).to_have_value("acupuncture")
    expect(page.get_by_label("Diagnosis codes")).to_have_value("M54.50, G89.21")
    expect(page.get_by_label("Plan of care date")).to_have_value(PLAN_OF_CARE)
    expect(page.get_by_label("Start date")).to_have_value(TODAY)
    # Only the participant is wrong: no other field is marked.
    expect(page.locator("[aria-invalid=true]")).to_have_count(1)
    assert requests_for(live_portal, UNKNOWN_PARTICIPANT) == 0

    # Corrected, the same form goes through.
    participant_id = fresh_participant(live_portal)
    field.fill(participant_id)
    page.get_by_role("button", name="Submit request").click()
    precert_id_of(page)
    expect(status_of(page)).to_have_attribute("data-status", "awaiting_provider")
    assert requests_for(live_portal, participant_id) == 1


def test_a_malformed_participant_id_then_a_late_plan_of_care_are_each_shown_at_their_field(
    page: Page, live_portal: LivePortal
) -> None:
    sign_in_as(page, live_portal, "physician")
    fill_step1(page, "1234")

    assert submit_step1(page) == 422
    field = page.get_by_label("Participant ID")
    expect(field).to_have_accessible_description(
        re.compile("'1234' is not a MO HealthNet participant ID")
    )
    expect(field).to_have_value("1234")
    expect(page.get_by_label("Diagnosis codes")).to_have_value(DIAGNOSIS)

    participant_id = fresh_participant(live_portal)
    field.fill(participant_id)
    page.get_by_label("Plan of care date").fill("2026-03-10")
    assert submit_step1(page) == 422
    expect(field).not_to_have_attribute("aria-invalid", "true")
    plan = page.get_by_label("Plan of care date")
    expect(plan).to_have_attribute("aria-invalid", "true")
    expect(plan).to_have_accessible_description(
        re.compile("the plan of care date is after the start date")
    )
    expect(plan).to_have_value("2026-03-10")
    assert requests_for(live_portal, participant_id) == 0


def test_units_out_of_range_at_step_2_are_refused_next_to_the_units(
    page: Page, browser: Browser, live_portal: LivePortal, page_problems: list[str]
) -> None:
    participant_id = fresh_participant(live_portal)
    with signed_in_page(browser, live_portal, "physician", page_problems) as doctor:
        precert_id = start_request(doctor, participant_id)

    sign_in_as(page, live_portal, "physical_therapist")
    open_completion(page, participant_id, precert_id)
    units = page.get_by_label("Units", exact=True)
    for typed, problem in (
        ("121", "must be at most 120 units"),
        ("0", "greater than or equal to 1"),
    ):
        page.get_by_label("97110", exact=True).check()
        units.fill(typed)
        with page.expect_navigation() as shown:
            page.get_by_role("button", name="Complete request").click()
        assert shown.value is not None and shown.value.status == 422
        expect(page.get_by_role("heading", name="Complete the request")).to_be_visible()
        expect(units).to_have_attribute("aria-invalid", "true")
        expect(units).to_have_accessible_description(re.compile(problem))
        expect(units).to_have_value(typed)
        expect(page.get_by_label("97110", exact=True)).to_be_checked()
        expect(page.get_by_role("alert")).to_contain_text("Nothing was stored")
        expect(status_of(page)).to_have_attribute("data-status", "awaiting_provider")

    # Nothing was decided: the request still waits for its step 2.
    page.goto(live_portal.url(f"/precerts/{precert_id}"))
    expect(status_of(page)).to_have_attribute("data-status", "awaiting_provider")
    expect(page.locator(".approved-units")).to_have_text("not decided yet")

    # 120 is the most a request may ask for, and is accepted.
    open_completion(page, participant_id, precert_id)
    page.get_by_label("97110", exact=True).check()
    units.fill("120")
    page.get_by_role("button", name="Complete request").click()
    expect(status_of(page)).to_have_attribute("data-status", "approved")
    expect(page.locator(".approved-units")).to_have_text("120 units (1800 minutes)")


def test_a_double_clicked_submit_makes_one_request(page: Page, live_portal: LivePortal) -> None:
    """A person's double click stores one request. (Chromium itself sends a fast double click
    as one post; the next two tests check the page's script and the server's guard.)"""
    participant_id = fresh_participant(live_portal)
    sign_in_as(page, live_portal, "physician")
    fill_step1(page, participant_id)
    page.get_by_role("button", name="Submit request").dblclick()
    precert_id = precert_id_of(page)
    expect(status_of(page)).to_have_attribute("data-status", "awaiting_provider")

    assert requests_for(live_portal, participant_id) == 1
    nav(page).get_by_role("link", name="Home").click()
    rows = page.get_by_role("row").filter(has_text=participant_id)
    expect(rows).to_have_count(1)
    expect(rows.get_by_role("link")).to_have_text(precert_id)


def test_the_page_script_sends_a_form_once(page: Page, live_portal: LivePortal) -> None:
    """Two submits of the form in one moment leave the page as one post (the double click
    above cannot show it: Chromium merges a fast double click on its own)."""
    participant_id = fresh_participant(live_portal)
    sign_in_as(page, live_portal, "physician")
    fill_step1(page, participant_id)
    posts: list[str] = []
    page.on(
        "request",
        lambda r: posts.append(r.url) if r.method == "POST" and "/precerts/new" in r.url else None,
    )
    page.locator("#submit-request").evaluate(
        "button => { button.form.requestSubmit(button);"
        " setTimeout(() => button.form.requestSubmit(button), 30); }"
    )
    expect(status_of(page)).to_have_attribute("data-status", "awaiting_provider")
    assert len(posts) == 1
    assert requests_for(live_portal, participant_id) == 1


def test_the_same_form_posted_twice_makes_one_request(page: Page, live_portal: LivePortal) -> None:
    """The server's own guard, for when the page's script does not stop a second post (a slow
    network, a script that did not load): each form's key makes one request."""
    participant_id = fresh_participant(live_portal)
    sign_in_as(page, live_portal, "physician")
    fill_step1(page, participant_id)
    form = page.locator("form").filter(has=page.get_by_role("button", name="Submit request"))
    fields: dict[str, str] = form.evaluate(
        "f => Object.fromEntries([...new FormData(f)].concat([['action', 'submit']]))"
    )
    answers = [
        page.request.post(live_portal.url("/precerts/new"), form=fields, max_redirects=0)
        for _ in range(2)
    ]
    assert [a.status for a in answers] == [303, 303]
    first, second = (a.headers["location"] for a in answers)
    assert first == second and re.fullmatch(r"/precerts/PC-[0-9A-Z]{10}", first)
    assert requests_for(live_portal, participant_id) == 1

    made = first.removeprefix("/precerts/")

    # The page's own button posts that form a third time: it shows the same request.
    page.get_by_role("button", name="Submit request").click()
    assert precert_id_of(page) == made
    assert requests_for(live_portal, participant_id) == 1

    # A fresh form is a new request.
    fill_step1(page, participant_id)
    page.get_by_role("button", name="Submit request").click()
    assert precert_id_of(page) != made
    assert requests_for(live_portal, participant_id) == 2
