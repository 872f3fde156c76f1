"""PAS `Claim/$inquire`: the current response of each request for a member and an NPI."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Scenario
from tests.interop.fhir import pas


def _inquiry(s: Scenario, npi: str, identifier: str = "Q-1") -> dict[str, Any]:
    bundle = pas.request(requester=npi, identifier=identifier)
    claim = bundle["entry"][0]["resource"]
    claim["meta"] = {"profile": [pas.PAS + "profile-claim-inquiry"]}
    return bundle


def _bundles(r: Any) -> list[dict[str, Any]]:
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["resourceType"] == "Parameters"
    assert all(p["name"] == "responseBundle" for p in body.get("parameter", []))
    return [p["resource"] for p in body.get("parameter", [])]


def test_an_inquiry_finds_the_request_and_shows_what_was_decided_since(
    scenario: Scenario,
) -> None:
    s = scenario
    first = pas.submit(s, pas.request(requester=s.npis["doc_a"]), "doc_a")
    precert_id = pas.claim_response(first)["preAuthRef"]
    before = _bundles(pas.post(s, "/fhir/Claim/$inquire", _inquiry(s, s.npis["doc_a"]), "doc_a"))
    assert [pas.claim_response(b)["preAuthRef"] for b in before] == [precert_id]
    assert pas.actions(before[0]) == ["A4"]
    s.complete(s.get(precert_id).json())  # step 2 by the REST API
    after = _bundles(pas.post(s, "/fhir/Claim/$inquire", _inquiry(s, s.npis["pt"]), "pt"))
    [answer] = after
    assert pas.claim_response(answer)["preAuthRef"] == precert_id
    assert pas.actions(answer) == ["A1"]
    assert answer["meta"]["profile"] == [pas.PAS + "profile-pas-inquiry-response-bundle"]


def test_an_inquiry_by_another_npi_or_member_finds_nothing(scenario: Scenario) -> None:
    s = scenario
    pas.submit(s, pas.request(requester=s.npis["doc_a"]), "doc_a")
    assert (
        _bundles(pas.post(s, "/fhir/Claim/$inquire", _inquiry(s, s.npis["doc_b"]), "doc_b")) == []
    )
    s.world.participant("10000002")
    other = pas.request(requester=s.npis["doc_a"], member="10000002")
    assert _bundles(pas.post(s, "/fhir/Claim/$inquire", other, "doc_a")) == []


def test_an_inquiry_must_name_a_provider(scenario: Scenario) -> None:
    s = scenario
    bundle = _inquiry(s, s.npis["doc_a"])
    bundle["entry"][5]["resource"]["identifier"] = []  # the requester's Practitioner: no NPI
    r = pas.post(s, "/fhir/Claim/$inquire", bundle, "doc_a")
    assert r.status_code == 422
    assert pas.issues(r)[0]["expression"] == ["Bundle.entry[0].resource.provider"]
