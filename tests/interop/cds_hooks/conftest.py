"""Build CDS Hooks requests the way an EHR sends them, for a participant of the roster."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from tests.conftest import World

MEMBER = "10000001"
CPT = "http://www.ama-assn.org/go/cpt"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
COVERAGE_INFORMATION = (
    "http://hl7.org/fhir/us/davinci-crd/StructureDefinition/ext-coverage-information"
)


def service_request(
    sr_id: str = "sr-1",
    *,
    cpt: str = "97110",
    on: str | None = "2026-03-10",
    diagnoses: Sequence[str] = ("M54.50",),
    units: int | None = None,
) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "ServiceRequest",
        "id": sr_id,
        "status": "draft",
        "intent": "original-order",
        "code": {"coding": [{"system": CPT, "code": cpt}]},
        "subject": {"reference": "Patient/pat-1"},
    }
    if on is not None:
        resource["occurrenceDateTime"] = on
    if diagnoses:
        resource["reasonCode"] = [{"coding": [{"system": ICD10CM, "code": d}]} for d in diagnoses]
    if units is not None:
        resource["quantityQuantity"] = {"value": units, "unit": "units", "code": "{unit}"}
    return resource


def coverage_bundle(member: str | None = MEMBER) -> dict[str, Any]:
    coverage: dict[str, Any] = {
        "resourceType": "Coverage",
        "id": "cov-1",
        "status": "active",
        "beneficiary": {"reference": "Patient/pat-1"},
        "payor": [{"display": "MO HealthNet"}],
    }
    if member is not None:
        coverage["identifier"] = [
            {
                "type": {
                    "coding": [
                        {"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MB"}
                    ]
                },
                "system": "http://example.org/mo-healthnet/member",
                "value": member,
            }
        ]
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [{"fullUrl": "http://ehr.example.org/fhir/Coverage/cov-1", "resource": coverage}],
    }


def patient() -> dict[str, Any]:
    return {"resourceType": "Patient", "id": "pat-1", "birthDate": "1980-01-01"}


def hook_request(
    hook: str = "order-sign",
    orders: Sequence[dict[str, Any]] = (),
    *,
    member: str | None = MEMBER,
    selections: Sequence[str] | None = None,
    prefetch: dict[str, Any] | None = None,
) -> dict[str, Any]:
    key = "appointments" if hook == "appointment-book" else "draftOrders"
    context: dict[str, Any] = {
        "userId": "Practitioner/doc-1",
        "patientId": "pat-1",
        key: {
            "resourceType": "Bundle",
            "type": "collection",
            "entry": [{"resource": r} for r in (orders or [service_request()])],
        },
    }
    if selections is not None:
        context["selections"] = list(selections)
    return {
        "hook": hook,
        "hookInstance": str(uuid.uuid4()),
        "fhirServer": "http://ehr.example.org/fhir",
        "context": context,
        "prefetch": prefetch
        if prefetch is not None
        else {"patient": patient(), "coverage": coverage_bundle(member)},
    }


class Crd:
    """A participant born 1980, a physician, and calls of the CRD services."""

    def __init__(self, world: World, client: TestClient) -> None:
        self.world = world
        self.client = client
        world.participant(MEMBER)
        self.doc_npi = world.provider(1, "physician")
        self.performers = {
            "physical_therapy": (world.provider(11, "physical_therapist"), "97110"),
            "acupuncture": (world.provider(14, "acupuncturist"), "97810"),
        }
        self.doc = world.user("physician", self.doc_npi)
        self.staff = world.user("staff")

    def call(
        self, body: Any, service: str = "order-sign-crd", headers: dict[str, str] | None = None
    ) -> Response:
        return self.client.post(
            f"/cds-services/{service}", json=body, headers=self.doc if headers is None else headers
        )

    def answer(self, body: Any, service: str = "order-sign-crd") -> dict[str, Any]:
        r = self.call(body, service)
        assert r.status_code == 200, r.text
        result: dict[str, Any] = r.json()
        return result

    def approve(
        self,
        *,
        units: int,
        therapy: str = "physical_therapy",
        start: str = "2026-03-01",
        participant: str = MEMBER,
    ) -> dict[str, Any]:
        """Run step 1 and step 2 through the REST API as staff (who may start in the past)."""
        step1 = {
            "participant_id": participant,
            "prescriber_npi": self.doc_npi,
            "therapy": therapy,
            "diagnosis_codes": ["M54.50"],
            "plan_of_care_date": "2026-01-02",
            "start_date": start,
        }
        r = self.client.post("/api/v1/precerts", json=step1, headers=self.staff)
        assert r.status_code == 201, r.text
        performer, code = self.performers[therapy]
        step2 = {
            "provider_npi": performer,
            "procedure_codes": [code],
            "units": units,
            "start_date": start,
        }
        r = self.client.post(
            f"/api/v1/precerts/{r.json()['id']}/completion", json=step2, headers=self.staff
        )
        assert r.status_code == 200, r.text
        result: dict[str, Any] = r.json()
        return result


@pytest.fixture
def crd(world: World, client: TestClient) -> Crd:
    return Crd(world, client)


def coverage_info(action: dict[str, Any]) -> dict[str, Any]:
    """Return the coverage-information sub-extensions of a system action by url (lists)."""
    found = [e for e in action["resource"]["extension"] if e["url"] == COVERAGE_INFORMATION]
    assert len(found) == 1, action
    parts: dict[str, Any] = {}
    for part in found[0]["extension"]:
        parts.setdefault(part["url"], []).append(part)
    return parts


def value(parts: dict[str, Any], url: str) -> Any:
    """Return the single value[x] of sub-extension `url`."""
    (part,) = parts[url]
    (key,) = [k for k in part if k.startswith("value")]
    return part[key]
