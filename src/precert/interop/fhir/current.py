"""The PAS response for a pre-certification as it stands now (for `$inquire` and notifications).

The answer echoes the PAS request that last decided it. When the request was made or
completed elsewhere (the portal, the REST API, X12), a PAS request is written from the
pre-certification itself: its participant, physician, performer, codes and units.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from precert.interop import repository as messages
from precert.interop.actions import determine
from precert.interop.authorization import Service
from precert.interop.fhir.outcome import Invalid
from precert.interop.fhir.request import (
    CPT_SYSTEMS,
    ICD10_SYSTEM,
    NPI_SYSTEM,
    V2_0203,
    X12_98,
    read_request,
)
from precert.interop.fhir.response import response_bundle
from precert.interop.systems import MEMBER_ID_SYSTEM, THERAPY_SYSTEM

STANDARD = "pas"
INSURER = "MO HealthNet"


def response_for(
    session: Session,
    precert: dict[str, Any],
    *,
    base: str,
    now: datetime,
    inquiry: bool = False,
) -> dict[str, Any]:
    """Return the PAS response Bundle of `precert` (as `present` shows it) now."""
    request, services, pooled = _request_of(session, precert, base)
    determination = determine(precert, services, pooled=pooled)
    return response_bundle(request, determination, base=base, now=now, inquiry=inquiry)


def _request_of(
    session: Session, precert: dict[str, Any], base: str
) -> tuple[dict[str, Any], tuple[Service, ...], bool]:
    """Return the PAS request to answer, its services, and whether their units are pooled."""
    step2_done = bool(precert["provider_npi"])
    for message in reversed(messages.messages_of(session, precert["id"], STANDARD)):
        if step2_done and "2" not in message.step:
            break  # step 2 came another way: the physician's request no longer says it all
        try:
            return message.body, read_request(message.body).services, False
        except Invalid:
            break  # a request kept from an older reading; write one from the record instead
    return _written(precert, base)


def _written(
    precert: dict[str, Any], base: str
) -> tuple[dict[str, Any], tuple[Service, ...], bool]:
    """Write the PAS request a pre-certification amounts to."""
    pid = precert["id"]
    member = precert["participant_id"]
    start = precert["start_date"]
    codes = list(precert["requested_procedure_codes"])
    units = precert["requested_units"]

    def url(kind: str, ident: str) -> str:
        return f"{base}/{kind}/{ident}"

    patient = {
        "resourceType": "Patient",
        "id": f"{pid}-patient",
        "identifier": [_member_identifier(member)],
    }
    insurer = {
        "resourceType": "Organization",
        "id": "mo-healthnet",
        "name": INSURER,
        "type": [{"coding": [{"system": X12_98, "code": "PR"}]}],
    }
    coverage = {
        "resourceType": "Coverage",
        "id": f"{pid}-coverage",
        "identifier": [_member_identifier(member)],
        "status": "active",
        "subscriberId": member,
        "beneficiary": {"reference": f"Patient/{pid}-patient"},
        "payor": [{"reference": "Organization/mo-healthnet"}],
    }
    physician = _role(f"{pid}-physician", precert["prescriber_npi"])
    parties = [physician]
    care_team = [_member(1, f"{pid}-physician", "DN")]
    if precert["provider_npi"]:
        parties.append(_role(f"{pid}-performer", precert["provider_npi"]))
        care_team.append(_member(2, f"{pid}-performer", "SJ"))
    if codes and units:
        services = tuple(Service(code, units, start) for code in codes)
        items = [
            {
                "sequence": n,
                "productOrService": {"coding": [{"system": CPT_SYSTEMS[0], "code": s.code}]},
                "quantity": {"value": s.units, "code": "UN"},
                "servicedDate": start.isoformat(),
            }
            for n, s in enumerate(services, start=1)
        ]
    else:  # step 1 alone names the therapy, not its codes
        services = (Service(precert["therapy"], 0, start),)
        items = [
            {
                "sequence": 1,
                "productOrService": {
                    "coding": [{"system": THERAPY_SYSTEM, "code": precert["therapy"]}]
                },
                "servicedDate": start.isoformat(),
            }
        ]
    claim = {
        "resourceType": "Claim",
        "id": pid,
        "identifier": [{"system": f"{base}/precert", "value": pid}],
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
        "patient": {"reference": f"Patient/{pid}-patient"},
        "created": precert["created_at"].isoformat(),
        "insurer": {"reference": "Organization/mo-healthnet"},
        "provider": {"reference": f"PractitionerRole/{pid}-physician"},
        "priority": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/processpriority",
                    "code": "stat" if precert["priority"] == "expedited" else "normal",
                }
            ]
        },
        "careTeam": care_team,
        "diagnosis": [
            {
                "sequence": n,
                "diagnosisCodeableConcept": {"coding": [{"system": ICD10_SYSTEM, "code": code}]},
            }
            for n, code in enumerate(precert["diagnosis_codes"], start=1)
        ],
        "insurance": [
            {"sequence": 1, "focal": True, "coverage": {"reference": f"Coverage/{pid}-coverage"}}
        ],
        "item": items,
    }
    resources = [claim, patient, coverage, insurer, *parties]
    request = {
        "resourceType": "Bundle",
        "identifier": {"system": f"{base}/precert", "value": pid},
        "type": "collection",
        "timestamp": precert["updated_at"].isoformat(),
        "entry": [{"fullUrl": url(r["resourceType"], r["id"]), "resource": r} for r in resources],
    }
    return request, services, True


def _member_identifier(member: str) -> dict[str, Any]:
    return {
        "type": {"coding": [{"system": V2_0203, "code": "MB"}]},
        "system": MEMBER_ID_SYSTEM,
        "value": member,
    }


def _role(ident: str, npi: str) -> dict[str, Any]:
    return {
        "resourceType": "PractitionerRole",
        "id": ident,
        "identifier": [{"system": NPI_SYSTEM, "value": npi}],
    }


def _member(sequence: int, ident: str, role: str) -> dict[str, Any]:
    return {
        "sequence": sequence,
        "provider": {"reference": f"PractitionerRole/{ident}"},
        "role": {"coding": [{"system": X12_98, "code": role}]},
    }
