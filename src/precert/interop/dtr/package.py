"""$questionnaire-package (DTR 2.0.1): read the input Parameters, return the Questionnaire package.

The program has one documentation template, the chronic-pain Questionnaire. It is returned
for a request naming its canonical (with or without our version), and for a request that gives
an order or a CRD context instead (the payer chooses the questionnaires: for this program,
always this one). A canonical we do not have is a warning in the `operationOutcome` parameter,
as the OperationDefinition asks; when nothing at all can be returned the answer is a 404
OperationOutcome naming each canonical.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.parameters import Parameters

from precert.interop.dtr import QUESTIONNAIRE_URL, QUESTIONNAIRE_VERSION
from precert.interop.dtr.outcome import Invalid, Issue, issue, operation_outcome, problem
from precert.interop.dtr.questionnaire import is_ours, questionnaire
from precert.interop.fhir.bundle import validated
from precert.interop.fhir.outcome import read_json
from precert.policy.models import Policy

INPUT_PROFILE = (
    "http://hl7.org/fhir/us/davinci-dtr/StructureDefinition/dtr-qpackage-input-parameters"
)
OUTPUT_PROFILE = (
    "http://hl7.org/fhir/us/davinci-dtr/StructureDefinition/dtr-qpackage-output-parameters"
)
BUNDLE_PROFILE = "http://hl7.org/fhir/us/davinci-dtr/StructureDefinition/DTR-QPackageBundle"
CPT = "http://www.ama-assn.org/go/cpt"

# The resource types the input profile allows in `order`.
ORDER_TYPES = frozenset(
    {
        "Appointment",
        "Encounter",
        "CommunicationRequest",
        "DeviceRequest",
        "ImmunizationRecommendation",
        "MedicationRequest",
        "NutritionOrder",
        "ServiceRequest",
        "SupplyRequest",
        "VisionPrescription",
    }
)
KNOWN = frozenset({"coverage", "order", "referenced", "questionnaire", "context", "changedsince"})


@dataclass
class PackageRequest:
    """What a $questionnaire-package call asks for; indexes are positions in `parameter`."""

    coverages: list[int] = field(default_factory=list)
    orders: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    questionnaires: list[tuple[int, str]] = field(default_factory=list)
    context: str | None = None
    changed_since: datetime | None = None
    ignored: list[tuple[int, str]] = field(default_factory=list)


def read_request(raw: bytes) -> PackageRequest:
    """Return what the body asks for, or raise a 400 naming every problem and its place."""
    body = read_json(raw, what="a Parameters resource")
    if not isinstance(body, dict):
        raise _invalid(
            issue("error", "structure", "The body must be a FHIR resource: a JSON object.")
        )
    kind = body.get("resourceType")
    if kind != "Parameters":
        sent = f"got {kind}" if isinstance(kind, str) and kind else "the body has no resourceType"
        raise _invalid(
            issue(
                "error",
                "structure",
                f"The body must be a Parameters resource (dtr-qpackage-input-parameters); {sent}.",
                expression=kind if isinstance(kind, str) and kind.isalnum() else None,
            )
        )
    unknown = list(_unknown_resource_types(body, "Parameters"))
    if unknown:
        raise _invalid(*unknown)
    validated(Parameters, body, "Parameters")
    return _asked(body.get("parameter") or [])


def _unknown_resource_types(value: Any, path: str) -> list[Issue]:
    """Return an issue for every resourceType that FHIR R4 does not define (the library crashes)."""
    found: list[Issue] = []
    if isinstance(value, dict):
        kind = value.get("resourceType")
        if kind is not None and path != "Parameters":
            try:
                get_fhir_model_class(str(kind))
            except (KeyError, ValueError):
                found.append(
                    issue("error", "structure", f"{kind!r} is not a FHIR R4 resource type.", path)
                )
        for key, item in value.items():
            found += _unknown_resource_types(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _unknown_resource_types(item, f"{path}[{index}]")
    return found


def _asked(parameters: list[dict[str, Any]]) -> PackageRequest:
    asked = PackageRequest()
    problems: list[Issue] = []
    for index, parameter in enumerate(parameters):
        where = f"Parameters.parameter[{index}]"
        name = parameter.get("name")
        resource = parameter.get("resource")
        kind = resource.get("resourceType") if isinstance(resource, dict) else None
        if name == "coverage":
            if kind != "Coverage":
                problems.append(_wrong(where, "coverage", "a Coverage resource", kind))
            asked.coverages.append(index)
        elif name == "order":
            if kind not in ORDER_TYPES:
                allowed = ", ".join(sorted(ORDER_TYPES))
                problems.append(_wrong(where, "order", f"one of {allowed}", kind))
            else:
                asked.orders.append((index, resource))  # type: ignore[arg-type]
        elif name == "questionnaire":
            canonical = parameter.get("valueCanonical")
            if not isinstance(canonical, str) or not canonical.strip():
                problems.append(
                    issue(
                        "error",
                        "required",
                        "A questionnaire parameter carries the Questionnaire's canonical URL "
                        "in valueCanonical (url or url|version).",
                        f"{where}.valueCanonical",
                    )
                )
            else:
                asked.questionnaires.append((index, canonical.strip()))
        elif name == "context":
            value = parameter.get("valueString")
            if asked.context is not None:
                problems.append(issue("error", "value", "At most one context is allowed.", where))
            elif not isinstance(value, str) or not value.strip():
                problems.append(
                    issue(
                        "error",
                        "required",
                        "A context carries valueString.",
                        f"{where}.valueString",
                    )
                )
            else:
                asked.context = value
        elif name == "changedsince":
            _changed_since(asked, parameter, where, problems)
        elif name == "referenced":
            continue
        else:
            asked.ignored.append((index, str(name)))
    if not asked.coverages:
        problems.append(
            issue(
                "error",
                "required",
                "At least one coverage parameter (a Coverage resource naming the member) is "
                "required.",
                "Parameters.parameter",
            )
        )
    if not (asked.questionnaires or asked.orders or asked.context):
        problems.append(
            issue(
                "error",
                "required",
                "Name the questionnaire (a questionnaire canonical), an order or a CRD context: "
                "the operation needs at least one of them.",
                "Parameters.parameter",
            )
        )
    if problems:
        raise _invalid(*problems)
    return asked


def _changed_since(
    asked: PackageRequest, parameter: dict[str, Any], where: str, problems: list[Issue]
) -> None:
    value = parameter.get("valueInstant") or parameter.get("valueDateTime")
    try:
        since = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        since = None
    if since is None or since.tzinfo is None:
        problems.append(
            issue(
                "error",
                "value",
                "changedsince carries an instant with a time zone in valueInstant "
                "(e.g. 2026-03-01T00:00:00Z).",
                f"{where}.valueInstant",
            )
        )
    elif asked.changed_since is not None:
        problems.append(issue("error", "value", "At most one changedsince is allowed.", where))
    else:
        asked.changed_since = since


def _wrong(where: str, name: str, expected: str, kind: object) -> Issue:
    sent = f"got {kind}" if kind else "it has no resource"
    return issue(
        "error", "value", f"A {name} parameter carries {expected}; {sent}.", f"{where}.resource"
    )


def _invalid(*issues: Issue) -> Invalid:
    return problem(400, issues)


# ---- the answer ---------------------------------------------------------------------------


def package(asked: PackageRequest, *, policy: Policy, now: datetime) -> dict[str, Any]:
    """Return the output Parameters: our Questionnaire's PackageBundle and any warnings."""
    notes: list[Issue] = []
    wanted = bool(asked.orders or asked.context)
    for index, canonical in asked.questionnaires:
        if is_ours(canonical):
            wanted = True
        else:
            notes.append(
                issue(
                    "warning",
                    "not-found",
                    f"Questionnaire {canonical} is not one this payer has; the chronic-pain "
                    f"documentation questionnaire is {QUESTIONNAIRE_URL}|{QUESTIONNAIRE_VERSION}.",
                    f"Parameters.parameter[{index}].valueCanonical",
                )
            )
    if not wanted:
        raise problem(404, [replace(n, severity="error") for n in notes])
    notes += _order_notes(asked, policy)
    notes += [
        issue(
            "information",
            "not-supported",
            f"Parameter {name!r} is not a parameter of $questionnaire-package; it was ignored.",
            f"Parameters.parameter[{index}]",
        )
        for index, name in asked.ignored
    ]
    found = questionnaire()
    parameters: list[dict[str, Any]] = []
    changed = datetime.fromisoformat(found["meta"]["lastUpdated"].replace("Z", "+00:00"))
    if asked.changed_since is not None and changed <= asked.changed_since:
        notes.append(
            issue(
                "information",
                "informational",
                f"The questionnaire has not changed since {asked.changed_since.isoformat()} "
                f"(last changed {found['meta']['lastUpdated']}).",
            )
        )
    else:
        parameters.append({"name": "PackageBundle", "resource": _bundle(found, now)})
    if notes:
        parameters.append({"name": "operationOutcome", "resource": operation_outcome(notes)})
    return {
        "resourceType": "Parameters",
        "meta": {"profile": [OUTPUT_PROFILE]},
        "parameter": parameters,
    }


def _bundle(found: dict[str, Any], now: datetime) -> dict[str, Any]:
    # A standard questionnaire with no cqf-library and no answerValueSet: no Library or
    # ValueSet to add. Its answer options are inline.
    return {
        "resourceType": "Bundle",
        "meta": {"profile": [BUNDLE_PROFILE]},
        "identifier": {"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:{uuid.uuid4()}"},
        "type": "collection",
        "timestamp": now.isoformat(timespec="seconds"),
        "entry": [{"fullUrl": QUESTIONNAIRE_URL, "resource": found}],
    }


def _order_notes(asked: PackageRequest, policy: Policy) -> list[Issue]:
    """Note an order that names none of the program's procedure codes (it is answered anyway)."""
    notes = []
    for index, order in asked.orders:
        if order.get("resourceType") != "ServiceRequest":
            continue
        codes = [
            str(c.get("code"))
            for c in (order.get("code") or {}).get("coding") or []
            if isinstance(c, dict) and c.get("system") == CPT
        ]
        if not any(policy.therapy_for_procedure(code) for code in codes):
            notes.append(
                issue(
                    "warning",
                    "not-found",
                    "The order names no CPT code of the chronic-pain therapies program "
                    f"({', '.join(codes) or 'no CPT code'}); the program's documentation "
                    "questionnaire is returned.",
                    f"Parameters.parameter[{index}].resource.code",
                )
            )
    return notes
