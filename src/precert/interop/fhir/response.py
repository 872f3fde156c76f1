"""The PAS response Bundle: a ClaimResponse first, then the request's resources echoed.

Each item's decision travels in `adjudication.extension[reviewAction]`: the X12 306 action
(A1, A3, A4, A6), the certification number (the pre-certification ID) when certified, the X12
886 reason codes where one fits, and our own reason code and message beside them (as a
coding in the same CodeableConcept and as a `processNote` the item points at). A4 items carry
the administration reference number (the pre-certification ID); certified items the
12-month `itemPreAuthPeriod`; A6 items an `addItem` with the units authorized.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from precert.interop.actions import Determination, ItemAction, ReviewAction
from precert.interop.decision_codes import codes_886
from precert.interop.systems import REASON_SYSTEM

PAS = "http://hl7.org/fhir/us/davinci-pas/StructureDefinition/"
RESPONSE_BUNDLE = PAS + "profile-pas-response-bundle"
INQUIRY_RESPONSE_BUNDLE = PAS + "profile-pas-inquiry-response-bundle"
CLAIM_RESPONSE = PAS + "profile-claimresponse"
INQUIRY_CLAIM_RESPONSE = PAS + "profile-claiminquiryresponse"
REVIEW_ACTION = PAS + "extension-reviewAction"
REVIEW_ACTION_CODE = PAS + "extension-reviewActionCode"
ITEM_PREAUTH_PERIOD = PAS + "extension-itemPreAuthPeriod"
ITEM_PREAUTH_ISSUE_DATE = PAS + "extension-itemPreAuthIssueDate"
ADMINISTRATION_REFERENCE = PAS + "extension-administrationReferenceNumber"
X12_306 = "https://codesystem.x12.org/005010/306"
X12_886 = "https://codesystem.x12.org/external/886"
CPT_SYSTEM = "http://www.ama-assn.org/go/cpt"
SUBMITTED = {
    "coding": [
        {"system": "http://terminology.hl7.org/CodeSystem/adjudication", "code": "submitted"}
    ]
}


def response_bundle(
    request: dict[str, Any],
    determination: Determination,
    *,
    base: str,
    now: datetime,
    inquiry: bool = False,
) -> dict[str, Any]:
    """Return the PAS response Bundle answering `request` (a PAS request Bundle)."""
    entries = [e for e in request.get("entry") or [] if isinstance(e, dict)]
    claim_entry = entries[0]
    claim_response = _claim_response(claim_entry, determination, now=now, inquiry=inquiry)
    return {
        "resourceType": "Bundle",
        "id": str(uuid.uuid4()),
        "meta": {"profile": [INQUIRY_RESPONSE_BUNDLE if inquiry else RESPONSE_BUNDLE]},
        "identifier": request.get("identifier")
        or {"system": f"{base}/precert", "value": determination.precert_id},
        "type": "collection",
        "timestamp": _instant(now),
        "entry": [
            {
                "fullUrl": f"{base}/ClaimResponse/{determination.precert_id}",
                "resource": claim_response,
            },
            *({"fullUrl": e.get("fullUrl"), "resource": e.get("resource")} for e in entries),
        ],
    }


def _claim_response(
    claim_entry: dict[str, Any], determination: Determination, *, now: datetime, inquiry: bool
) -> dict[str, Any]:
    claim: dict[str, Any] = claim_entry["resource"]
    notes = _notes(determination)
    sequences = [
        int(item.get("sequence") or n)
        for n, item in enumerate(claim.get("item") or [], start=1)
        if isinstance(item, dict)
    ]
    response: dict[str, Any] = {
        "resourceType": "ClaimResponse",
        "id": determination.precert_id,
        "meta": {"profile": [INQUIRY_CLAIM_RESPONSE if inquiry else CLAIM_RESPONSE]},
        "identifier": list(claim.get("identifier") or []),
        "status": "active",
        "type": claim.get("type"),
        "use": "preauthorization",
        "patient": claim.get("patient"),
        "created": _instant(now),
        "insurer": claim.get("insurer"),
        "requestor": claim.get("provider"),
        "request": _request_reference(claim_entry),
        # Every item has an action, A4 (pended, or awaiting step 2) included.
        "outcome": "complete",
        "disposition": _disposition(determination),
        "preAuthRef": determination.precert_id,
    }
    if determination.period:
        start, end = determination.period
        response["preAuthPeriod"] = {"start": start.isoformat(), "end": end.isoformat()}
    response["item"] = [
        _item(action, sequences, notes, determination) for action in determination.items
    ]
    added = [
        _added(action, sequences, determination)
        for action in determination.items
        if action.action is ReviewAction.MODIFIED
    ]
    if added:
        response["addItem"] = added
    if notes:
        response["processNote"] = [
            {"number": number, "type": "display", "text": f"{code}: {message}"}
            for (code, message), number in notes.items()
        ]
    return {k: v for k, v in response.items() if v is not None}


def _request_reference(claim_entry: dict[str, Any]) -> dict[str, Any]:
    claim = claim_entry["resource"]
    reference: dict[str, Any] = {"reference": claim_entry.get("fullUrl") or ""}
    if claim.get("id") and not str(claim_entry.get("fullUrl", "")).endswith(f"Claim/{claim['id']}"):
        reference["reference"] = f"Claim/{claim['id']}"
    identifiers = claim.get("identifier") or []
    if identifiers:
        reference["identifier"] = identifiers[0]
    return reference


def _notes(determination: Determination) -> dict[tuple[str, str], int]:
    """Number each distinct reason once, in the order the items name them."""
    numbered: dict[tuple[str, str], int] = {}
    for action in determination.items:
        for reason in action.reasons:
            key = (reason["code"], reason["message"])
            numbered.setdefault(key, len(numbered) + 1)
    return numbered


def _item(
    action: ItemAction,
    sequences: list[int],
    notes: dict[tuple[str, str], int],
    determination: Determination,
) -> dict[str, Any]:
    extensions: list[dict[str, Any]] = []
    if determination.period and action.action in (ReviewAction.CERTIFIED, ReviewAction.MODIFIED):
        start, end = determination.period
        extensions.append(
            {
                "url": ITEM_PREAUTH_PERIOD,
                "valuePeriod": {"start": start.isoformat(), "end": end.isoformat()},
            }
        )
    if action.action is ReviewAction.PENDED:
        extensions.append(
            {"url": ADMINISTRATION_REFERENCE, "valueString": determination.precert_id}
        )
    item: dict[str, Any] = {
        "itemSequence": _sequence(action, sequences),
        "adjudication": [_adjudication(action, determination)],
    }
    if extensions:
        item = {"extension": extensions, **item}
    numbers = [notes[(r["code"], r["message"])] for r in action.reasons]
    if numbers:
        item["noteNumber"] = list(dict.fromkeys(numbers))
    return item


def _sequence(action: ItemAction, sequences: list[int]) -> int:
    index = action.sequence - 1
    return sequences[index] if index < len(sequences) else action.sequence


def _adjudication(action: ItemAction, determination: Determination) -> dict[str, Any]:
    review: list[dict[str, Any]] = []
    if action.action in (ReviewAction.CERTIFIED, ReviewAction.MODIFIED):
        review.append({"url": "number", "valueString": determination.precert_id})
    review.append(
        {
            "url": REVIEW_ACTION_CODE,
            "valueCodeableConcept": {
                "coding": [
                    {
                        "system": X12_306,
                        "code": action.action.value,
                        "display": action.action.display,
                    }
                ]
            },
        }
    )
    for reason in action.reasons:
        x12 = codes_886(reason["code"])
        if not x12:
            continue  # the binding is required: only reasons with an 886 code go here
        review.append(
            {
                "url": "reasonCode",
                "valueCodeableConcept": {
                    "coding": [
                        *({"system": X12_886, "code": code} for code in x12),
                        {
                            "system": REASON_SYSTEM,
                            "code": reason["code"],
                            "display": reason["message"],
                        },
                    ],
                    "text": reason["message"],
                },
            }
        )
    return {"extension": [{"url": REVIEW_ACTION, "extension": review}], "category": SUBMITTED}


def _added(
    action: ItemAction, sequences: list[int], determination: Determination
) -> dict[str, Any]:
    """Return the addItem saying what was authorized for a line approved with fewer units."""
    added: dict[str, Any] = {
        "itemSequence": [_sequence(action, sequences)],
        "productOrService": {"coding": [{"system": CPT_SYSTEM, "code": action.service.code}]},
        "quantity": {"value": action.units or 0, "unit": "units of 15 minutes", "code": "UN"},
        "adjudication": [_adjudication(action, determination)],
    }
    if determination.period:
        start, end = determination.period
        added["extension"] = [
            {
                "url": ITEM_PREAUTH_PERIOD,
                "valuePeriod": {"start": start.isoformat(), "end": end.isoformat()},
            }
        ]
    return added


def _disposition(determination: Determination) -> str:
    words = {
        ReviewAction.CERTIFIED: "Certified",
        ReviewAction.MODIFIED: "Certified with changes",
        ReviewAction.NOT_CERTIFIED: "Not certified",
        ReviewAction.PENDED: "Pended",
    }[determination.action]
    text = f"{words}: pre-certification {determination.precert_id} is {determination.status}"
    if determination.authorized_units is not None and determination.period:
        start, end = determination.period
        text += f", {determination.authorized_units} units from {start} to {end}"
    return text + "."


def _instant(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")
