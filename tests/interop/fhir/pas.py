"""Build PAS request Bundles the way an EHR would, and read PAS responses."""

from __future__ import annotations

from datetime import date
from typing import Any

from httpx import Response

from tests.api.conftest import PARTICIPANT, Scenario

BASE = "http://ehr.example.org/fhir"
PAS = "http://hl7.org/fhir/us/davinci-pas/StructureDefinition/"
NPI = "http://hl7.org/fhir/sid/us-npi"
X12_98 = "https://codesystem.x12.org/005010/98"
CPT = "http://www.ama-assn.org/go/cpt"
REVIEW_ACTION = PAS + "extension-reviewAction"
REVIEW_ACTION_CODE = PAS + "extension-reviewActionCode"


def role(key: str, npi: str) -> dict[str, Any]:
    return {
        "fullUrl": f"{BASE}/PractitionerRole/{key}",
        "resource": {
            "resourceType": "PractitionerRole",
            "id": key,
            "practitioner": {"reference": f"Practitioner/{key}-person"},
        },
    }, {
        "fullUrl": f"{BASE}/Practitioner/{key}-person",
        "resource": {
            "resourceType": "Practitioner",
            "id": f"{key}-person",
            "identifier": [{"system": NPI, "value": npi}],
            "name": [{"family": "Synthetic", "given": [key]}],
        },
    }


def request(
    *,
    requester: str,
    physician: str | None = None,
    performer: str | None = None,
    items: list[tuple[str, int, str]] | None = None,
    diagnoses: tuple[str, ...] = ("M54.50",),
    member: str = PARTICIPANT,
    birth_date: str | None = "1980-01-01",
    claim_id: str = "claim-1",
    identifier: str = "TRN-0001",
    created: str = "2026-03-02T09:00:00-06:00",
    prior: str | None = None,
    plan_of_care: str | None = "2026-03-01",
    priority: str = "normal",
    extra: list[dict[str, Any]] | None = None,
    supporting: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Return a PAS request Bundle. `requester`, `physician`, `performer` are NPIs."""
    items = items if items is not None else [("97110", 8, "2026-03-10")]
    entries: list[dict[str, Any]] = []
    team = []
    requester_role, requester_person = role("requester", requester)
    entries += [requester_role, requester_person]
    for sequence, (key, npi, code) in enumerate(
        [("physician", physician, "DN"), ("performer", performer, "SJ")], start=1
    ):
        if npi is None:
            continue
        a, b = role(key, npi)
        entries += [a, b]
        team.append(
            {
                "extension": [{"url": PAS + "extension-careTeamClaimScope", "valueBoolean": True}],
                "sequence": sequence,
                "provider": {"reference": f"PractitionerRole/{key}"},
                "role": {"coding": [{"system": X12_98, "code": code}]},
            }
        )
    claim: dict[str, Any] = {
        "resourceType": "Claim",
        "id": claim_id,
        "identifier": [{"system": "http://ehr.example.org/trace", "value": identifier}],
        "status": "active",
        "type": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/claim-type",
                    "code": "professional",
                }
            ]
        },
        "use": "preauthorization",
        "patient": {"reference": "Patient/member"},
        "created": created,
        "insurer": {"reference": "Organization/insurer"},
        "provider": {"reference": "PractitionerRole/requester"},
        "priority": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/processpriority",
                    "code": priority,
                }
            ]
        },
        "insurance": [{"sequence": 1, "focal": True, "coverage": {"reference": "Coverage/cov"}}],
        "diagnosis": [
            {
                "sequence": n,
                "diagnosisCodeableConcept": {
                    "coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": code}]
                },
            }
            for n, code in enumerate(diagnoses, start=1)
        ],
        "item": [
            {
                "sequence": n,
                "category": {
                    "coding": [{"system": "https://codesystem.x12.org/005010/1365", "code": "PT"}]
                },
                "productOrService": {"coding": [{"system": CPT, "code": code}]},
                "quantity": {"value": units, "code": "UN"},
                "servicedDate": day,
                "locationCodeableConcept": {
                    "coding": [
                        {
                            "system": "https://www.cms.gov/Medicare/Coding/place-of-service-codes/"
                            "Place_of_Service_Code_Set",
                            "code": "11",
                        }
                    ]
                },
            }
            for n, (code, units, day) in enumerate(items, start=1)
        ],
    }
    if team:
        claim["careTeam"] = team
    info = list(supporting or [])
    if plan_of_care:
        info.append(
            {
                "sequence": len(info) + 1,
                "category": {
                    "coding": [
                        {
                            "system": "http://precert.example.org/fhir/CodeSystem/precert",
                            "code": "plan-of-care",
                        }
                    ]
                },
                "timingDate": plan_of_care,
            }
        )
    if info:
        claim["supportingInfo"] = info
    if prior:
        claim["related"] = [
            {
                "claim": {"identifier": {"system": "http://ehr.example.org/trace", "value": prior}},
                "relationship": {
                    "coding": [
                        {
                            "system": "http://terminology.hl7.org/CodeSystem/"
                            "ex-relatedclaimrelationship",
                            "code": "prior",
                        }
                    ]
                },
            }
        ]
    patient: dict[str, Any] = {
        "resourceType": "Patient",
        "id": "member",
        "identifier": [{"system": "http://ehr.example.org/mrn", "value": "MRN-1"}],
        "name": [{"family": "Synthetic", "given": ["Member"]}],
        "gender": "unknown",
    }
    if birth_date:
        patient["birthDate"] = birth_date
    entries = [
        {"fullUrl": f"{BASE}/Claim/{claim_id}", "resource": claim},
        {"fullUrl": f"{BASE}/Patient/member", "resource": patient},
        {
            "fullUrl": f"{BASE}/Coverage/cov",
            "resource": {
                "resourceType": "Coverage",
                "id": "cov",
                "identifier": [
                    {
                        "type": {
                            "coding": [
                                {
                                    "system": "http://terminology.hl7.org/CodeSystem/v2-0203",
                                    "code": "MB",
                                }
                            ]
                        },
                        "system": "http://ehr.example.org/mo-healthnet",
                        "value": member,
                    }
                ],
                "status": "active",
                "beneficiary": {"reference": "Patient/member"},
                "payor": [{"reference": "Organization/insurer"}],
            },
        },
        {
            "fullUrl": f"{BASE}/Organization/insurer",
            "resource": {
                "resourceType": "Organization",
                "id": "insurer",
                "name": "MO HealthNet",
            },
        },
        *entries,
        *(extra or []),
    ]
    return {
        "resourceType": "Bundle",
        "identifier": {"system": "http://ehr.example.org/submission", "value": identifier},
        "type": "collection",
        "timestamp": created,
        "entry": entries,
    }


def submit(s: Scenario, bundle: Any, as_: str, expect: int = 200) -> dict[str, Any]:
    r = post(s, "/fhir/Claim/$submit", bundle, as_)
    assert r.status_code == expect, r.text
    assert r.headers["content-type"].startswith("application/fhir+json")
    body: dict[str, Any] = r.json()
    return body


def post(s: Scenario, path: str, body: Any, as_: str | None) -> Response:
    headers = {"Content-Type": "application/fhir+json", **(s.headers[as_] if as_ else {})}
    return s.client.post(path, headers=headers, json=body)


def claim_response(bundle: dict[str, Any]) -> dict[str, Any]:
    first: dict[str, Any] = bundle["entry"][0]["resource"]
    assert first["resourceType"] == "ClaimResponse"
    return first


def actions(bundle: dict[str, Any]) -> list[str]:
    """Return each item's reviewActionCode, in item order."""
    found = []
    for item in claim_response(bundle)["item"]:
        review = item["adjudication"][0]["extension"][0]
        assert review["url"] == REVIEW_ACTION
        code = next(e for e in review["extension"] if e["url"] == REVIEW_ACTION_CODE)
        found.append(code["valueCodeableConcept"]["coding"][0]["code"])
    return found


def notes(bundle: dict[str, Any]) -> list[str]:
    """Return the reason codes the ClaimResponse's notes carry."""
    return [n["text"].split(":")[0] for n in claim_response(bundle).get("processNote", [])]


def issues(r: Response) -> list[dict[str, Any]]:
    """Return the issues of the one OperationOutcome a failed request gets."""
    body = r.json()
    assert body["resourceType"] == "OperationOutcome", body
    found: list[dict[str, Any]] = body["issue"]
    return found


def today() -> date:
    return date(2026, 3, 2)
