"""Read a PAS request Bundle: check what the profile and the program require, name each problem
by its FHIRPath, and gather what step 1 and step 2 need.

Who is who in the Claim (see docs/pas.md):
- `Claim.provider` is the requester (a PractitionerRole or an Organization, with an NPI).
- `careTeam` members with X12 98 role `DN` (referring) or `DK` (ordering) are the prescribing
  physician; `SJ` (service provider) the performing provider. Without such a member the
  requester is taken as the one the sender's role implies.
- The member is the Coverage's identifier of type `MB` (any system), else its `subscriberId`;
  a Patient identifier of type `MB` must agree.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from fhir.resources.R4B.bundle import Bundle

from precert.interop.authorization import Service
from precert.interop.dtr.responses import ROOT as DOCUMENTATION_ROOT
from precert.interop.dtr.responses import check as check_documentation
from precert.interop.fhir.bundle import (
    Entries,
    Entry,
    check_closure,
    codings,
    has_code,
    text_at,
    validated,
)
from precert.interop.fhir.outcome import Invalid, Issue
from precert.interop.systems import PRECERT_SYSTEM
from precert.rules.codes import normalize_cpt, normalize_icd10

NPI_SYSTEM = "http://hl7.org/fhir/sid/us-npi"
ICD10_SYSTEM = "http://hl7.org/fhir/sid/icd-10-cm"
# CPT is HCPCS Level I: PAS's own examples code it with the HCPCS system.
CPT_SYSTEMS = (
    "http://www.ama-assn.org/go/cpt",
    "http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets",
)
X12_98 = "https://codesystem.x12.org/005010/98"
V2_0203 = "http://terminology.hl7.org/CodeSystem/v2-0203"
PHYSICIAN_ROLES = ("DN", "DK")  # referring, ordering
PERFORMER_ROLES = ("SJ",)  # service provider
# Units of 15 minutes: X12 355 `UN`, or UCUM's annotation `{unit}`.
UNIT_CODES = {"UN", "{unit}", "{units}", "1"}
_PRECERT_ID = re.compile(r"PC-[0-9A-Z]{10}")


@dataclass(frozen=True, slots=True)
class Party:
    npi: str | None
    path: str


@dataclass
class PasRequest:
    """What a PAS request Bundle says, with where it says it."""

    bundle: dict[str, Any]
    root: str
    entries: Entries
    claim: Entry
    identifier: tuple[str, str]
    member_id: str
    birth_date: date | None
    requester: Party
    physician: Party | None
    performer: Party | None
    services: tuple[Service, ...]
    diagnosis_codes: tuple[str, ...]
    plan_of_care_date: date
    priority: str
    prior: list[tuple[str, str]] = field(default_factory=list)  # (system, value) of the prior
    answers: list[Entry] = field(default_factory=list)  # QuestionnaireResponses sent along
    where: dict[str, str] = field(default_factory=dict)


def unwrap(body: Any) -> tuple[dict[str, Any], str]:
    """Return the Bundle and its FHIRPath root; a Parameters `resource` wrapping it is accepted."""
    if not isinstance(body, dict):
        raise Invalid([Issue(None, "the body must be a FHIR Bundle (JSON object)", "structure")])
    kind = body.get("resourceType")
    if kind == "Parameters":
        for index, parameter in enumerate(body.get("parameter") or []):
            resource = parameter.get("resource") if isinstance(parameter, dict) else None
            if isinstance(resource, dict) and resource.get("resourceType") == "Bundle":
                return resource, f"Parameters.parameter[{index}].resource"
        raise Invalid(
            [Issue("Parameters.parameter", "no parameter holds a Bundle resource", "required")]
        )
    if kind != "Bundle":
        raise Invalid(
            [Issue(None, f"the body must be a PAS request Bundle, not {kind!r}", "structure")]
        )
    return body, "Bundle"


def bundle_entries(body: Any) -> tuple[dict[str, Any], Entries]:
    """Return the Bundle and its entries after the checks every PAS Bundle must pass."""
    bundle, root = unwrap(body)
    validated(Bundle, bundle, root)
    issues: list[Issue] = []
    if bundle.get("type") != "collection":
        issues.append(Issue(f"{root}.type", "must be 'collection'", "value"))
    if not text_at(bundle, "identifier", "value"):
        issues.append(Issue(f"{root}.identifier", "a Bundle identifier is required", "required"))
    if not bundle.get("timestamp"):
        issues.append(Issue(f"{root}.timestamp", "a timestamp is required", "required"))
    entries = Entries(bundle, root)
    raw_entries = bundle.get("entry") or []
    if not raw_entries:
        issues.append(Issue(f"{root}.entry", "the Bundle has no entries", "required"))
    for index, raw in enumerate(raw_entries):
        if not raw.get("fullUrl"):
            issues.append(Issue(f"{root}.entry[{index}].fullUrl", "is required", "required"))
        if not isinstance(raw.get("resource"), dict):
            issues.append(Issue(f"{root}.entry[{index}].resource", "is required", "required"))
    first = raw_entries[0].get("resource") if raw_entries else None
    if raw_entries and (not isinstance(first, dict) or first.get("resourceType") != "Claim"):
        issues.append(Issue(f"{root}.entry[0].resource", "the first entry must be the Claim"))
    if issues:
        raise Invalid(issues)
    closure = check_closure(entries)
    if closure:
        raise Invalid(closure)
    return bundle, entries


def read_request(body: Any) -> PasRequest:
    """Return the request a PAS Bundle makes; raise `Invalid` with every problem in it."""
    bundle, entries = bundle_entries(body)
    claim = entries.items[0]
    c = claim.resource
    at = claim.path
    issues: list[Issue] = []
    _require(c, at, issues, "identifier", "status", "type", "use", "patient", "created")
    _require(c, at, issues, "insurer", "provider", "priority", "insurance", "item")
    if c.get("use") and c.get("use") != "preauthorization":
        issues.append(Issue(f"{at}.use", "must be 'preauthorization'", "value"))
    if c.get("status") and c.get("status") != "active":
        issues.append(Issue(f"{at}.status", "must be 'active'", "value"))
    identifier = _identifier(c, at, issues)
    member_id, birth_date, where = member_of(entries, claim, issues)
    services = _services(c, at, issues, where)
    diagnoses = _diagnoses(c, at, issues, where)
    provider = entries.follow(claim, c.get("provider"))
    requester = Party(npi_of(entries, provider), f"{at}.provider")
    if provider is not None and provider.type not in ("PractitionerRole", "Organization"):
        issues.append(
            Issue(
                f"{at}.provider",
                f"must refer to a PractitionerRole or an Organization, not a {provider.type}",
            )
        )
    if c.get("provider") and requester.npi is None:
        issues.append(
            Issue(f"{at}.provider", "the requester must carry an NPI (system " + NPI_SYSTEM + ")")
        )
    physician, performer = _care_team(entries, claim, issues)
    plan = _plan_of_care(c, at, issues, where)
    answers = _answers(entries, claim)
    for entry in answers:
        issues += [
            Issue(p.field.replace(DOCUMENTATION_ROOT, entry.path, 1), p.message)
            for p in check_documentation(entry.resource)
        ]
    if issues:
        raise Invalid(issues, 422 if all(i.code != "structure" for i in issues) else 400)
    assert identifier is not None and member_id is not None and plan is not None
    where.update(
        {
            "*": at,
            "therapy": f"{at}.item",
            "units": f"{at}.item",
            "start_date": f"{at}.item",
            "prior": f"{at}.related",
        }
    )
    if physician:
        where["prescriber_npi"] = physician.path
    if performer:
        where["provider_npi"] = performer.path
    return PasRequest(
        bundle=bundle,
        root=entries.root,
        entries=entries,
        claim=claim,
        identifier=identifier,
        member_id=member_id,
        birth_date=birth_date,
        requester=requester,
        physician=physician,
        performer=performer,
        services=tuple(services),
        diagnosis_codes=tuple(dict.fromkeys(diagnoses)),
        plan_of_care_date=plan,
        priority=_priority(c),
        prior=_prior(entries, claim),
        answers=answers,
        where=where,
    )


def _require(resource: dict[str, Any], at: str, issues: list[Issue], *names: str) -> None:
    for name in names:
        if resource.get(name) in (None, "", [], {}):
            issues.append(Issue(f"{at}.{name}", "is required by the PAS Claim profile", "required"))


def _identifier(c: dict[str, Any], at: str, issues: list[Issue]) -> tuple[str, str] | None:
    for index, ident in enumerate(c.get("identifier") or []):
        system, value = ident.get("system"), ident.get("value")
        if system and value:
            return str(system), str(value)
        issues.append(Issue(f"{at}.identifier[{index}]", "needs both a system and a value"))
    return None


def member_of(
    entries: Entries, claim: Entry, issues: list[Issue]
) -> tuple[str | None, date | None, dict[str, str]]:
    """Return the member ID from the focal Coverage, the Patient's birth date, and where."""
    c, at = claim.resource, claim.path
    where: dict[str, str] = {}
    insurance = [i for i in c.get("insurance") or [] if isinstance(i, dict)]
    focal = next((i for i in insurance if i.get("focal")), insurance[0] if insurance else None)
    coverage = entries.follow(claim, focal.get("coverage")) if focal else None
    patient = entries.follow(claim, c.get("patient"))
    if patient is not None and patient.type != "Patient":
        issues.append(Issue(f"{at}.patient", f"refers to a {patient.type}, not a Patient"))
        patient = None
    member: str | None = None
    if coverage is None or coverage.type != "Coverage":
        if focal is not None:
            issues.append(Issue(f"{at}.insurance", "the focal insurance must refer to a Coverage"))
    else:
        for index, ident in enumerate(coverage.resource.get("identifier") or []):
            if has_code(ident.get("type"), V2_0203, "MB") and ident.get("value"):
                member = str(ident["value"]).strip()
                where["participant_id"] = f"{coverage.path}.identifier[{index}].value"
                break
        if member is None and coverage.resource.get("subscriberId"):
            member = str(coverage.resource["subscriberId"]).strip()
            where["participant_id"] = f"{coverage.path}.subscriberId"
        if member is None:
            issues.append(
                Issue(
                    f"{coverage.path}.identifier",
                    "the Coverage must carry the MO HealthNet member ID (an identifier of type "
                    "MB, or subscriberId)",
                    "required",
                )
            )
    birth: date | None = None
    if patient is not None:
        for index, ident in enumerate(patient.resource.get("identifier") or []):
            value = ident.get("value")
            if has_code(ident.get("type"), V2_0203, "MB") and member and value != member:
                issues.append(
                    Issue(
                        f"{patient.path}.identifier[{index}].value",
                        f"the Patient's member ID {value} contradicts the Coverage's ({member})",
                        "business-rule",
                    )
                )
        raw = patient.resource.get("birthDate")
        if isinstance(raw, str) and len(raw) == 10:
            birth = date.fromisoformat(raw)
            where["birth_date"] = f"{patient.path}.birthDate"
    return member, birth, where


def _services(
    c: dict[str, Any], at: str, issues: list[Issue], where: dict[str, str]
) -> list[Service]:
    found = []
    codes_at: dict[str, str] = {}
    for index, item in enumerate(c.get("item") or []):
        path = f"{at}.item[{index}]"
        code = _cpt(item.get("productOrService"), f"{path}.productOrService", issues)
        units = _units(item.get("quantity"), f"{path}.quantity", issues)
        start, end = _serviced(item, path, issues)
        if code and units and start:
            found.append(Service(code, units, start, end))
            codes_at.setdefault(code, f"{path}.productOrService")
    for index, path in enumerate(codes_at.values()):
        where[f"procedure_codes[{index}]"] = path
    where["procedure_codes"] = f"{at}.item"
    return found


def _cpt(concept: Any, path: str, issues: list[Issue]) -> str | None:
    for coding in codings(concept):
        if coding.get("system") in CPT_SYSTEMS and isinstance(coding.get("code"), str):
            try:
                return normalize_cpt(coding["code"])
            except ValueError as exc:
                issues.append(Issue(f"{path}.coding", str(exc), "value"))
                return None
    issues.append(
        Issue(path, f"a CPT code is required (system {CPT_SYSTEMS[0]} or {CPT_SYSTEMS[1]})")
    )
    return None


def _units(quantity: Any, path: str, issues: list[Issue]) -> int | None:
    if not isinstance(quantity, dict) or quantity.get("value") is None:
        issues.append(
            Issue(path, "the units requested are required (1 unit = 15 minutes)", "required")
        )
        return None
    value = quantity["value"]
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        issues.append(Issue(f"{path}.value", f"{value!r} is not a number of units", "value"))
        return None
    code = quantity.get("code")
    if code is not None and code not in UNIT_CODES:
        issues.append(
            Issue(f"{path}.code", f"must be units of 15 minutes (UN), not {code!r}", "value")
        )
        return None
    if int(value) != value or value < 1:
        issues.append(Issue(f"{path}.value", f"{value} is not a whole number of units", "value"))
        return None
    return int(value)


def _serviced(
    item: dict[str, Any], path: str, issues: list[Issue]
) -> tuple[date | None, date | None]:
    if isinstance(item.get("servicedDate"), str):
        day = _day(item["servicedDate"], f"{path}.servicedDate", issues)
        return day, day
    period = item.get("servicedPeriod")
    if isinstance(period, dict) and period.get("start"):
        start = _day(period["start"], f"{path}.servicedPeriod.start", issues)
        end = (
            _day(period["end"], f"{path}.servicedPeriod.end", issues) if period.get("end") else None
        )
        return start, end
    issues.append(
        Issue(
            f"{path}.serviced[x]", "a servicedDate or servicedPeriod.start is required", "required"
        )
    )
    return None, None


def _day(value: str, path: str, issues: list[Issue]) -> date | None:
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        issues.append(Issue(path, f"{value!r} is not a full date (YYYY-MM-DD)", "value"))
        return None


def _diagnoses(c: dict[str, Any], at: str, issues: list[Issue], where: dict[str, str]) -> list[str]:
    found: list[str] = []
    if not c.get("diagnosis"):
        issues.append(
            Issue(f"{at}.diagnosis", "at least one ICD-10-CM diagnosis is required", "required")
        )
    for index, diagnosis in enumerate(c.get("diagnosis") or []):
        path = f"{at}.diagnosis[{index}].diagnosisCodeableConcept"
        coding = next(
            (
                x
                for x in codings(diagnosis.get("diagnosisCodeableConcept"))
                if x.get("system") == ICD10_SYSTEM
            ),
            None,
        )
        if coding is None or not isinstance(coding.get("code"), str):
            issues.append(Issue(path, f"an ICD-10-CM code is required (system {ICD10_SYSTEM})"))
            continue
        try:
            code = normalize_icd10(coding["code"])
        except ValueError as exc:
            issues.append(Issue(f"{path}.coding", str(exc), "value"))
            continue
        if code not in found:
            where[f"diagnosis_codes[{len(found)}]"] = path
            found.append(code)
    where["diagnosis_codes"] = f"{at}.diagnosis"
    return found


def npi_of(entries: Entries, entry: Entry | None) -> str | None:
    """Return the NPI of a Practitioner, Organization or PractitionerRole (its own, else its
    practitioner's, else its organization's)."""
    if entry is None:
        return None
    for ident in entry.resource.get("identifier") or []:
        if ident.get("system") == NPI_SYSTEM and ident.get("value"):
            return str(ident["value"]).strip()
    if entry.type == "PractitionerRole":
        for key in ("practitioner", "organization"):
            npi = npi_of(entries, entries.follow(entry, entry.resource.get(key)))
            if npi:
                return npi
    return None


def _care_team(
    entries: Entries, claim: Entry, issues: list[Issue]
) -> tuple[Party | None, Party | None]:
    physician = performer = None
    for index, member in enumerate(claim.resource.get("careTeam") or []):
        path = f"{claim.path}.careTeam[{index}]"
        role = member.get("role")
        is_physician = has_code(role, X12_98, *PHYSICIAN_ROLES)
        is_performer = has_code(role, X12_98, *PERFORMER_ROLES)
        if not (is_physician or is_performer):
            continue
        npi = npi_of(entries, entries.follow(claim, member.get("provider")))
        if npi is None:
            issues.append(Issue(f"{path}.provider", "the care team member must carry an NPI"))
            continue
        party = Party(npi, f"{path}.provider")
        if is_physician and physician is None:
            physician = party
        if is_performer and performer is None:
            performer = party
    return physician, performer


def _plan_of_care(
    c: dict[str, Any], at: str, issues: list[Issue], where: dict[str, str]
) -> date | None:
    for index, info in enumerate(c.get("supportingInfo") or []):
        if has_code(info.get("category"), PRECERT_SYSTEM, "plan-of-care"):
            path = f"{at}.supportingInfo[{index}]"
            raw = info.get("timingDate") or info.get("valueString")
            if not isinstance(raw, str):
                issues.append(Issue(f"{path}.timingDate", "the plan-of-care date is required"))
                return None
            where["plan_of_care_date"] = f"{path}.timingDate"
            return _day(raw, f"{path}.timingDate", issues)
    created = c.get("created")
    if not isinstance(created, str):
        return None
    where["plan_of_care_date"] = f"{at}.created"
    try:
        return datetime.fromisoformat(created.replace("Z", "+00:00")).date()
    except ValueError:
        return _day(created, f"{at}.created", issues)


def _priority(c: dict[str, Any]) -> str:
    urgent = has_code(c.get("priority"), None, "stat") or any(
        ext.get("url", "").endswith("extension-levelOfServiceCode")
        and has_code(ext.get("valueCodeableConcept"), None, "U", "03")
        for ext in c.get("extension") or []
    )
    return "expedited" if urgent else "standard"


def _prior(entries: Entries, claim: Entry) -> list[tuple[str, str]]:
    """Return the identifiers (system, value) the Claim names as the one it updates."""
    found: list[tuple[str, str]] = []
    for related in claim.resource.get("related") or []:
        if not has_code(related.get("relationship"), None, "prior"):
            continue
        ref = related.get("claim") or {}
        target = entries.follow(claim, ref)
        idents = list(target.resource.get("identifier") or []) if target else []
        if isinstance(ref.get("identifier"), dict):
            idents.append(ref["identifier"])
        if isinstance(related.get("reference"), dict):
            idents.append(related["reference"])
        found += [(str(i.get("system") or ""), str(i["value"])) for i in idents if i.get("value")]
    return found


def precert_ids(prior: list[tuple[str, str]]) -> list[str]:
    """Return the values among `prior` that are pre-certification IDs (our preAuthRef)."""
    return [value for _, value in prior if _PRECERT_ID.fullmatch(value)]


def _answers(entries: Entries, claim: Entry) -> list[Entry]:
    found: list[Entry] = []
    for info in claim.resource.get("supportingInfo") or []:
        target = entries.follow(claim, info.get("valueReference"))
        if target is not None and target.type == "QuestionnaireResponse":
            found.append(target)
    return found
