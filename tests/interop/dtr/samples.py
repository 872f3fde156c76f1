"""Synthetic DTR data: a completed response to our Questionnaire, and package requests."""

from __future__ import annotations

import copy
from typing import Any

from precert.interop.dtr import QUESTIONNAIRE_URL, QUESTIONNAIRE_VERSION

CANONICAL = f"{QUESTIONNAIRE_URL}|{QUESTIONNAIRE_VERSION}"
TREATMENTS = "http://precert.example.org/fhir/CodeSystem/chronic-pain-treatments"
CPT = "http://www.ama-assn.org/go/cpt"
MEMBER = "10000001"


def treatment(code: str, display: str = "as the sender labels it") -> dict[str, Any]:
    return {"valueCoding": {"system": TREATMENTS, "code": code, "display": display}}


def response(
    *,
    months: int = 14,
    opioids: bool = False,
    treatments: tuple[str, ...] = ("physical-therapy", "non-opioid-medication"),
    questionnaire: str = CANONICAL,
    status: str = "completed",
) -> dict[str, Any]:
    """Return a completed QuestionnaireResponse answering every required question."""
    items: list[dict[str, Any]] = [
        {"linkId": "pain-duration-months", "answer": [{"valueInteger": months}]},
        {
            "linkId": "peg",
            "item": [
                {"linkId": "peg-pain", "answer": [{"valueInteger": 7}]},
                {"linkId": "peg-enjoyment", "answer": [{"valueInteger": 6}]},
                {"linkId": "peg-activity", "answer": [{"valueInteger": 8}]},
            ],
        },
        {"linkId": "previous-treatments", "answer": [treatment(c) for c in treatments]},
        {"linkId": "opioid-use", "answer": [{"valueBoolean": opioids}]},
        {"linkId": "plan-of-care-date", "answer": [{"valueDate": "2026-03-01"}]},
        {
            "linkId": "therapy-goals",
            "answer": [{"valueString": "Walk 30 minutes without stopping; return to work."}],
        },
    ]
    if "other" in treatments:
        items.insert(
            3, {"linkId": "previous-treatments-other", "answer": [{"valueString": "Yoga"}]}
        )
    if opioids:
        items.insert(
            -2, {"linkId": "opioid-details", "answer": [{"valueString": "Tramadol 50 mg daily"}]}
        )
    return {
        "resourceType": "QuestionnaireResponse",
        "id": "chronic-pain-answers",
        "questionnaire": questionnaire,
        "status": status,
        "subject": {"reference": "Patient/member"},
        "authored": "2026-03-01T10:00:00-06:00",
        "item": items,
    }


def without(resource: dict[str, Any], link_id: str) -> dict[str, Any]:
    """Return `resource` with the answer to `link_id` removed (wherever it is)."""
    changed = copy.deepcopy(resource)

    def drop(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        kept = [i for i in items if i["linkId"] != link_id]
        for item in kept:
            if "item" in item:
                item["item"] = drop(item["item"])
        return kept

    changed["item"] = drop(changed["item"])
    return changed


def coverage() -> dict[str, Any]:
    return {
        "resourceType": "Coverage",
        "id": "coverage",
        "status": "active",
        "subscriberId": MEMBER,
        "beneficiary": {"reference": "Patient/member"},
        "payor": [{"display": "MO HealthNet"}],
    }


def service_request(code: str = "97110") -> dict[str, Any]:
    return {
        "resourceType": "ServiceRequest",
        "id": "order",
        "status": "draft",
        "intent": "order",
        "code": {"coding": [{"system": CPT, "code": code}]},
        "subject": {"reference": "Patient/member"},
    }


def package_input(*parameters: dict[str, Any]) -> dict[str, Any]:
    """Return an input Parameters with a coverage and `parameters`."""
    return {
        "resourceType": "Parameters",
        "parameter": [{"name": "coverage", "resource": coverage()}, *parameters],
    }


def asking_for(canonical: str) -> dict[str, Any]:
    return {"name": "questionnaire", "valueCanonical": canonical}
