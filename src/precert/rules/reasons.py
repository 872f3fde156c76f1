"""The one enumeration of reasons a decision can carry; every surface maps from it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Reason(Enum):
    """A stable reason code and its plain-language message template."""

    PARTICIPANT_NOT_ELIGIBLE = "The participant has no MO HealthNet eligibility on {on}."
    PARTICIPANT_UNDER_MINIMUM_AGE = (
        "The participant is under {minimum_age} on {on}; they turn {minimum_age} on {birthday}."
    )
    PRESCRIBER_NOT_ENROLLED = (
        "The prescriber (NPI {npi}) is not an enrolled MO HealthNet provider on {on}."
    )
    PRESCRIBER_TYPE_NOT_ALLOWED = (
        "The prescriber (NPI {npi}) is enrolled as {provider_type}; only {allowed} may start "
        "a request."
    )
    DIAGNOSIS_NOT_APPROVED = (
        "None of the diagnoses ({codes}) is on the approved list in effect on {on}."
    )
    PROVIDER_NOT_ENROLLED = (
        "The performing provider (NPI {npi}) is not an enrolled MO HealthNet provider on {on}."
    )
    PROVIDER_TYPE_MISMATCH = (
        "The performing provider (NPI {npi}) is enrolled as {provider_type}, which does not "
        "perform {therapy}."
    )
    PROCEDURE_NOT_COVERED = "Procedure code {code} is not covered for {therapy}."
    # Shared by decisions (units authorized) and claims (units used): `counted` says which.
    ANNUAL_LIMIT_REACHED = (
        "No units remain in the benefit year {year_start} to {year_end}: all {limit} units "
        "are {counted}."
    )
    UNITS_REDUCED_TO_LIMIT = (
        "{requested} units were {asked} but only {remaining} of the {limit}-unit annual "
        "limit remain in the benefit year {year_start} to {year_end}; {remaining} are {granted}."
    )
    DUPLICATE_AUTHORIZATION = (
        "The participant already holds approved pre-certification {other_id} for {therapy} "
        "from {other_start} to {other_end}, which overlaps this period; sent to the "
        "Pre-Certification Unit for review."
    )
    # Only when the policy's documentation setting has answers affect the decision.
    DOCUMENTATION_NOT_CHRONIC = (
        "The documentation sent with the request {shows}; the program covers chronic pain, "
        "lasting {months} months or more. Sent to the Pre-Certification Unit for review."
    )
    UNITS_REDUCED_ON_REVIEW = (
        "The Pre-Certification Unit approved {approved} of the {requested} units requested."
    )
    DENIED_ON_REVIEW = "Denied by the Pre-Certification Unit on review."
    CANCELLED = "Cancelled; any units it held are released."
    STEP2_EXPIRED = "Step 2 was not completed by {expires_on}, {days} days after step 1."
    # Not a refusal: what PAS and X12 278 say of a request that waits for step 2 (A4).
    AWAITING_PERFORMING_PROVIDER = (
        "Step 1 is recorded; the performing provider completes the request (step 2) with the "
        "procedure codes, units and start date."
    )
    # Claims-time checks.
    NO_PRECERT = "No approved pre-certification of {therapy} for this participant covers {on}."
    BILLING_PROVIDER_MISMATCH = (
        "Billed under NPI {billing_npi}, but pre-certification {precert_id} was completed by "
        "NPI {provider_npi}; bill under the NPI that completed step 2."
    )
    PROCEDURE_NOT_AUTHORIZED = (
        "Procedure code {code} is not authorized by pre-certification {precert_id} "
        "(authorized: {authorized})."
    )
    PROCEDURE_NOT_IN_PROGRAM = "Procedure code {code} is not a code of any therapy of this program."
    PRECERT_UNITS_EXHAUSTED = (
        "{billed} units were billed but pre-certification {precert_id} has {left} of its "
        "{approved} approved units left; {covered} are covered."
    )
    CLAIM_LINE_VOIDED = (
        "Voids claim {claim_id} line {line_number}: its {units} covered units are given back."
    )
    CLAIM_LINE_ALREADY_VOIDED = (
        "Claim {claim_id} line {line_number} was already voided; nothing changed."
    )

    @property
    def code(self) -> str:
        return self.name


@dataclass(frozen=True, slots=True)
class Finding:
    """A reason applied to a case, with the values its message names."""

    reason: Reason
    values: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, reason: Reason, **values: object) -> Finding:
        return cls(reason, tuple((k, str(v)) for k, v in values.items()))

    @property
    def code(self) -> str:
        return self.reason.name

    @property
    def message(self) -> str:
        return self.reason.value.format(**dict(self.values))

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}
