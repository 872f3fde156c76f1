"""A PAS request that fails gets a 4xx with exactly one OperationOutcome naming each problem
by its FHIRPath, and nothing is stored."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from tests.api.conftest import Scenario
from tests.interop.fhir import pas


def _claim(bundle: dict[str, Any]) -> dict[str, Any]:
    claim: dict[str, Any] = bundle["entry"][0]["resource"]
    return claim


def _no_entries(b: dict[str, Any]) -> None:
    b["entry"] = []


def _patient_first(b: dict[str, Any]) -> None:
    b["entry"].insert(0, b["entry"].pop(1))


def _dangling(b: dict[str, Any]) -> None:
    _claim(b)["insurer"] = {"reference": "Organization/elsewhere"}


def _use_claim(b: dict[str, Any]) -> None:
    _claim(b)["use"] = "claim"


def _no_member(b: dict[str, Any]) -> None:
    del b["entry"][2]["resource"]["identifier"]


def _bad_diagnosis(b: dict[str, Any]) -> None:
    _claim(b)["diagnosis"][0]["diagnosisCodeableConcept"]["coding"][0]["code"] = "54.50"


def _not_icd10(b: dict[str, Any]) -> None:
    _claim(b)["diagnosis"][0]["diagnosisCodeableConcept"]["coding"][0]["system"] = (
        "http://snomed.info/sct"
    )


def _minutes(b: dict[str, Any]) -> None:
    _claim(b)["item"][0]["quantity"] = {"value": 120, "code": "min"}


def _no_quantity(b: dict[str, Any]) -> None:
    del _claim(b)["item"][0]["quantity"]


def _no_date(b: dict[str, Any]) -> None:
    del _claim(b)["item"][0]["servicedDate"]


def _no_timestamp(b: dict[str, Any]) -> None:
    del b["timestamp"]


def _wrong_type(b: dict[str, Any]) -> None:
    b["type"] = "transaction"


def _not_fhir(b: dict[str, Any]) -> None:
    _claim(b)["created"] = {"nested": True}


CASES: list[tuple[str, Callable[[dict[str, Any]], None], int, str]] = [
    ("no entries", _no_entries, 400, "Bundle.entry"),
    ("claim not first", _patient_first, 400, "Bundle.entry[0].resource"),
    ("reference outside", _dangling, 400, "Bundle.entry[0].resource.insurer.reference"),
    ("use", _use_claim, 422, "Bundle.entry[0].resource.use"),
    ("member", _no_member, 422, "Bundle.entry[2].resource.identifier"),
    (
        "diagnosis",
        _bad_diagnosis,
        422,
        "Bundle.entry[0].resource.diagnosis[0].diagnosisCodeableConcept.coding",
    ),
    (
        "not icd-10",
        _not_icd10,
        422,
        "Bundle.entry[0].resource.diagnosis[0].diagnosisCodeableConcept",
    ),
    ("minutes", _minutes, 422, "Bundle.entry[0].resource.item[0].quantity.code"),
    ("no quantity", _no_quantity, 422, "Bundle.entry[0].resource.item[0].quantity"),
    ("no date", _no_date, 422, "Bundle.entry[0].resource.item[0].serviced[x]"),
    ("timestamp", _no_timestamp, 400, "Bundle.timestamp"),
    ("type", _wrong_type, 400, "Bundle.type"),
    ("not fhir", _not_fhir, 400, "Bundle.entry[0].resource.created"),
]


@pytest.mark.parametrize(("name", "spoil", "status", "where"), CASES, ids=[c[0] for c in CASES])
def test_each_problem_is_named_where_it_is(
    scenario: Scenario,
    name: str,
    spoil: Callable[[dict[str, Any]], None],
    status: int,
    where: str,
) -> None:
    s = scenario
    bundle = copy.deepcopy(pas.request(requester=s.npis["doc_a"]))
    spoil(bundle)
    r = pas.post(s, "/fhir/Claim/$submit", bundle, "doc_a")
    assert r.status_code == status, r.text
    issues = pas.issues(r)
    assert any(i.get("expression") == [where] for i in issues), issues
    assert all(i["severity"] == "error" and i["diagnostics"] for i in issues)
    assert s.find()["total"] == 0


def test_every_problem_is_named_at_once(scenario: Scenario) -> None:
    s = scenario
    bundle = pas.request(requester=s.npis["doc_a"])
    _use_claim(bundle)
    _no_quantity(bundle)
    _bad_diagnosis(bundle)
    r = pas.post(s, "/fhir/Claim/$submit", bundle, "doc_a")
    assert r.status_code == 422
    paths = {i["expression"][0] for i in pas.issues(r)}
    assert {
        "Bundle.entry[0].resource.use",
        "Bundle.entry[0].resource.item[0].quantity",
        "Bundle.entry[0].resource.diagnosis[0].diagnosisCodeableConcept.coding",
    } <= paths


@pytest.mark.parametrize(
    "body", [b"", b"{not json", b"[]", b'{"resourceType": "Patient"}', b"\xff\xfe"]
)
def test_a_body_that_is_not_a_bundle_is_one_operation_outcome(
    scenario: Scenario, body: bytes
) -> None:
    s = scenario
    r = s.client.post(
        "/fhir/Claim/$submit",
        content=body,
        headers={"Content-Type": "application/fhir+json", **s.headers["doc_a"]},
    )
    assert r.status_code == 400
    assert len(pas.issues(r)) == 1


def test_codes_of_two_therapies_are_one_request_each(scenario: Scenario) -> None:
    s = scenario
    bundle = pas.request(
        requester=s.npis["doc_a"], items=[("97110", 4, "2026-03-10"), ("98940", 4, "2026-03-10")]
    )
    r = pas.post(s, "/fhir/Claim/$submit", bundle, "doc_a")
    assert r.status_code == 422
    [issue] = pas.issues(r)
    assert issue["expression"] == ["Bundle.entry[0].resource.item"]
    assert "one request per therapy" in issue["diagnostics"]
