"""What MO HealthNet can say about one draft order: the program's rules applied to it, no I/O.

The answer is built from the same pure rules as a decision (participant checks, approved
diagnoses, the annual-limit ledger), so CRD tells a clinician what step 1 and step 2 would
find, before anything is requested.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from precert.policy.models import Policy, Therapy
from precert.rules.checks import diagnosis_findings, participant_findings
from precert.rules.facts import Authorization, Holding, Participant
from precert.rules.ledger import AUTHORIZING, limit_finding, units_charged
from precert.rules.reasons import Finding, Reason


class Covered(StrEnum):
    """CRD's `covered` codes (ValueSet coverageInfo)."""

    COVERED = "covered"
    NOT_COVERED = "not-covered"
    CONDITIONAL = "conditional"


class PaNeeded(StrEnum):
    """The CRD `pa-needed` codes this program answers with (ValueSet coveragePaDetail)."""

    AUTH_NEEDED = "auth-needed"
    SATISFIED = "satisfied"


@dataclass(frozen=True, slots=True)
class Order:
    """A draft order as CRD sends it, reduced to what the program's rules read."""

    reference: str  # "ServiceRequest/1357", for the card and the log
    procedure_codes: tuple[str, ...]  # CPT codes, in the order the client sent them
    diagnosis_codes: tuple[str, ...]  # ICD-10-CM, dotted and upper-case
    on: date | None  # when the service is to happen, if the order says
    units: int | None = None  # the quantity ordered, if given in units


@dataclass(frozen=True, slots=True)
class Assessment:
    """The program's answer for one order of one of its therapies."""

    order: Order
    on: date
    therapy: Therapy
    code: str  # the program's CPT code the order carries
    covered: Covered
    pa_needed: PaNeeded | None  # None when not covered (CRD: no pa-needed then)
    findings: tuple[Finding, ...]
    year: tuple[date, date]  # the benefit year a charge on `on` goes to
    limit: int
    remaining: int  # units that can still be authorized in `year`
    satisfied_by: Holding | None = None

    @property
    def diagnosis_missing(self) -> bool:
        return not self.order.diagnosis_codes


def program_code(policy: Policy, codes: Sequence[str]) -> tuple[str, Therapy] | None:
    """Return the first of `codes` that is a code of one of the program's therapies."""
    for code in codes:
        therapy = policy.therapy_for_procedure(code)
        if therapy is not None:
            return code, therapy
    return None


def assess(
    *,
    policy: Policy,
    participant: Participant,
    approved: Sequence[Holding],
    order: Order,
    on: date,
) -> Assessment | None:
    """Return the program's answer for `order` on `on`; None when it names none of its codes.

    Not covered when the participant is not eligible or under the minimum age, when none of
    the order's diagnoses is approved, or when no units are left in the benefit year. An
    approved pre-certification of the therapy whose period covers `on` and still has units
    satisfies the order. Otherwise a pre-certification is needed; coverage is conditional
    while the order names no diagnosis.
    """
    found = program_code(policy, order.procedure_codes)
    if found is None:
        return None
    code, therapy = found
    authorizations = [
        Authorization(h.precert_id, h.therapy, h.start, h.end, h.approved_units) for h in approved
    ]
    charged, year = units_charged(policy, authorizations, on)
    remaining = max(policy.annual_unit_limit - charged, 0)

    def answer(
        covered: Covered,
        pa_needed: PaNeeded | None,
        findings: Sequence[Finding] = (),
        satisfied_by: Holding | None = None,
    ) -> Assessment:
        return Assessment(
            order=order,
            on=on,
            therapy=therapy,
            code=code,
            covered=covered,
            pa_needed=pa_needed,
            findings=tuple(findings),
            year=year,
            limit=policy.annual_unit_limit,
            remaining=remaining,
            satisfied_by=satisfied_by,
        )

    not_allowed = participant_findings(policy, participant, on)
    if not_allowed:
        return answer(Covered.NOT_COVERED, None, not_allowed)
    holding = [h for h in approved if h.therapy == therapy.key and h.covers(on) and h.left > 0]
    if holding:
        best = max(holding, key=lambda h: (h.left, h.end))
        return answer(Covered.COVERED, PaNeeded.SATISFIED, satisfied_by=best)
    if order.diagnosis_codes:
        unapproved = diagnosis_findings(policy, order.diagnosis_codes, on)
        if unapproved:
            return answer(Covered.NOT_COVERED, None, unapproved)
    limit = limit_finding(policy, year, remaining, order.units or 1, AUTHORIZING)
    if limit is not None and limit.reason is Reason.ANNUAL_LIMIT_REACHED:
        return answer(Covered.NOT_COVERED, None, [limit])
    covered = Covered.COVERED if order.diagnosis_codes else Covered.CONDITIONAL
    return answer(covered, PaNeeded.AUTH_NEEDED, [limit] if limit else [])
