"""Claims-time checks: is a claim line covered by a pre-certification, and for how many units?

Pure: the caller gathers the participant's eligibility, the approved pre-certifications that
might cover the line, and the units already used, and applies the decision to its counters.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import NamedTuple

from precert.policy.models import Policy
from precert.rules.facts import Span
from precert.rules.ledger import COVERING, limit_finding
from precert.rules.reasons import Finding, Reason


class Frequency(StrEnum):
    """X12 claim frequency: 1 original, 7 replacement, 8 void."""

    ORIGINAL = "original"
    REPLACEMENT = "replacement"
    VOID = "void"


class Outcome(StrEnum):
    COVERED = "covered"
    REDUCED = "reduced"
    NOT_COVERED = "not_covered"


@dataclass(frozen=True, slots=True)
class ClaimLine:
    claim_id: str
    line_number: int
    frequency: Frequency
    original_claim_id: str | None
    participant_id: str
    billing_npi: str
    rendering_npi: str
    procedure_code: str
    diagnosis_codes: tuple[str, ...]
    date_of_service: date
    units: int

    @property
    def key(self) -> tuple[str, int]:
        return (self.claim_id, self.line_number)

    @property
    def original_key(self) -> tuple[str, int] | None:
        if self.original_claim_id is None:
            return None
        return (self.original_claim_id, self.line_number)


class Held(NamedTuple):
    """An approved pre-certification as the claims check sees it (a tuple: a batch reads
    hundreds of thousands)."""

    precert_id: str
    therapy: str
    provider_npi: str
    procedure_codes: frozenset[str]
    start_date: date
    end_date: date
    approved_units: int


@dataclass(frozen=True, slots=True)
class LineDecision:
    outcome: Outcome
    covered_units: int
    precert_id: str | None
    findings: tuple[Finding, ...]
    therapy: str | None = None

    @property
    def reason_codes(self) -> tuple[str, ...]:
        return tuple(f.code for f in self.findings)


def not_covered(
    findings: Sequence[Finding], precert_id: str | None = None, therapy: str | None = None
) -> LineDecision:
    return LineDecision(Outcome.NOT_COVERED, 0, precert_id, tuple(findings), therapy)


def decide_line(
    line: ClaimLine,
    *,
    policy: Policy,
    eligibility: Sequence[Span],
    held: Sequence[Held],
    used: Mapping[str, int],
    year_used: int,
    year: tuple[date, date],
) -> LineDecision:
    """Decide one claim line.

    `held` are the participant's approved pre-certifications, `used` the units already used
    of each, `year_used` the units used (all therapies) in `year`, the benefit year of the date
    of service. Those billed under their NPI come first, and among them the one ending first
    that still has units (and authorizes the procedure).
    """
    on = line.date_of_service
    therapy = policy.therapy_for_procedure(line.procedure_code)
    if therapy is None:
        return not_covered([Finding.of(Reason.PROCEDURE_NOT_IN_PROGRAM, code=line.procedure_code)])
    gates: list[Finding] = []
    if not any(span.covers(on) for span in eligibility):
        gates.append(Finding.of(Reason.PARTICIPANT_NOT_ELIGIBLE, on=on))
    primary = line.diagnosis_codes[0]
    if primary not in policy.approved_diagnoses(on):
        gates.append(Finding.of(Reason.DIAGNOSIS_NOT_APPROVED, codes=primary, on=on))

    covering = [h for h in held if h.therapy == therapy.key and h.start_date <= on <= h.end_date]
    if not covering:
        no_precert = Finding.of(Reason.NO_PRECERT, therapy=therapy.label, on=on)
        return not_covered([*gates, no_precert], therapy=therapy.key)
    own = [h for h in covering if h.provider_npi == line.billing_npi]
    if not own:
        other = min(covering, key=lambda h: (h.end_date, h.precert_id))
        mismatch = Finding.of(
            Reason.BILLING_PROVIDER_MISMATCH,
            billing_npi=line.billing_npi,
            precert_id=other.precert_id,
            provider_npi=other.provider_npi,
        )
        return not_covered([*gates, mismatch], other.precert_id, therapy.key)

    def left(h: Held) -> int:
        return h.approved_units - used.get(h.precert_id, 0)

    code = line.procedure_code
    pick = min(
        own, key=lambda h: (code not in h.procedure_codes, left(h) <= 0, h.end_date, h.precert_id)
    )
    if gates:
        return not_covered(gates, pick.precert_id, therapy.key)
    if code not in pick.procedure_codes:
        finding = Finding.of(
            Reason.PROCEDURE_NOT_AUTHORIZED,
            code=code,
            precert_id=pick.precert_id,
            authorized=", ".join(sorted(pick.procedure_codes)) or "none",
        )
        return not_covered([finding], pick.precert_id, therapy.key)

    billed = line.units
    precert_left = max(left(pick), 0)
    year_left = max(policy.annual_unit_limit - year_used, 0)
    covered = min(billed, precert_left, year_left)
    findings: list[Finding] = []
    if precert_left < billed:
        findings.append(
            Finding.of(
                Reason.PRECERT_UNITS_EXHAUSTED,
                billed=billed,
                precert_id=pick.precert_id,
                left=precert_left,
                approved=pick.approved_units,
                covered=covered,
            )
        )
    limit = limit_finding(policy, year, year_left, billed, COVERING)
    if limit is not None:
        findings.append(limit)
    if covered == 0:
        outcome = Outcome.NOT_COVERED
    elif covered < billed:
        outcome = Outcome.REDUCED
    else:
        outcome = Outcome.COVERED
    return LineDecision(outcome, covered, pick.precert_id, tuple(findings), therapy.key)
