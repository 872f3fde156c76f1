"""The CRD answer for one order: the coverage-information extension, its system action, a card.

Codes come from CRD 2.0.1's temporary code system (the package's ValueSets bind them); every
reason beside them is our own code and message from `precert.rules.reasons`.
"""

from __future__ import annotations

import copy
import uuid
from datetime import date
from typing import Any

from precert.interop.cds_hooks.assessment import Assessment, Covered, PaNeeded
from precert.interop.dtr import QUESTIONNAIRE_URL, QUESTIONNAIRE_VERSION
from precert.interop.systems import REASON_SYSTEM
from precert.rules.reasons import Reason

COVERAGE_INFORMATION = (
    "http://hl7.org/fhir/us/davinci-crd/StructureDefinition/ext-coverage-information"
)
CRD_CODES = "http://hl7.org/fhir/us/davinci-crd/CodeSystem/temp"
CPT = "http://www.ama-assn.org/go/cpt"
UCUM = "http://unitsofmeasure.org"
SOURCE = {
    "label": "MO HealthNet",
    "topic": {"system": CRD_CODES, "code": "coverage-info", "display": "Coverage Information"},
}
QUESTIONNAIRE = f"{QUESTIONNAIRE_URL}|{QUESTIONNAIRE_VERSION}"
NO_DIAGNOSIS = (
    "The order names no diagnosis: the program covers chronic pain with one of the approved "
    "ICD-10-CM diagnoses, named in the request."
)


def coverage_information(
    assessment: Assessment, coverage: dict[str, Any], today: date
) -> dict[str, Any]:
    """Return the coverage-information extension for one assessed order."""
    a = assessment
    parts: list[dict[str, Any]] = [
        {"url": "coverage", "valueReference": coverage},
        {"url": "covered", "valueCode": a.covered.value},
    ]
    if a.pa_needed is not None:
        parts.append({"url": "pa-needed", "valueCode": a.pa_needed.value})
    if a.pa_needed is PaNeeded.AUTH_NEEDED:
        parts += [
            {"url": "doc-needed", "valueCode": "clinical"},
            {"url": "doc-purpose", "valueCode": "withpa"},
        ]
    parts.append({"url": "billingCode", "valueCoding": {"system": CPT, "code": a.code}})
    if a.covered is Covered.CONDITIONAL:
        parts.append({"url": "reason", "valueCodeableConcept": {"text": NO_DIAGNOSIS}})
    for finding in a.findings:
        concept = {
            "coding": [{"system": REASON_SYSTEM, "code": finding.code}],
            "text": finding.message,
        }
        parts.append({"url": "reason", "valueCodeableConcept": concept})
    parts.append(_allowed_quantity(a))
    if a.pa_needed is PaNeeded.AUTH_NEEDED:
        parts.append({"url": "questionnaire", "valueCanonical": QUESTIONNAIRE})
    parts += [
        {"url": "date", "valueDate": today.isoformat()},
        {"url": "coverage-assertion-id", "valueString": uuid.uuid4().hex},
    ]
    if a.satisfied_by is not None:
        parts.append({"url": "satisfied-pa-id", "valueString": a.satisfied_by.precert_id})
    return {"url": COVERAGE_INFORMATION, "extension": parts}


def _allowed_quantity(a: Assessment) -> dict[str, Any]:
    held = a.satisfied_by
    if held is not None:
        value = held.left
        says = (
            f"units left on pre-certification {held.precert_id} "
            f"({held.start} to {held.end}) of the {held.approved_units} approved"
        )
    else:
        value = a.remaining
        says = (
            f"units that can still be authorized in the benefit year {a.year[0]} to "
            f"{a.year[1]} of the {a.limit}-unit annual limit"
        )
    return {
        "url": "detail",
        "extension": [
            {
                "url": "code",
                "valueCodeableConcept": {
                    "coding": [
                        {
                            "system": CRD_CODES,
                            "code": "allowed-quantity",
                            "display": "Maximum quantity",
                        }
                    ]
                },
            },
            {
                "url": "value",
                "valueQuantity": {
                    "value": value,
                    "unit": "unit (15 minutes)",
                    "system": UCUM,
                    "code": "{unit}",
                },
            },
            {"url": "qualification", "valueString": f"{says}; one unit is 15 minutes"},
        ],
    }


def system_action(
    resource: dict[str, Any], reference: str, extension: dict[str, Any]
) -> dict[str, Any]:
    """Return the order as sent with `extension` added (replacing our earlier answer on it)."""
    updated = copy.deepcopy(resource)
    coverage = _sub(extension, "coverage")
    kept = [
        e
        for e in updated.get("extension") or []
        if not (e.get("url") == COVERAGE_INFORMATION and _sub(e, "coverage") == coverage)
    ]
    updated["extension"] = [*kept, extension]
    return {
        "type": "update",
        "description": f"Added MO HealthNet coverage information to {reference}.",
        "resource": updated,
    }


def _sub(extension: dict[str, Any], url: str) -> Any:
    for part in extension.get("extension") or []:
        if part.get("url") == url:
            return part.get("valueReference")
    return None


def card(assessment: Assessment) -> dict[str, Any]:
    """Return the card a clinician reads at a glance, with the details in markdown."""
    a = assessment
    indicator = "info" if a.pa_needed is PaNeeded.SATISFIED else "warning"
    return {
        "uuid": str(uuid.uuid4()),
        "summary": summary(a)[:140],
        "indicator": indicator,
        "detail": _detail(a),
        "source": SOURCE,
        "extension": {"davinci-crd.associated-resource": [{"reference": a.order.reference}]},
    }


def year_label(year: tuple[date, date]) -> str:
    """Return how a clinician names the benefit year: 2026, state fiscal year 2027, or dates."""
    first, last = year
    if (first.month, first.day, last.month, last.day) == (1, 1, 12, 31):
        return str(first.year)
    if (first.month, first.day, last.month, last.day) == (7, 1, 6, 30):
        return f"state fiscal year {last.year}"
    return f"{first} to {last}"


def summary(a: Assessment) -> str:
    held = a.satisfied_by
    if held is not None:
        return (
            f"Covered by approved pre-certification {held.precert_id} - {held.left} of "
            f"{held.approved_units} units left on it"
        )
    if a.pa_needed is PaNeeded.AUTH_NEEDED:
        return (
            f"Pre-certification required - {a.remaining} of {a.limit} units left in "
            f"{year_label(a.year)}"
        )
    first = a.findings[0]
    values = dict(first.values)
    if first.reason is Reason.PARTICIPANT_NOT_ELIGIBLE:
        return f"Not covered - no MO HealthNet eligibility on {values['on']}"
    if first.reason is Reason.PARTICIPANT_UNDER_MINIMUM_AGE:
        return f"Not covered - the participant is under {values['minimum_age']} on {values['on']}"
    if first.reason is Reason.DIAGNOSIS_NOT_APPROVED:
        return "Not covered for these diagnoses - none is on the approved chronic-pain list"
    if first.reason is Reason.ANNUAL_LIMIT_REACHED:
        return f"Not covered - all {a.limit} units of {year_label(a.year)} are already authorized"
    return f"Not covered - {first.message}"


def _detail(a: Assessment) -> str:
    lines = [
        f"**{a.therapy.label.capitalize()}, CPT {a.code}**, on {a.on} ({a.order.reference}).",
        "",
    ]
    lines += [f"- {finding.message}" for finding in a.findings]
    if a.covered is Covered.CONDITIONAL:
        lines.append(f"- {NO_DIAGNOSIS}")
    held = a.satisfied_by
    if held is not None:
        lines.append(
            f"- Pre-certification {held.precert_id} is approved from {held.start} to "
            f"{held.end}: {held.left} of its {held.approved_units} units are left. No new "
            "request is needed while units are left on it."
        )
    lines.append(
        f"- {a.remaining} of the {a.limit} units can still be authorized in the benefit year "
        f"{a.year[0]} to {a.year[1]} (one unit is 15 minutes; the limit is shared by physical "
        "therapy, chiropractic and acupuncture)."
    )
    if a.pa_needed is PaNeeded.AUTH_NEEDED:
        lines += [
            "",
            "Next: the prescribing physician starts the pre-certification (step 1: participant, "
            "therapy, diagnoses); the performing provider completes it (step 2: CPT codes, "
            f"units, start date). Documentation: questionnaire `{QUESTIONNAIRE}`.",
        ]
    return "\n".join(lines)


def unknown_member_card(member_id: str | None) -> dict[str, Any]:
    """Return the card saying that coverage could not be checked: no known member ID."""
    if member_id is None:
        summary_text = "No MO HealthNet member ID on the patient's coverage - coverage not checked"
        detail = (
            "Neither the prefetched Coverage (identifier of type MB, or subscriberId) nor the "
            "Patient (identifier of type MB) carries a MO HealthNet member ID."
        )
    else:
        summary_text = (
            f"MO HealthNet has no participant with member ID {member_id} - coverage not checked"
        )
        detail = (
            f"Member ID {member_id} is not on the MO HealthNet roster (an ID is 8 digits). "
            "Check the member ID on the patient's coverage."
        )
    return {
        "uuid": str(uuid.uuid4()),
        "summary": summary_text[:140],
        "indicator": "warning",
        "detail": detail,
        "source": SOURCE,
    }
