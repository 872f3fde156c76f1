"""GET /api/v1/participants/{id}/units and the combined 120-unit annual limit."""

from __future__ import annotations

import pytest

from tests.api.conftest import Scenario, assert_error, codes_of


def test_new_participant_has_the_whole_limit(scenario: Scenario) -> None:
    units = scenario.units()
    assert units["participant_id"] == "10000001"
    assert units["benefit_year"] == {"start": "2026-01-01", "end": "2026-12-31", "kind": "calendar"}
    assert units["limit"] == 120
    assert units["authorized"] == 0
    assert units["remaining"] == 120
    assert units["by_therapy"] == {"physical_therapy": 0, "chiropractic": 0, "acupuncture": 0}


def test_units_of_a_named_year(scenario: Scenario) -> None:
    units = scenario.units(year="2027")
    assert units["benefit_year"]["start"] == "2027-01-01"
    assert units["benefit_year"]["end"] == "2027-12-31"


@pytest.mark.parametrize("who", ["doc_a", "doc_b", "pt", "chiro", "acu", "staff", "admin"])
def test_any_signed_in_user_may_read_units(scenario: Scenario, who: str) -> None:
    assert scenario.units(as_=who)["limit"] == 120


def test_units_need_a_token(scenario: Scenario) -> None:
    r = scenario.client.get("/api/v1/participants/10000001/units")
    assert_error(r, 401, "UNAUTHENTICATED")


def test_unknown_participant_is_a_404(scenario: Scenario) -> None:
    r = scenario.client.get(
        "/api/v1/participants/99999999/units", headers=scenario.headers["staff"]
    )
    assert_error(r, 404, "NOT_FOUND")


@pytest.mark.parametrize(
    "year", ["20x6", "26", "abcd", "-2026", "2026.0", "", "99999", "²⁰²⁶", "２０２６"]
)
def test_bad_year_is_a_422(scenario: Scenario, year: str) -> None:
    r = scenario.client.get(
        "/api/v1/participants/10000001/units",
        headers=scenario.headers["staff"],
        params={"year": year},
    )
    body = assert_error(r, 422, "VALIDATION_ERROR")
    assert [p["field"] for p in body["fields"]] == ["year"]


def test_malformed_participant_id_is_a_422(scenario: Scenario) -> None:
    r = scenario.client.get("/api/v1/participants/1234/units", headers=scenario.headers["staff"])
    assert_error(r, 422, "VALIDATION_ERROR")


def test_units_count_approvals_by_therapy(scenario: Scenario) -> None:
    scenario.approved(units=30)
    scenario.approved("acupuncture", units=8)
    units = scenario.units()
    assert units["authorized"] == 38
    assert units["remaining"] == 82
    assert units["by_therapy"] == {"physical_therapy": 30, "chiropractic": 0, "acupuncture": 8}


def test_open_denied_and_pended_requests_hold_no_units(scenario: Scenario) -> None:
    scenario.start()
    scenario.start("chiropractic", diagnosis_codes=["Z00.00"])
    scenario.approved("acupuncture", units=10)
    pended = scenario.complete(scenario.start("acupuncture", as_="doc_b"), units=10)
    assert pended["status"] == "pended"
    assert scenario.units()["authorized"] == 10


def test_units_are_charged_to_the_year_the_period_starts_in(scenario: Scenario) -> None:
    first = scenario.start(start_date="2027-01-05")
    scenario.complete(first, start_date="2027-01-05", units=25)
    assert scenario.units()["authorized"] == 0
    assert scenario.units(year="2026")["authorized"] == 0
    assert scenario.units(year="2027")["authorized"] == 25
    assert scenario.units(year="2027")["by_therapy"]["physical_therapy"] == 25


def test_combined_limit_across_therapies(scenario: Scenario) -> None:
    assert scenario.approved("physical_therapy", units=50)["status"] == "approved"
    assert scenario.approved("chiropractic", units=50)["status"] == "approved"
    third = scenario.approved("acupuncture", units=50)
    assert third["status"] == "partially_approved"
    assert third["requested_units"] == 50
    assert third["approved_units"] == 20
    assert third["approved_minutes"] == 300
    assert codes_of(third) == ["UNITS_REDUCED_TO_LIMIT"]
    assert "20" in third["reasons"][0]["message"]
    units = scenario.units()
    assert units["authorized"] == 120
    assert units["remaining"] == 0
    assert units["by_therapy"] == {"physical_therapy": 50, "chiropractic": 50, "acupuncture": 20}

    fourth = scenario.complete(scenario.start("chiropractic", as_="doc_b"), units=1)
    assert fourth["status"] == "denied"
    assert fourth["approved_units"] == 0
    assert fourth["procedure_codes"] == []
    assert codes_of(fourth) == ["ANNUAL_LIMIT_REACHED"]
    assert scenario.units()["authorized"] == 120


def test_limit_of_one_year_does_not_touch_the_next(scenario: Scenario) -> None:
    scenario.approved(units=120)
    next_year = scenario.complete(
        scenario.start("chiropractic", start_date="2027-01-01"), start_date="2027-01-01", units=120
    )
    assert next_year["status"] == "approved"
    assert next_year["approved_units"] == 120
    assert scenario.units(year="2026")["remaining"] == 0
    assert scenario.units(year="2027")["remaining"] == 0
