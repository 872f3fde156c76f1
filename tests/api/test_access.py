"""Who may do what: 401, then 403, then 404, then 422, then 409."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import UNROSTERED, Scenario, assert_error


def raw_post(scenario: Scenario, path: str, as_: str, content: bytes) -> Any:
    headers = {**scenario.headers[as_], "Content-Type": "application/json"}
    return scenario.client.post(path, headers=headers, content=content)


# -- 401 ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "auth",
    [
        {},
        {"Authorization": "Bearer pct_not-a-real-token"},
        {"Authorization": "Bearer "},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "pct_no-scheme"},
    ],
    ids=["none", "unknown", "empty", "basic", "no-scheme"],
)
def test_every_endpoint_needs_a_valid_bearer_token(
    scenario: Scenario, auth: dict[str, str]
) -> None:
    precert = scenario.start()
    pid = precert["id"]
    calls = [
        ("POST", "/api/v1/precerts", scenario.referral()),
        ("POST", f"/api/v1/precerts/{pid}/completion", scenario.completion()),
        ("POST", f"/api/v1/precerts/{pid}/review", {"decision": "approve", "note": "x"}),
        ("POST", f"/api/v1/precerts/{pid}/cancellation", {"note": "x"}),
        ("GET", f"/api/v1/precerts/{pid}", None),
        ("GET", "/api/v1/precerts", None),
        ("GET", "/api/v1/participants/10000001/units", None),
    ]
    for method, path, body in calls:
        r = scenario.client.request(method, path, headers=auth, json=body)
        assert_error(r, 401, "UNAUTHENTICATED")
    assert scenario.find()["total"] == 1
    assert scenario.get(pid).json()["status"] == "awaiting_provider"


def test_401_comes_before_403_and_404(scenario: Scenario) -> None:
    r = scenario.client.post(
        "/api/v1/precerts/PC-0000000000/review", json={"decision": "approve", "note": "x"}
    )
    assert_error(r, 401, "UNAUTHENTICATED")
    r = scenario.client.post("/api/v1/precerts", content=b"{not json")
    assert_error(r, 401, "UNAUTHENTICATED")


# -- roles -------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["pt", "chiro", "admin"])
def test_only_physicians_and_staff_start_requests(scenario: Scenario, who: str) -> None:
    r = scenario.post_start(scenario.referral(), as_=who)
    assert_error(r, 403, "FORBIDDEN")
    assert scenario.find()["total"] == 0


@pytest.mark.parametrize("who", ["doc_a", "doc_b", "admin"])
def test_only_providers_and_staff_complete_requests(scenario: Scenario, who: str) -> None:
    precert = scenario.start()
    r = scenario.post_complete(precert["id"], scenario.completion(), as_=who)
    assert_error(r, 403, "FORBIDDEN")
    assert scenario.get(precert["id"]).json()["status"] == "awaiting_provider"


def test_staff_act_for_anyone(scenario: Scenario) -> None:
    precert = scenario.start(as_="staff", prescriber_npi=scenario.npis["doc_b"])
    assert precert["prescriber_npi"] == scenario.npis["doc_b"]
    done = scenario.complete(precert, as_="staff", provider_npi=scenario.npis["pt2"])
    assert done["status"] == "approved"
    assert done["provider_npi"] == scenario.npis["pt2"]
    # The physician and provider named by staff see it as theirs.
    assert scenario.get(done["id"], as_="doc_b").status_code == 200
    assert scenario.get(done["id"], as_="pt2").status_code == 200
    assert scenario.get(done["id"], as_="doc_a").status_code == 404


# -- someone else's NPI in the body: 403 -------------------------------------------------------


@pytest.mark.parametrize("other", ["doc_b", "pt", "unrostered"])
def test_physician_naming_another_npi_is_forbidden(scenario: Scenario, other: str) -> None:
    value = UNROSTERED if other == "unrostered" else scenario.npis[other]
    r = scenario.post_start(scenario.referral(prescriber_npi=value))
    assert_error(r, 403, "FORBIDDEN")
    assert scenario.find()["total"] == 0


def test_physician_npi_with_a_bad_check_digit_is_a_422_not_a_403(scenario: Scenario) -> None:
    own = scenario.npis["doc_a"]
    broken = own[:-1] + str((int(own[-1]) + 1) % 10)
    r = scenario.post_start(scenario.referral(prescriber_npi=broken))
    body = assert_error(r, 422, "VALIDATION_ERROR")
    assert [p["field"] for p in body["fields"]] == ["prescriber_npi"]
    assert "check digit" in body["fields"][0]["message"]


@pytest.mark.parametrize("other", ["pt2", "chiro", "unrostered"])
def test_provider_naming_another_npi_is_forbidden(scenario: Scenario, other: str) -> None:
    precert = scenario.start()
    value = UNROSTERED if other == "unrostered" else scenario.npis[other]
    r = scenario.post_complete(precert["id"], scenario.completion(provider_npi=value), as_="pt")
    assert_error(r, 403, "FORBIDDEN")
    assert scenario.get(precert["id"]).json()["status"] == "awaiting_provider"


def test_403_for_another_npi_comes_before_the_404(scenario: Scenario) -> None:
    precert = scenario.start()
    # The chiropractor cannot see the physical-therapy request, but names the PT's NPI.
    body = scenario.completion(provider_npi=scenario.npis["pt"])
    assert_error(scenario.post_complete(precert["id"], body, as_="chiro"), 403, "FORBIDDEN")
    body = scenario.completion(provider_npi=scenario.npis["pt2"])
    r = scenario.post_complete("PC-0000000000", body, as_="pt")
    assert_error(r, 403, "FORBIDDEN")


def test_wrong_role_comes_before_the_404(scenario: Scenario) -> None:
    r = scenario.post_complete("PC-0000000000", scenario.completion(), as_="doc_a")
    assert_error(r, 403, "FORBIDDEN")


# -- two physicians ----------------------------------------------------------------------------


def test_physician_cannot_see_another_physicians_request(scenario: Scenario) -> None:
    precert = scenario.start()
    assert scenario.get(precert["id"], as_="doc_a").status_code == 200
    assert_error(scenario.get(precert["id"], as_="doc_b"), 404, "NOT_FOUND")
    assert scenario.ids("doc_b", participant_id="10000001") == set()


def test_someone_elses_request_reads_like_a_missing_one(scenario: Scenario) -> None:
    precert = scenario.start()
    theirs = scenario.get(precert["id"], as_="doc_b").json()
    missing = scenario.get("PC-0000000000", as_="doc_b").json()
    assert theirs == missing


# -- two providers of one kind, and providers of other kinds -----------------------------------


def test_provider_of_the_therapy_can_read_an_open_request(scenario: Scenario) -> None:
    precert = scenario.start()
    for who in ("pt", "pt2"):
        r = scenario.get(precert["id"], as_=who)
        assert r.status_code == 200
        assert r.json()["status"] == "awaiting_provider"


@pytest.mark.parametrize(
    ("therapy", "outsider"),
    [("physical_therapy", "chiro"), ("chiropractic", "acu"), ("acupuncture", "pt")],
)
def test_provider_of_another_kind_cannot_see_or_complete(
    scenario: Scenario, therapy: str, outsider: str
) -> None:
    precert = scenario.start(therapy)
    assert_error(scenario.get(precert["id"], as_=outsider), 404, "NOT_FOUND")
    body = scenario.completion(therapy, provider_npi=scenario.npis[outsider])
    r = scenario.post_complete(precert["id"], body, as_=outsider)
    assert_error(r, 404, "NOT_FOUND")
    assert scenario.get(precert["id"]).json()["status"] == "awaiting_provider"
    assert scenario.get(precert["id"]).json()["history"][-1]["action"] == "referral"


def test_provider_who_holds_a_request_sees_it(scenario: Scenario) -> None:
    done = scenario.approved()
    r = scenario.get(done["id"], as_="pt")
    assert r.status_code == 200
    assert r.json()["provider_npi"] == scenario.npis["pt"]
    assert scenario.ids("pt") == {done["id"]}


def test_second_provider_cannot_see_or_complete_what_the_first_completed(
    scenario: Scenario,
) -> None:
    done = scenario.approved()
    assert_error(scenario.get(done["id"], as_="pt2"), 404, "NOT_FOUND")
    r = scenario.post_complete(
        done["id"], scenario.completion(provider_npi=scenario.npis["pt2"]), as_="pt2"
    )
    assert_error(r, 404, "NOT_FOUND")
    assert scenario.ids("pt2", participant_id="10000001") == set()


def test_provider_still_sees_a_request_it_got_denied(scenario: Scenario) -> None:
    denied = scenario.complete(scenario.start(), procedure_codes=["98940"])
    assert denied["status"] == "denied"
    assert scenario.get(denied["id"], as_="pt").status_code == 200
    assert_error(scenario.get(denied["id"], as_="pt2"), 404, "NOT_FOUND")


# -- 404 before 422, 422 before 409 ------------------------------------------------------------


def test_404_comes_before_422(scenario: Scenario) -> None:
    precert = scenario.start()
    r = scenario.post_complete(precert["id"], {"units": 0}, as_="chiro")
    assert_error(r, 404, "NOT_FOUND")
    r = scenario.post_complete("PC-0000000000", {"units": 0}, as_="staff")
    assert_error(r, 404, "NOT_FOUND")
    r = scenario.cancel(precert["id"], {"note": ""}, as_="doc_b")
    assert_error(r, 404, "NOT_FOUND")
    r = scenario.review("PC-0000000000", {})
    assert_error(r, 404, "NOT_FOUND")


def test_403_comes_before_422_even_for_a_body_that_is_not_json(scenario: Scenario) -> None:
    r = raw_post(scenario, "/api/v1/precerts", "admin", b"{not json")
    assert_error(r, 403, "FORBIDDEN")
    r = raw_post(scenario, "/api/v1/precerts", "pt", b"{not json")
    assert_error(r, 403, "FORBIDDEN")


def test_404_comes_before_422_even_for_a_body_that_is_not_json(scenario: Scenario) -> None:
    precert = scenario.start()
    r = raw_post(scenario, f"/api/v1/precerts/{precert['id']}/completion", "chiro", b"{oops")
    assert_error(r, 404, "NOT_FOUND")
    r = raw_post(scenario, f"/api/v1/precerts/{precert['id']}/cancellation", "doc_b", b"{oops")
    assert_error(r, 404, "NOT_FOUND")


def test_422_comes_before_409(scenario: Scenario) -> None:
    done = scenario.approved()
    r = scenario.post_complete(done["id"], scenario.completion(units=121))
    assert_error(r, 422, "VALIDATION_ERROR")
    r = scenario.post_complete(done["id"], scenario.completion())
    assert_error(r, 409, "PRECERT_NOT_OPEN")
    cancelled = scenario.start()
    assert scenario.cancel(cancelled["id"]).status_code == 200
    assert_error(scenario.cancel(cancelled["id"], {"note": ""}), 422, "VALIDATION_ERROR")
    assert_error(scenario.cancel(cancelled["id"]), 409, "PRECERT_CLOSED")


# -- participants ------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["doc_a", "pt", "staff"])
def test_clinicians_and_staff_read_a_participant(scenario: Scenario, who: str) -> None:
    r = scenario.client.get("/api/v1/participants/10000001", headers=scenario.headers[who])
    assert r.status_code == 200, r.text
    assert r.json()["participant_id"] == "10000001"


# -- the documentation -------------------------------------------------------------------------


def test_openapi_lists_every_path(scenario: Scenario) -> None:
    r = scenario.client.get("/openapi.json")
    assert r.status_code == 200
    paths = r.json()["paths"]
    assert {
        "/api/v1/precerts",
        "/api/v1/precerts/{precert_id}",
        "/api/v1/precerts/{precert_id}/completion",
        "/api/v1/precerts/{precert_id}/review",
        "/api/v1/precerts/{precert_id}/cancellation",
        "/api/v1/participants/{participant_id}/units",
    } <= set(paths)
    assert {"get", "post"} <= set(paths["/api/v1/precerts"])
    body = paths["/api/v1/precerts"]["post"]["requestBody"]["content"]["application/json"]
    assert "prescriber_npi" in str(body["schema"])
    assert scenario.client.get("/docs").status_code == 200
