"""The official CRD examples read and get answers; our answers keep CRD's shapes and codes."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.interop.cds_hooks.conftest import (
    COVERAGE_INFORMATION,
    CPT,
    MEMBER,
    Crd,
    coverage_bundle,
    hook_request,
    service_request,
)
from tests.interop.standards import example, package_resources, structure_definition

SERVICE = {"order-sign": "order-sign-crd", "appointment-book": "appointment-book-crd"}


@pytest.mark.parametrize(
    "name", ["CRDServiceRequest.json", "CRDServiceRequest3.json", "CRDServiceRequest4.json"]
)
def test_official_requests_are_read_and_answered(crd: Crd, name: str) -> None:
    body = example(f"crd/{name}")
    answer = crd.answer(body, SERVICE[body["hook"]])
    # Mammography, oxygen, a communication, a general-practice visit: not this program's.
    assert answer == {"cards": [], "systemActions": []}


def test_official_order_sign_for_our_member_and_code_gets_coverage_information(
    crd: Crd,
) -> None:
    body = example("crd/CRDServiceRequest.json")
    order = body["context"]["draftOrders"]["entry"][0]["resource"]
    order["code"]["extension"][0]["valueCodeableConcept"]["coding"][0]["code"] = "97110"
    coverage = body["prefetch"]["coverage"]["entry"][0]["resource"]
    coverage["identifier"][0]["value"] = MEMBER
    answer = crd.answer(body)
    (card,) = answer["cards"]
    assert card["summary"] == "Pre-certification required - 120 of 120 units left in 2026"
    (action,) = answer["systemActions"]
    assert action["resource"]["id"] == "1357"
    info = _parts(action["resource"])
    assert info["coverage"][0]["valueReference"] == {
        "reference": "http://example.org/someEHR/fhir/Coverage/COV1"
    }


def test_official_appointment_without_prefetch_is_a_412_once_it_is_ours(crd: Crd) -> None:
    body = example("crd/CRDServiceRequest4.json")
    appointment = body["context"]["appointments"]["entry"][0]["resource"]
    appointment["serviceType"][0]["coding"].append({"system": CPT, "code": "97810"})
    r = crd.call(body, "appointment-book-crd")
    assert r.status_code == 412, r.text
    body["prefetch"] = {"coverage": coverage_bundle()}
    (action,) = crd.answer(body, "appointment-book-crd")["systemActions"]
    assert action["resource"]["id"] == "example"


def test_our_answer_has_the_shape_of_crds_response_example(crd: Crd) -> None:
    official = example("crd/CRDServiceResponse.json")
    ours = crd.answer(
        hook_request(orders=[service_request(diagnoses=["Z00.00"]), service_request("b")])
    )
    assert set(ours) == set(official)
    card_fields = {k for c in official["cards"] for k in c}
    for card in ours["cards"]:
        assert {"summary", "indicator", "source"} <= set(card) <= card_fields
        assert len(card["summary"]) <= 140
        assert card["indicator"] in ("info", "warning", "critical")
        assert set(card["source"]) <= set(official["cards"][0]["source"])
    for action in ours["systemActions"]:
        assert set(action) <= {"type", "description", "resource"}
        assert action["type"] == official["systemActions"][0]["type"] == "update"
        assert _parts(action["resource"])


def _parts(resource: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    (extension,) = [e for e in resource["extension"] if e["url"] == COVERAGE_INFORMATION]
    parts: dict[str, list[dict[str, Any]]] = {}
    for part in extension["extension"]:
        parts.setdefault(part["url"], []).append(part)
    return parts


def _codes(value_set_url: str) -> set[str]:
    """Return the codes a CRD ValueSet includes (explicit lists and descendants in temp)."""
    resources = package_resources("crd").values()
    value_set = next(r for r in resources if r.get("url") == value_set_url)
    temp = next(r for r in resources if r.get("url", "").endswith("/CodeSystem/temp"))
    codes: set[str] = set()
    for include in value_set["compose"]["include"]:
        codes |= {c["code"] for c in include.get("concept", [])}
        for rule in include.get("filter", []):
            codes |= _descendants(temp["concept"], rule["value"])
    return codes


def _descendants(concepts: list[dict[str, Any]], parent: str) -> set[str]:
    for concept in concepts:
        if concept["code"] == parent:
            found: set[str] = set()
            stack = list(concept.get("concept", []))
            while stack:
                child = stack.pop()
                found.add(child["code"])
                stack += child.get("concept", [])
            return found
        below = _descendants(concept.get("concept", []), parent)
        if below:
            return below
    return set()


def _slices(sd: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Return the sub-extension slices of the definition: url -> min, max, types, binding."""
    elements = sd["snapshot"]["element"]
    found: dict[str, dict[str, Any]] = {}
    for element in elements:
        path = element["id"]
        if (
            path.count(":") == 1
            and path.startswith("Extension.extension:")
            and "." not in path[20:]
        ):
            name = path.split(":")[1]
            found[name] = {"min": element["min"], "max": element["max"]}
    for element in elements:
        path = element["id"]
        for name, info in found.items():
            if path == f"Extension.extension:{name}.url":
                info["url"] = element["fixedUri"]
            if path == f"Extension.extension:{name}.value[x]":
                info["types"] = {t["code"] for t in element.get("type", [])}
                info["binding"] = element.get("binding")
    return found


def _answers(crd: Crd) -> list[dict[str, Any]]:
    """Return system actions of every situation: needed, satisfied, conditional, not covered."""
    crd.approve(units=30, therapy="acupuncture")
    orders = [
        service_request("needed", cpt="97110"),
        service_request("satisfied", cpt="97810"),
        service_request("conditional", cpt="98940", diagnoses=()),
        service_request("no-dx", cpt="97110", diagnoses=["Z00.00"]),
    ]
    actions: list[dict[str, Any]] = crd.answer(hook_request(orders=orders))["systemActions"]
    assert len(actions) == 4
    return actions


def test_coverage_information_matches_the_crd_structure_definition(crd: Crd) -> None:
    sd = structure_definition("crd", COVERAGE_INFORMATION)
    slices = _slices(sd)
    for action in _answers(crd):
        parts = _parts(action["resource"])
        for name, info in slices.items():
            count = len(parts.get(name, []))
            assert count >= info["min"], (name, action["resource"]["id"])
            assert info["max"] == "*" or count <= int(info["max"]), name
        assert set(parts) <= set(slices), set(parts) - set(slices)
        for name, found in parts.items():
            info = slices[name]
            for part in found:
                (key,) = [k for k in part if k.startswith("value")] or ["extension"]
                if key != "extension":
                    kind = key.removeprefix("value")
                    assert kind[0].lower() + kind[1:] in info["types"] or kind in info["types"]
                binding = info.get("binding")
                if binding and binding["strength"] == "required":
                    assert part[key] in _codes(binding["valueSet"]), (name, part[key])


def test_coverage_information_keeps_the_definitions_constraints(crd: Crd) -> None:
    sd = structure_definition("crd", COVERAGE_INFORMATION)
    keys = {c["key"] for e in sd["snapshot"]["element"] for c in e.get("constraint", [])}
    assert {"crd-ci-q1", "crd-ci-q2", "crd-ci-q3", "crd-ci-q5"} <= keys
    for action in _answers(crd):
        parts = _parts(action["resource"])
        values = {n: p[0].get("valueCode") for n, p in parts.items()}
        # q1: a questionnaire only when documentation is needed
        if "questionnaire" in parts:
            assert values.get("doc-needed") not in (None, "no-doc")
        # q2: pa-needed exactly when covered is not 'not-covered'
        assert ("pa-needed" in parts) == (values["covered"] != "not-covered")
        # q3: info-needed only with something conditional
        if "info-needed" in parts:
            assert "conditional" in {values.get(k) for k in ("covered", "pa-needed", "doc-needed")}
        # q5: satisfied-pa-id exactly when pa-needed is satisfied
        assert ("satisfied-pa-id" in parts) == (values.get("pa-needed") == "satisfied")


def test_detail_codes_are_crds_coverage_detail_codes(crd: Crd) -> None:
    allowed = _codes("http://hl7.org/fhir/us/davinci-crd/ValueSet/coverageDetail")
    for action in _answers(crd):
        for detail in _parts(action["resource"])["detail"]:
            code = next(e for e in detail["extension"] if e["url"] == "code")
            coding = code["valueCodeableConcept"]["coding"][0]
            assert coding["code"] in allowed
            assert coding["system"] == "http://hl7.org/fhir/us/davinci-crd/CodeSystem/temp"


def test_card_topic_is_a_crd_card_type(crd: Crd) -> None:
    allowed = _codes("http://hl7.org/fhir/us/davinci-crd/ValueSet/cardType")
    answer = crd.answer(hook_request())
    assert answer["cards"][0]["source"]["topic"]["code"] in allowed


def test_an_answer_is_read_only(crd: Crd) -> None:
    body = hook_request()
    before = copy.deepcopy(body)
    crd.answer(body)
    crd.answer(body)
    r = crd.client.get("/api/v1/precerts", headers=crd.staff)
    assert r.json()["total"] == 0
    assert body == before
