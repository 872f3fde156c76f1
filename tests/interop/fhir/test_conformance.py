"""PAS conformance: the official examples parse; our responses meet the profiles'
cardinalities and fixed values (read from the PAS 2.2.1 package) and the test kits' checks
(ClaimResponse first, references closed, a reviewActionCode on every item)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fhir.resources.R4B import get_fhir_model_class

from precert.interop.fhir.bundle import Entries, check_closure
from tests.api.conftest import Scenario
from tests.interop import profiles, standards
from tests.interop.fhir import pas

PAS = "http://hl7.org/fhir/us/davinci-pas/StructureDefinition/"


def _strip_primitive_extensions(value: Any) -> Any:
    """Drop `_value*` primitive extensions inside extensions, which fhir.resources refuses."""
    if isinstance(value, dict):
        return {
            k: _strip_primitive_extensions(v)
            for k, v in value.items()
            if not (k.startswith("_value") and "url" in value)
        }
    if isinstance(value, list):
        return [_strip_primitive_extensions(v) for v in value]
    return value


@pytest.mark.parametrize("folder", ["pas", "dtr"])
def test_the_official_examples_parse_with_the_r4b_models(folder: str) -> None:
    path = standards.require() / folder
    names = sorted(p.name for p in path.glob("*.json"))
    assert names
    for name in names:
        data = json.loads((path / name).read_text())
        if data["resourceType"] == "OperationDefinition":
            # fhir.resources 8.3 refuses a primitive extension (`_valueInteger`) inside an
            # extension, which the two PAS OperationDefinitions carry; the rest must parse.
            data = _strip_primitive_extensions(data)
        model = get_fhir_model_class(data["resourceType"])
        model.model_validate(data)


def test_the_checker_accepts_the_official_responses_and_catches_a_missing_element() -> None:
    response = standards.example("pas/Bundle-ReferralAuthorizationResponseBundleExample.json")
    bundle_profile = standards.structure_definition("pas", PAS + "profile-pas-response-bundle")
    claim_profile = standards.structure_definition("pas", PAS + "profile-claimresponse")
    assert profiles.problems(response, bundle_profile) == []
    claim_response = response["entry"][0]["resource"]
    assert profiles.problems(claim_response, claim_profile) == []
    del claim_response["outcome"]
    claim_response["use"] = "claim"
    found = profiles.problems(claim_response, claim_profile)
    assert any("ClaimResponse.outcome" in p for p in found)
    assert any("ClaimResponse.use" in p for p in found)


def _answers(s: Scenario) -> list[dict[str, Any]]:
    """Return PAS responses of each action: A4 (awaiting), A1, A3, A4 (pended) and A6."""
    doc, pt = s.npis["doc_a"], s.npis["pt"]
    answers = [pas.submit(s, pas.request(requester=doc, identifier="C1"), "doc_a")]
    answers.append(
        pas.submit(s, pas.request(requester=pt, prior="C1", physician=doc, identifier="C2"), "pt")
    )
    answers.append(
        pas.submit(s, pas.request(requester=doc, diagnoses=("J45.909",), identifier="C3"), "doc_a")
    )
    pended = pas.request(
        requester=s.npis["doc_b"],
        physician=s.npis["doc_b"],
        performer=s.npis["pt2"],
        identifier="C5",
    )
    answers.append(pas.submit(s, pended, "staff"))
    s.approved("chiropractic", units=100)
    reduced = pas.request(
        requester=s.npis["doc_b"],
        physician=s.npis["doc_b"],
        performer=s.npis["acu"],
        items=[("97810", 10, "2026-03-10"), ("97811", 10, "2026-03-10")],
        identifier="C4",
    )
    answers.append(pas.submit(s, reduced, "staff"))
    assert [pas.actions(a) for a in answers] == [["A4"], ["A1"], ["A3"], ["A4"], ["A1", "A6"]]
    return answers


def test_our_responses_meet_the_profiles_and_the_test_kit_checks(scenario: Scenario) -> None:
    bundle_profile = standards.structure_definition("pas", PAS + "profile-pas-response-bundle")
    claim_profile = standards.structure_definition("pas", PAS + "profile-claimresponse")
    for answer in _answers(scenario):
        get_fhir_model_class("Bundle").model_validate(answer)
        assert profiles.problems(answer, bundle_profile) == []
        # ClaimFirst: the first entry is the ClaimResponse.
        claim_response = answer["entry"][0]["resource"]
        assert claim_response["resourceType"] == "ClaimResponse"
        assert profiles.problems(claim_response, claim_profile) == []
        # Reference closure: every reference resolves inside the response Bundle.
        assert check_closure(Entries(answer, "Bundle")) == []
        # A reviewActionCode on every item, in the X12 306 system.
        for item in claim_response["item"]:
            review = item["adjudication"][0]["extension"][0]
            codes = [
                e["valueCodeableConcept"]["coding"][0]
                for e in review["extension"]
                if e["url"] == PAS + "extension-reviewActionCode"
            ]
            assert len(codes) == 1 and codes[0]["system"] == "https://codesystem.x12.org/005010/306"


def test_an_invalid_bundle_gets_exactly_one_operation_outcome(scenario: Scenario) -> None:
    s = scenario
    empty = {
        "resourceType": "Bundle",
        "type": "collection",
        "identifier": {"system": "urn:x", "value": "1"},
        "timestamp": "2026-03-02T09:00:00Z",
    }
    r = pas.post(s, "/fhir/Claim/$submit", empty, "doc_a")
    assert r.status_code == 400
    body = r.json()
    assert body["resourceType"] == "OperationOutcome"
    get_fhir_model_class("OperationOutcome").model_validate(body)
    assert [i["expression"] for i in body["issue"]] == [["Bundle.entry"]]


def test_the_capability_statement_lists_what_is_supported(scenario: Scenario) -> None:
    r = scenario.client.get("/fhir/metadata")
    assert r.status_code == 200
    statement = r.json()
    get_fhir_model_class("CapabilityStatement").model_validate(statement)
    resources = {res["type"]: res for res in statement["rest"][0]["resource"]}
    assert [o["name"] for o in resources["Claim"]["operation"]] == ["submit", "inquire"]
    assert "Subscription" in resources and "Questionnaire" in resources
