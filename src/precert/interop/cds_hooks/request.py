"""Read a CDS Hooks request: the hook, who the member is, and the draft orders or appointments.

The FHIR resources in it are checked with `fhir.resources` (R4B); each problem is reported
where it is (`context.draftOrders.entry[0].resource.subject`). The orders themselves are
kept as sent: the answer returns each one with the coverage-information extension added.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from precert.common.fields import MAX_YEAR, MIN_YEAR
from precert.common.parsing import NotJson
from precert.interop.cds_hooks.assessment import Order
from precert.interop.cds_hooks.member import Member, member_of
from precert.interop.cds_hooks.outcome import Issue, hook_error, issue
from precert.interop.cds_hooks.resources import MOST_ISSUES, checked, is_outcome
from precert.interop.cds_hooks.services import HookService
from precert.rules.codes import CPT_PATTERN, normalize_icd10

CPT_SYSTEMS = frozenset({"http://www.ama-assn.org/go/cpt", "urn:oid:2.16.840.1.113883.6.12"})
ICD10_SYSTEMS = frozenset(
    {
        "http://hl7.org/fhir/sid/icd-10-cm",
        "urn:oid:2.16.840.1.113883.6.90",
        "http://hl7.org/fhir/sid/icd-10",
    }
)
BILLING_OPTIONS = "http://hl7.org/fhir/us/davinci-crd/StructureDefinition/ext-billing-options"
_UNIT_CODES = frozenset({"{unit}", "{units}", "unit", "units", "1"})


@dataclass(frozen=True, slots=True)
class DraftOrder:
    resource: dict[str, Any]
    order: Order


@dataclass(frozen=True, slots=True)
class HookRequest:
    service: HookService
    hook_instance: str
    patient_id: str
    member: Member
    orders: tuple[DraftOrder, ...]


def read(service: HookService, body: Any) -> HookRequest:
    """Return the request `body` sent to `service`; raise `Invalid` naming every problem."""
    if isinstance(body, NotJson):
        raise hook_error(400, [issue("structure", "", f"the request body {body.problem}")])
    if not isinstance(body, dict):
        raise hook_error(400, [issue("structure", "", "the request body must be a JSON object")])
    issues: list[Issue] = []
    hook = _string(body, "hook", "", issues, "the name of the hook that fired")
    if hook is not None and hook != service.hook:
        issues.append(
            issue("value", "hook", f"is {hook!r}; service {service.id} answers {service.hook!r}")
        )
    instance = _string(body, "hookInstance", "", issues, "the UUID of this hook invocation")
    context = body.get("context")
    if not isinstance(context, dict):
        issues.append(issue("required", "context", "is required: a JSON object"))
        raise hook_error(400, issues)
    patient_id = _string(context, "patientId", "context.", issues, "the FHIR id of the patient")
    where = f"context.{service.orders}"
    bundle = checked(context.get(service.orders), where, ("Bundle",), issues, required=True)
    selections = _selections(context, issues) if service.hook == "order-select" else None
    prefetch = body.get("prefetch", {})
    if prefetch is None:
        prefetch = {}
    if not isinstance(prefetch, dict):
        issues.append(issue("structure", "prefetch", "must be a JSON object"))
        prefetch = {}
    member = member_of(prefetch, issues)
    based_on = _based_on(prefetch, issues) if service.orders == "appointments" else {}
    if issues or bundle is None or hook is None or instance is None or patient_id is None:
        raise hook_error(400, issues[:MOST_ISSUES])
    orders = _orders(service, bundle, where, selections, based_on, issues)
    if issues:
        raise hook_error(400, issues[:MOST_ISSUES])
    return HookRequest(service, instance, patient_id, member, tuple(orders))


def _string(
    obj: Mapping[str, Any], key: str, prefix: str, issues: list[Issue], what: str
) -> str | None:
    value = obj.get(key)
    if isinstance(value, str) and value.strip():
        return value.strip()
    if value is None:
        issues.append(issue("required", f"{prefix}{key}", f"is required: {what}"))
    else:
        issues.append(issue("value", f"{prefix}{key}", f"must be a non-empty string: {what}"))
    return None


def _selections(context: Mapping[str, Any], issues: list[Issue]) -> frozenset[str] | None:
    value = context.get("selections")
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return frozenset(value)
    issues.append(
        issue(
            "required",
            "context.selections",
            "is required for order-select: the ids of the selected orders (ServiceRequest/123)",
        )
    )
    return None


# -- the orders ----------------------------------------------------------------------------


def _based_on(prefetch: Mapping[str, Any], issues: list[Issue]) -> dict[str, dict[str, Any]]:
    """Return the prefetched ServiceRequests appointments are based on, by id and fullUrl."""
    value = prefetch.get("serviceRequests")
    if value is None or is_outcome(value):
        return {}
    found = checked(value, "prefetch.serviceRequests", ("Bundle",), issues)
    by_key: dict[str, dict[str, Any]] = {}
    for entry in (found or {}).get("entry") or []:
        resource = entry.get("resource")
        if isinstance(resource, dict) and resource.get("resourceType") == "ServiceRequest":
            if resource.get("id"):
                by_key[f"ServiceRequest/{resource['id']}"] = resource
            if entry.get("fullUrl"):
                by_key[entry["fullUrl"]] = resource
    return by_key


def _orders(
    service: HookService,
    bundle: Mapping[str, Any],
    where: str,
    selections: frozenset[str] | None,
    based_on: Mapping[str, dict[str, Any]],
    issues: list[Issue],
) -> list[DraftOrder]:
    kind = "Appointment" if service.orders == "appointments" else "ServiceRequest"
    orders = []
    for index, entry in enumerate(bundle.get("entry") or []):
        resource = entry.get("resource")
        if not isinstance(resource, dict) or resource.get("resourceType") != kind:
            continue  # other kinds of order (medications, devices) are not this program's
        location = f"{where}.entry[{index}].resource"
        reference = f"{kind}/{resource['id']}" if resource.get("id") else entry.get("fullUrl")
        reference = reference or location
        if selections is not None and reference not in selections:
            continue
        if kind == "Appointment":
            order = _appointment(resource, reference, location, based_on, issues)
        else:
            order = _service_request(resource, reference, location, issues)
        orders.append(DraftOrder(resource, order))
    return orders


def _service_request(
    resource: Mapping[str, Any], reference: str, location: str, issues: list[Issue]
) -> Order:
    return Order(
        reference=reference,
        procedure_codes=_cpt_codes(resource.get("code")),
        diagnosis_codes=_diagnoses(resource.get("reasonCode")),
        on=_occurrence(resource, location, issues),
        units=_units(resource.get("quantityQuantity")),
    )


def _appointment(
    resource: Mapping[str, Any],
    reference: str,
    location: str,
    based_on: Mapping[str, dict[str, Any]],
    issues: list[Issue],
) -> Order:
    """Read an appointment: its own CPT codes (serviceType), else those of the orders it is
    based on (the prefetched `serviceRequests`); likewise its diagnoses and date."""
    requests = [
        based_on[ref["reference"]]
        for ref in resource.get("basedOn") or []
        if isinstance(ref, dict) and ref.get("reference") in based_on
    ]
    codes = tuple(c for concept in resource.get("serviceType") or [] for c in _cpt_codes(concept))
    codes = codes or tuple(c for r in requests for c in _cpt_codes(r.get("code")))
    diagnoses = _diagnoses(resource.get("reasonCode")) or tuple(
        d for r in requests for d in _diagnoses(r.get("reasonCode"))
    )
    on = _date(resource.get("start"), f"{location}.start", issues)
    periods = resource.get("requestedPeriod") or []
    if on is None and periods:
        on = _date(periods[0].get("start"), f"{location}.requestedPeriod[0].start", issues)
    for request in requests:
        on = on or _occurrence(request, "prefetch.serviceRequests", issues)
    units = next((u for r in requests if (u := _units(r.get("quantityQuantity")))), None)
    return Order(reference, codes, diagnoses, on, units)


def _cpt_codes(concept: Any) -> tuple[str, ...]:
    """Return the CPT codes of a CodeableConcept and of its CRD billing-options extension."""
    if not isinstance(concept, dict):
        return ()
    codings = list(concept.get("coding") or [])
    for extension in concept.get("extension") or []:
        if extension.get("url") == BILLING_OPTIONS:
            codings += (extension.get("valueCodeableConcept") or {}).get("coding") or []
    codes = []
    for coding in codings:
        code = str(coding.get("code") or "").strip().upper()
        if coding.get("system") in CPT_SYSTEMS and CPT_PATTERN.fullmatch(code):
            codes.append(code)
    return tuple(dict.fromkeys(codes))


def _diagnoses(concepts: Any) -> tuple[str, ...]:
    codes = []
    for concept in concepts or []:
        for coding in concept.get("coding") or []:
            if coding.get("system") in ICD10_SYSTEMS and coding.get("code"):
                raw = str(coding["code"])
                try:
                    codes.append(normalize_icd10(raw))
                except ValueError:
                    codes.append(raw.strip().upper())  # shown as it is: it is not approved
    return tuple(dict.fromkeys(codes))


def _occurrence(resource: Mapping[str, Any], location: str, issues: list[Issue]) -> date | None:
    if "occurrenceDateTime" in resource:
        return _date(resource["occurrenceDateTime"], f"{location}.occurrenceDateTime", issues)
    if "occurrencePeriod" in resource:
        start = resource["occurrencePeriod"].get("start")
        return _date(start, f"{location}.occurrencePeriod.start", issues)
    timing = resource.get("occurrenceTiming") or {}
    events = timing.get("event") or []
    if events:
        return _date(events[0], f"{location}.occurrenceTiming.event[0]", issues)
    bounds = (timing.get("repeat") or {}).get("boundsPeriod") or {}
    return _date(bounds.get("start"), f"{location}.occurrenceTiming.repeat.boundsPeriod", issues)


def _date(value: Any, location: str, issues: list[Issue]) -> date | None:
    """Return the day a FHIR date or dateTime names (a month or year: its first day)."""
    if not isinstance(value, str) or len(value) < 4:
        return None
    text = value[:10]
    parts = [*text.split("-"), "01", "01"]
    try:
        day = date(int(parts[0]), int(parts[1]), int(parts[2]))
    except ValueError:
        issues.append(issue("invalid", location, f"{value!r} is not a date"))
        return None
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        issues.append(issue("value", location, f"{day} is outside {MIN_YEAR}-{MAX_YEAR}"))
        return None
    return day


def _units(quantity: Any) -> int | None:
    """Return an ordered quantity counted in units (15 minutes each), if it is one."""
    if not isinstance(quantity, dict):
        return None
    value = quantity.get("value")
    unit = str(quantity.get("code") or quantity.get("unit") or "1").lower()
    if isinstance(value, int | float) and value == int(value) and value > 0 and unit in _UNIT_CODES:
        return int(value)
    return None
