"""Step 1 by keyboard alone: Tab to each control, type, Enter and Space; focus always visible."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest

from tests.browser.conftest import LivePortal, expect
from tests.browser.flows import (
    PLAN_OF_CARE,
    TODAY,
    at,
    fresh_participant,
    nav,
    precert_id_of,
    requests_for,
    sign_in_as,
    signed_in_page,
    status_of,
)

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Locator, Page

pytestmark = [pytest.mark.browser, pytest.mark.server]

MAX_TABS = 80

_FOCUS_STYLE = """
el => {
  const style = getComputedStyle(el);
  return {
    focusVisible: el.matches(':focus-visible'),
    outlineStyle: style.outlineStyle,
    outlineWidth: parseFloat(style.outlineWidth),
  };
}
"""


def is_focused(target: Locator) -> bool:
    return bool(target.evaluate("el => el === document.activeElement"))


def tab_to(page: Page, target: Locator) -> int:
    """Press Tab until `target` has the focus; return how many presses it took."""
    expect(target).to_have_count(1)
    for presses in range(1, MAX_TABS + 1):
        page.keyboard.press("Tab")
        if is_focused(target):
            return presses
    raise AssertionError(f"{MAX_TABS} presses of Tab never reached {target}")


def assert_focus_visible(target: Locator) -> None:
    """The focused control shows a focus ring a sighted keyboard user can see."""
    style = target.evaluate(_FOCUS_STYLE)
    assert style["focusVisible"], f"{target} is focused but not :focus-visible"
    assert style["outlineStyle"] != "none", f"{target} has no outline when focused: {style}"
    assert style["outlineWidth"] >= 2, f"{target}'s focus outline is too thin: {style}"


def type_date(page: Page, iso: str) -> None:
    """Type a date into the focused date field as a person does: month, day, year."""
    year, month, day = iso.split("-")
    page.keyboard.type(month + day + year)


def test_step_1_by_keyboard_alone(
    browser: Browser, live_portal: LivePortal, page_problems: list[str]
) -> None:
    participant_id = fresh_participant(live_portal)
    # en-US, so that a date field takes its parts as month, day, year.
    with signed_in_page(browser, live_portal, "physician", page_problems, locale="en-US") as page:
        step_1_by_keyboard(page, live_portal, participant_id)
    assert not page_problems, page_problems


def step_1_by_keyboard(page: Page, live_portal: LivePortal, participant_id: str) -> None:
    keys = page.keyboard

    # The first Tab offers the skip link, and shows it.
    keys.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    assert_focus_visible(skip)

    # The navigation's New request link, by Tab and Enter.
    new_request = nav(page).get_by_role("link", name="New request")
    tab_to(page, new_request)
    assert_focus_visible(new_request)
    keys.press("Enter")
    expect(page).to_have_url(at(live_portal, "/precerts/new"))

    # The participant's ID, then Enter looks the participant up (it does not submit).
    participant = page.get_by_label("Participant ID")
    tab_to(page, participant)
    assert_focus_visible(participant)
    keys.type(participant_id)
    keys.press("Enter")
    summary = page.get_by_role("region", name="Participant")
    expect(summary).to_contain_text("Test Participant")
    expect(summary).to_contain_text("120 of 120")
    assert requests_for(live_portal, participant_id) == 0

    # The therapy, chosen with the arrow keys.
    therapy = page.get_by_label("Therapy")
    tab_to(page, therapy)
    assert_focus_visible(therapy)
    keys.press("ArrowDown")
    expect(therapy).to_have_value("physical_therapy")

    # A diagnosis found by its words and added with Space.
    search = page.get_by_label("Search diagnoses")
    tab_to(page, search)
    keys.type("low back pain")
    keys.press("Enter")
    add = page.get_by_role("button", name="Add M54.50")
    tab_to(page, add)
    assert_focus_visible(add)
    keys.press(" ")
    expect(page.get_by_label("Diagnosis codes")).to_have_value("M54.50")
    expect(page.get_by_label("Therapy")).to_have_value("physical_therapy")

    # The dates, typed.
    plan = page.get_by_label("Plan of care date")
    tab_to(page, plan)
    assert_focus_visible(plan)
    type_date(page, PLAN_OF_CARE)
    expect(plan).to_have_value(PLAN_OF_CARE)
    start = page.get_by_label("Start date")
    tab_to(page, start)
    type_date(page, TODAY)
    expect(start).to_have_value(TODAY)

    # Submit request, reached by Tab and pressed with Enter.
    submit = page.get_by_role("button", name="Submit request")
    tab_to(page, submit)
    assert_focus_visible(submit)
    keys.press("Enter")
    precert_id = precert_id_of(page)
    expect(status_of(page)).to_have_attribute("data-status", "awaiting_provider")
    expect(page.get_by_role("heading", level=1)).to_have_text(precert_id)
    expect(page.locator(".period")).to_contain_text(f"from {TODAY}")
    expect(page.get_by_role("listitem").filter(has_text=re.compile(r"^M54\.50 "))).to_be_visible()
    assert requests_for(live_portal, participant_id) == 1


def test_enter_in_the_diagnosis_field_submits_the_request(
    page: Page, live_portal: LivePortal
) -> None:
    """Enter in a field presses that form's own button: in Diagnosis codes, Submit request."""
    participant_id = fresh_participant(live_portal)
    sign_in_as(page, live_portal, "physician")
    page.goto(live_portal.url(f"/precerts/new?participant_id={participant_id}"))
    expect(page.get_by_role("region", name="Participant")).to_be_visible()
    page.get_by_label("Therapy").select_option("chiropractic")
    page.get_by_label("Plan of care date").fill(PLAN_OF_CARE)
    page.get_by_label("Start date").fill(TODAY)
    codes = page.get_by_label("Diagnosis codes")
    codes.focus()
    page.keyboard.type("G89.21")
    page.keyboard.press("Enter")
    precert_id_of(page)
    expect(status_of(page)).to_have_attribute("data-status", "awaiting_provider")
    assert requests_for(live_portal, participant_id) == 1
