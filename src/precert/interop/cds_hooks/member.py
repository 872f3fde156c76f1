"""Who the patient is to MO HealthNet: the member ID on the prefetched Coverage or Patient."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from precert.interop.cds_hooks.outcome import Invalid, Issue, hook_error, issue
from precert.interop.cds_hooks.resources import checked, is_outcome

MEMBER_NUMBER = "MB"  # HL7 v2 table 0203: member number


@dataclass(frozen=True, slots=True)
class Candidate:
    """A member ID the request carries, and the Coverage reference that goes with it."""

    member_id: str
    coverage: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Member:
    """Who the patient is to MO HealthNet, as far as the prefetched data says."""

    candidates: tuple[Candidate, ...]  # Coverage member IDs first, then the Patient's
    coverage: dict[str, Any]  # the Reference to name when no candidate is chosen
    coverage_sent: bool  # False: the client did not send the coverage prefetch

    def missing(self) -> Invalid | None:
        """Return the 412 for a call that cannot be answered for want of the coverage."""
        if self.candidates or self.coverage_sent:
            return None
        problem = issue(
            "required",
            "prefetch.coverage",
            "was not sent and the patient carries no MO HealthNet member ID; send the "
            "patient's active Coverage as discovery asks (this service does not query the "
            "client's FHIR server)",
        )
        return hook_error(412, [problem])


def member_of(prefetch: Mapping[str, Any], issues: list[Issue]) -> Member:
    """Return the member IDs the prefetched Coverage and Patient carry.

    A key the client did not send (or sent as an OperationOutcome, when its own query failed)
    is missing data; a key sent as null means the client has none (no coverage on file).
    """
    sent = {
        key: prefetch[key]
        for key in ("coverage", "patient")
        if key in prefetch and not is_outcome(prefetch[key])
    }
    coverage = checked(sent.get("coverage"), "prefetch.coverage", ("Coverage", "Bundle"), issues)
    patient = checked(sent.get("patient"), "prefetch.patient", ("Patient",), issues)
    coverages = _coverages(coverage)
    candidates = [
        Candidate(member_id, _coverage_reference(resource, full_url))
        for resource, full_url in coverages
        if (member_id := _coverage_member_id(resource)) is not None
    ]
    fallback = (
        _coverage_reference(*coverages[0]) if coverages else {"display": "MO HealthNet coverage"}
    )
    patient_member = _member_number(patient.get("identifier")) if patient else None
    if patient_member is not None:
        reference = fallback if coverages else _by_id(patient_member)
        candidates.append(Candidate(patient_member, reference))
    return Member(tuple(candidates), fallback, coverage_sent="coverage" in sent)


def _coverages(found: dict[str, Any] | None) -> list[tuple[dict[str, Any], str | None]]:
    if found is None:
        return []
    if found["resourceType"] == "Coverage":
        return [(found, None)]
    return [
        (entry["resource"], entry.get("fullUrl"))
        for entry in found.get("entry") or []
        if isinstance(entry.get("resource"), dict)
        and entry["resource"].get("resourceType") == "Coverage"
    ]


def _coverage_member_id(coverage: Mapping[str, Any]) -> str | None:
    found = _member_number(coverage.get("identifier"))
    if found is not None:
        return found
    subscriber = coverage.get("subscriberId")
    return subscriber.strip() if isinstance(subscriber, str) and subscriber.strip() else None


def _member_number(identifiers: Any) -> str | None:
    """Return the value of the first identifier typed MB (any system), if there is one."""
    for identifier in identifiers or []:
        codings = (identifier.get("type") or {}).get("coding") or []
        value = identifier.get("value")
        if any(c.get("code") == MEMBER_NUMBER for c in codings) and isinstance(value, str):
            return value.strip()
    return None


def _coverage_reference(coverage: Mapping[str, Any], full_url: str | None) -> dict[str, Any]:
    if full_url:
        return {"reference": full_url}
    if coverage.get("id"):
        return {"reference": f"Coverage/{coverage['id']}"}
    return {"display": "MO HealthNet coverage"}


def _by_id(member_id: str) -> dict[str, Any]:
    """Return a Reference to the coverage by the member ID alone (no Coverage was sent)."""
    return {
        "identifier": {
            "type": {
                "coding": [
                    {"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MB"}
                ]
            },
            "value": member_id,
        },
        "display": "MO HealthNet coverage",
    }
