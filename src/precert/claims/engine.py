"""Decide a chunk of claim lines in order, each seeing the units the earlier ones used.

One call is one chunk in one transaction. Reads gather the whole chunk's facts at once; with
`record`, the approved pre-certifications of its participants and then the ledger rows of the
years its lines fall in are locked (the same order as the core: pre-certification, then
ledger), and everything is written back with one statement per table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from precert.claims import repository
from precert.claims.repository import Record
from precert.policy.loader import PolicyBook
from precert.policy.models import BenefitYearKind, Policy
from precert.rules.claims import ClaimLine, Frequency, Held, LineDecision, Outcome, decide_line
from precert.rules.dates import benefit_year, ledger_key
from precert.rules.facts import Span
from precert.rules.reasons import Finding, Reason


def answer_of(record: Record) -> dict[str, Any]:
    """Return a stored or new line as the API answers it."""
    return {
        "claim_id": record["claim_id"],
        "line_number": record["line_number"],
        "outcome": record["outcome"],
        "covered_units": record["covered_units"],
        "precert_id": record["precert_id"],
        "reasons": list(record["reasons"]),
    }


@dataclass
class _Chunk:
    """What a chunk knows while its lines are decided."""

    stored: dict[tuple[str, int], Record]
    held: dict[str, list[Held]]
    eligibility: dict[str, list[Span]]
    precert_used: dict[str, int]
    ledger_used: dict[tuple[str, str], int]
    new: dict[tuple[str, int], Record] = field(default_factory=dict)
    voided: list[tuple[str, int, str]] = field(default_factory=list)
    precert_delta: dict[str, int] = field(default_factory=dict)
    ledger_delta: dict[tuple[str, str], int] = field(default_factory=dict)

    def use(self, precert_id: str | None, ledger: tuple[str, str] | None, units: int) -> None:
        if not units:
            return
        if precert_id is not None:
            self.precert_used[precert_id] = self.precert_used.get(precert_id, 0) + units
            self.precert_delta[precert_id] = self.precert_delta.get(precert_id, 0) + units
        if ledger is not None:
            self.ledger_used[ledger] = self.ledger_used.get(ledger, 0) + units
            self.ledger_delta[ledger] = self.ledger_delta.get(ledger, 0) + units


def _ledger_key(policies: PolicyBook, line: ClaimLine) -> str:
    on = line.date_of_service
    return ledger_key(policies.nearest(on).benefit_year, on)


def _year(policy: Policy, on: date) -> tuple[str, tuple[date, date]]:
    return ledger_key(policy.benefit_year, on), benefit_year(policy.benefit_year, on)


def decide_chunk(
    session: Session,
    lines: Sequence[ClaimLine],
    *,
    policies: PolicyBook,
    now: datetime,
    record: bool,
) -> list[dict[str, Any]]:
    """Decide `lines` in order; with `record`, store them and the units they use."""
    participant_ids = {line.participant_id for line in lines}
    claim_ids = {line.claim_id for line in lines}
    claim_ids |= {line.original_claim_id for line in lines if line.original_claim_id}
    ledgers = {(line.participant_id, _ledger_key(policies, line)) for line in lines}
    held, precert_used = repository.held(session, participant_ids, lock=record)
    if record:
        repository.lock_ledgers(session, ledgers)
    # What is on record is read under the locks, so a request that waited for another one
    # (a retry, a second void of the same line) sees what that one recorded.
    stored = repository.lines_of_claims(session, claim_ids)
    corrected = {(r["participant_id"], r["year_key"]) for r in stored.values() if r["year_key"]}
    if record and corrected - ledgers:  # an original line of another participant or year
        repository.lock_ledgers(session, corrected - ledgers)
        stored = repository.lines_of_claims(session, claim_ids)
    chunk = _Chunk(
        stored=stored,
        held=held,
        eligibility=repository.eligibility(session, participant_ids),
        precert_used=precert_used,
        ledger_used=repository.ledger_used(session, participant_ids),
    )
    answers = [_decide(session, chunk, line, policies, now) for line in lines]
    if record:
        repository.write(
            session,
            new_lines=list(chunk.new.values()),
            voided=chunk.voided,
            precert_used=chunk.precert_delta,
            ledger_used_delta=chunk.ledger_delta,
        )
    return answers


def _decide(
    session: Session, chunk: _Chunk, line: ClaimLine, policies: PolicyBook, now: datetime
) -> dict[str, Any]:
    earlier = chunk.new.get(line.key) or chunk.stored.get(line.key)
    if earlier is not None:  # a retry: the first answer, and no more units
        return answer_of(earlier)
    voiding: list[Finding] = []
    original_precert: str | None = None
    if line.frequency is not Frequency.ORIGINAL:
        original = _original(chunk, line)
        original_precert = original["precert_id"]
        voiding.append(_void(chunk, line, original))
    if line.frequency is Frequency.VOID:
        decision = LineDecision(Outcome.NOT_COVERED, 0, original_precert, tuple(voiding))
        return _keep(chunk, line, decision, year_key=None, now=now)

    policy = policies.nearest(line.date_of_service)
    key, year = _year(policy, line.date_of_service)
    if policy.benefit_year is BenefitYearKind.ROLLING_12_MONTHS:
        year_used = _rolling_used(session, chunk, line, year)
    else:
        year_used = chunk.ledger_used.get((line.participant_id, key), 0)
    decision = decide_line(
        line,
        policy=policy,
        eligibility=chunk.eligibility.get(line.participant_id, []),
        held=chunk.held.get(line.participant_id, []),
        used=chunk.precert_used,
        year_used=year_used,
        year=year,
    )
    chunk.use(decision.precert_id, (line.participant_id, key), decision.covered_units)
    return _keep(chunk, line, decision, year_key=key, now=now)


def _original(chunk: _Chunk, line: ClaimLine) -> Record:
    key = line.original_key
    assert key is not None
    found = chunk.new.get(key) or chunk.stored.get(key)
    if found is None:  # the service checks originals exist before deciding
        raise LookupError(f"claim {key[0]} line {key[1]} is not on record")
    return found


def _void(chunk: _Chunk, line: ClaimLine, original: Record) -> Finding:
    """Give the original line's units back, once."""
    where = {"claim_id": original["claim_id"], "line_number": original["line_number"]}
    if original["voided_by"] is not None:
        return Finding.of(Reason.CLAIM_LINE_ALREADY_VOIDED, **where)
    units = original["covered_units"]
    ledger = (original["participant_id"], original["year_key"]) if original["year_key"] else None
    chunk.use(original["precert_id"], ledger, -units)
    original["voided_by"] = line.claim_id
    if (original["claim_id"], original["line_number"]) not in chunk.new:
        chunk.voided.append((original["claim_id"], original["line_number"], line.claim_id))
    return Finding.of(Reason.CLAIM_LINE_VOIDED, units=units, **where)


def _keep(
    chunk: _Chunk, line: ClaimLine, decision: LineDecision, *, year_key: str | None, now: datetime
) -> dict[str, Any]:
    record: Record = {
        "claim_id": line.claim_id,
        "line_number": line.line_number,
        "frequency": line.frequency.value,
        "original_claim_id": line.original_claim_id,
        "participant_id": line.participant_id,
        "billing_npi": line.billing_npi,
        "rendering_npi": line.rendering_npi,
        "procedure_code": line.procedure_code,
        "diagnosis_codes": list(line.diagnosis_codes),
        "date_of_service": line.date_of_service,
        "units": line.units,
        "therapy": decision.therapy,
        "outcome": decision.outcome.value,
        "covered_units": decision.covered_units,
        "precert_id": decision.precert_id,
        "year_key": year_key if decision.covered_units else None,
        "reasons": [f.as_dict() for f in decision.findings],
        "voided_by": None,
        "recorded_at": now,
    }
    chunk.new[line.key] = record
    return answer_of(record)


def _rolling_used(session: Session, chunk: _Chunk, line: ClaimLine, year: tuple[date, date]) -> int:
    """Units used in the 12 months ending on the date of service (a rolling benefit year).

    Slower than the calendar and fiscal ledgers: it sums the recorded lines, then this chunk's.
    """
    first, last = year
    total = repository.used_between(session, line.participant_id, first, last)
    for record in chunk.new.values():
        if (
            record["participant_id"] == line.participant_id
            and first <= record["date_of_service"] <= last
            and record["voided_by"] is None
        ):
            total += record["covered_units"]
    for claim, number, _ in chunk.voided:
        stored = chunk.stored.get((claim, number))
        mine = stored is not None and stored["participant_id"] == line.participant_id
        if mine and stored is not None and first <= stored["date_of_service"] <= last:
            total -= stored["covered_units"]
    return max(total, 0)
