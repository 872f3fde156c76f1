"""The batch path of `precert claims import`: lines as plain tuples, decided a chunk at a time.

A claims batch is mostly simple lines: an original line, seen for the first time, whose
participant holds an approved pre-certification that covers it in full. Those are decided here
in one tight loop over tuples. Every other line gets exactly the API's answer:
- a line with any finding (not eligible, diagnosis, no or another provider's pre-certification,
  units short) is decided by the pure rule itself, `rules.claims.decide_line`;
- corrections (voids, replacements), retries of recorded lines and everything else of their
  participants go through the engine, `engine.decide_chunk`, in file order.
Participants are independent (a pre-certification and a ledger row belong to one), so deciding
the two groups apart keeps every participant's lines in order.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy.orm import Session

from precert.claims import engine, repository
from precert.claims.lines import (  # the reader's own cached checks
    CLAIM_ID,
    FIELDS,
    FREQUENCIES,
    MAX_UNITS,
    cpt_of,
    date_of,
    diagnoses_of,
    npi_of,
)
from precert.errors import FieldProblem
from precert.policy.loader import PolicyBook
from precert.policy.models import BenefitYearKind, Policy
from precert.rules.claims import ClaimLine, Frequency, Held, Outcome, decide_line
from precert.rules.codes import PARTICIPANT_ID_PATTERN
from precert.rules.dates import benefit_year, ledger_key
from precert.rules.facts import Span


class Row(NamedTuple):
    """A claim line as read and checked: driver-ready values, kept between the passes.

    Rows sort by participant, then by their line in the file (the importer's grouping)."""

    participant_id: str
    source_line: int
    claim_id: str
    line_number: int
    frequency: str
    original_claim_id: str | None
    billing_npi: str
    rendering_npi: str
    procedure_code: str
    diagnosis_codes: str  # the JSON array, as stored
    date_of_service: str  # YYYY-MM-DD
    units: int


class Answer(NamedTuple):
    outcome: str
    covered_units: int
    precert_id: str | None
    reasons: list[dict[str, str]]


class Reader:
    """Check a line's fields as `lines.read_line` does, with every check cached by value.

    `row(values)` takes the 11 values in `FIELDS` order and returns the checked `Row`, or
    None when `read_line` would find a problem (the caller asks it which).
    """

    def __init__(self) -> None:
        self._codes: dict[tuple[str, str], str | None] = {}
        self._diagnoses: dict[str, str | None] = {}

    def code(self, kind: str, value: str) -> str | None:
        """The checked NPI, CPT code or ISO date (`kind` npi, cpt or date), or None."""
        found = self._codes.get((kind, value), "")
        if found == "":
            check = _CHECKS[kind]
            text = value.strip()
            try:
                found = check(text) if text and "\x00" not in text else None
            except ValueError:
                found = None
            if len(self._codes) > 1_000_000:
                self._codes.clear()
            self._codes[(kind, value)] = found
        return found

    def diagnosis_list(self, value: str) -> str | None:
        """The diagnosis codes as the JSON list stored, or None."""
        found = self._diagnoses.get(value, "")
        if found == "":
            problems: list[FieldProblem] = []
            codes = diagnoses_of(value, problems)
            found = None if problems else json.dumps(list(codes))
            if len(self._diagnoses) > 100_000:
                self._diagnoses.clear()
            self._diagnoses[value] = found
        return found

    def row(self, source_line: int, values: Sequence[Any]) -> Row | None:
        try:
            return self._row(source_line, values)
        except (AttributeError, TypeError):  # a value that is not text (from an 837P reader)
            return None

    def _row(self, source_line: int, values: Sequence[Any]) -> Row | None:
        claim, number, freq, original, pid, billing, rendering, proc, dx, on, units = values
        claim = claim.strip()
        if not CLAIM_ID.fullmatch(claim):
            return None
        line_number = whole(number, 999_999)
        unit_count = whole(units, MAX_UNITS)
        if line_number is None or unit_count is None:
            return None
        frequency = frequency_of(freq)
        if frequency is None:
            return None
        if frequency == "original":
            if original != "":
                return None
            original_id = None
        else:
            original_id = original.strip()
            if not CLAIM_ID.fullmatch(original_id) or original_id == claim:
                return None
        pid = pid.strip()
        if not PARTICIPANT_ID_PATTERN.fullmatch(pid):
            return None
        billing_npi = self.code("npi", billing)
        rendering_npi = self.code("npi", rendering)
        procedure = self.code("cpt", proc)
        day = self.code("date", on)
        diagnoses = self.diagnosis_list(dx)
        if not (billing_npi and rendering_npi and procedure and day and diagnoses):
            return None
        return Row(
            pid,
            source_line,
            claim,
            line_number,
            frequency,
            original_id,
            billing_npi,
            rendering_npi,
            procedure,
            diagnoses,
            day,
            unit_count,
        )


def whole(value: str, high: int) -> int | None:
    """A count written in digits (1 to `high`), or None."""
    text = value.strip()
    if not (0 < len(text) <= 6 and text.isascii() and text.isdigit()):
        return None
    number = int(text)
    return number if 1 <= number <= high else None


def frequency_of(value: str) -> str | None:
    """The claim frequency's name (blank is an original), or None."""
    if value == "":
        return "original"
    return FREQUENCIES.get(value.strip().lower())


def _iso_day(text: str) -> str:
    day: date = date_of(text)
    return day.isoformat()


_CHECKS: dict[str, Callable[[str], str]] = {"npi": npi_of, "cpt": cpt_of, "date": _iso_day}


def row_of(source_line: int, line: ClaimLine) -> Row:
    """Return a line `read_line` read (one the fast checks passed on) as a `Row`."""
    return Row(
        line.participant_id,
        source_line,
        line.claim_id,
        line.line_number,
        line.frequency.value,
        line.original_claim_id,
        line.billing_npi,
        line.rendering_npi,
        line.procedure_code,
        json.dumps(list(line.diagnosis_codes)),
        line.date_of_service.isoformat(),
        line.units,
    )


def values_of(raw: Mapping[str, Any]) -> list[Any]:
    """Return a file row's values in `FIELDS` order (the optional columns may be absent)."""
    return [raw.get(name, "") for name in FIELDS]


# Deciding and recording a chunk.


class Day(NamedTuple):
    day: date
    policy: Policy
    key: str
    year: tuple[date, date]
    approved: frozenset[str]


class Days(dict[str, Day]):
    """Each date of service's policy, ledger key, benefit year and approved diagnoses."""

    def __init__(self, policies: PolicyBook) -> None:
        super().__init__()
        self.policies = policies

    def __missing__(self, iso: str) -> Day:
        day = date.fromisoformat(iso)
        policy = self.policies.nearest(day)
        found = self[iso] = Day(
            day,
            policy,
            ledger_key(policy.benefit_year, day),
            benefit_year(policy.benefit_year, day),
            policy.approved_diagnoses(day),
        )
        return found


class Writes(NamedTuple):
    """A decided chunk's new lines and the units they use, to be stored."""

    lines: list[tuple[Any, ...]]
    precerts: dict[str, int]
    ledgers: dict[tuple[str, str], int]

    def store(self, session: Session) -> None:
        repository.insert_rows(session, self.lines)
        repository.add_used(session, self.precerts, self.ledgers)


class Recorder:
    """Decide and record chunks of rows; one `Recorder` per import."""

    def __init__(self, policies: PolicyBook) -> None:
        self.policies = policies
        self.days = Days(policies)
        self.diagnoses: dict[str, tuple[str, ...]] = {}
        self.rolling = any(
            p.benefit_year is BenefitYearKind.ROLLING_12_MONTHS for p in policies.policies
        )

    def _diagnosis_codes(self, stored: str) -> tuple[str, ...]:
        """The codes of a row's JSON list (a batch repeats the same few lists)."""
        codes = self.diagnoses.get(stored)
        if codes is None:
            codes = self.diagnoses[stored] = tuple(json.loads(stored))
        return codes

    def claim_line(self, row: Row) -> ClaimLine:
        return ClaimLine(
            claim_id=row.claim_id,
            line_number=row.line_number,
            frequency=Frequency(row.frequency),
            original_claim_id=row.original_claim_id,
            participant_id=row.participant_id,
            billing_npi=row.billing_npi,
            rendering_npi=row.rendering_npi,
            procedure_code=row.procedure_code,
            diagnosis_codes=self._diagnosis_codes(row.diagnosis_codes),
            date_of_service=self.days[row.date_of_service].day,
            units=row.units,
        )

    def record(self, session: Session, rows: Sequence[Row], now: datetime) -> list[Answer]:
        """Decide `rows` in order, store them and the units they use; one answer per row."""
        answers, writes = self.decide(session, rows, now)
        writes.store(session)
        return answers

    def decide(
        self, session: Session, rows: Sequence[Row], now: datetime
    ) -> tuple[list[Answer], Writes]:
        """Decide `rows` under locks; return the answers and what is left to store.

        The engine's part is stored already; the rest is stored by `Writes.store` in the same
        transaction (the importer may do that while it decides the next chunk, in another)."""
        repository.tune_for_batches(session)
        slow = self._slow_participants(session, rows)
        participants = {row.participant_id for row in rows}
        # Locks in the core's order, for the whole chunk at once: pre-certifications, then
        # ledger rows (the engine takes them again for its part, which changes nothing).
        held, used = repository.held(session, participants, lock=True)
        if not repository.is_sqlite(session):  # SQLite: the transaction holds the write lock
            days = self.days
            repository.lock_ledgers(
                session, {(row.participant_id, days[row.date_of_service].key) for row in rows}
            )
        answers: list[Answer | None] = [None] * len(rows)
        slow_rows = [i for i, row in enumerate(rows) if row.participant_id in slow]
        if slow_rows:
            found = engine.decide_chunk(
                session,
                [self.claim_line(rows[i]) for i in slow_rows],
                policies=self.policies,
                now=now,
                record=True,
            )
            for i, answer in zip(slow_rows, found, strict=True):
                answers[i] = Answer(
                    answer["outcome"],
                    answer["covered_units"],
                    answer["precert_id"],
                    answer["reasons"],
                )
        fast = participants - slow
        writes = Writes([], {}, {})
        if fast:
            writes = self._decide_fast(session, rows, answers, fast, held, used, now)
        assert all(a is not None for a in answers)
        return answers, writes  # type: ignore[return-value]

    def _slow_participants(self, session: Session, rows: Sequence[Row]) -> set[str]:
        """Participants with a correction, a retry or a repeated line in this chunk."""
        if self.rolling:  # the rolling year sums recorded lines: the engine's slow path
            return {row.participant_id for row in rows}
        claim_ids = {row.claim_id for row in rows}
        claim_ids |= {row.original_claim_id for row in rows if row.original_claim_id}
        recorded = repository.recorded_keys(session, claim_ids)
        seen: dict[tuple[str, int], str] = {}
        slow: set[str] = set()
        for row in rows:
            key = (row.claim_id, row.line_number)
            if row.frequency != "original" or key in recorded or key in seen:
                slow.add(row.participant_id)
                for other in (recorded.get(key), seen.get(key)):
                    if other is not None:
                        slow.add(other)
                if row.original_claim_id is not None:
                    original = (row.original_claim_id, row.line_number)
                    for other in (recorded.get(original), seen.get(original)):
                        if other is not None:
                            slow.add(other)
            seen[key] = row.participant_id
        return slow

    def _decide_fast(
        self,
        session: Session,
        rows: Sequence[Row],
        answers: list[Answer | None],
        participants: set[str],
        held: dict[str, list[Held]],
        used: dict[str, int],
        now: datetime,
    ) -> Writes:
        eligibility = repository.eligibility_spans(session, participants)
        ledger = repository.ledger_used(session, participants)
        by_end = {
            pid: sorted(found, key=lambda h: (h.end_date, h.precert_id))
            if len(found) > 1
            else found
            for pid, found in held.items()
            if pid in participants
        }
        precert_delta: dict[str, int] = {}
        ledger_delta: dict[tuple[str, str], int] = {}
        stored: list[tuple[Any, ...]] = []
        days = self.days
        no_reasons: list[dict[str, str]] = []
        for i, row in enumerate(rows):
            pid = row.participant_id
            if pid not in participants:
                continue
            on = days[row.date_of_service]
            policy = on.policy
            therapy = policy.procedure_index.get(row.procedure_code)
            code = row.procedure_code
            units = row.units
            ledger_at = (pid, on.key)
            pick: Held | None = None
            day = on.day
            if (
                therapy is not None
                and any(
                    start <= day and (end is None or day <= end) for start, end in eligibility[pid]
                )
                and self._diagnosis_codes(row.diagnosis_codes)[0] in on.approved
            ):
                for h in by_end[pid]:
                    if (
                        h.therapy == therapy.key
                        and h.start_date <= day <= h.end_date
                        and h.provider_npi == row.billing_npi
                        and code in h.procedure_codes
                        and used.get(h.precert_id, 0) < h.approved_units
                    ):
                        pick = h
                        break
            if (
                pick is not None
                and pick.approved_units - used.get(pick.precert_id, 0) >= units
                and policy.annual_unit_limit - ledger.get(ledger_at, 0) >= units
            ):
                answer = Answer(Outcome.COVERED.value, units, pick.precert_id, no_reasons)
                tkey: str | None = therapy.key if therapy is not None else None
            else:  # any finding: the rule itself decides
                decision = decide_line(
                    self.claim_line(row),
                    policy=policy,
                    eligibility=[Span(start, end) for start, end in eligibility[pid]],
                    held=held[pid],
                    used=used,
                    year_used=ledger.get(ledger_at, 0),
                    year=on.year,
                )
                answer = Answer(
                    decision.outcome.value,
                    decision.covered_units,
                    decision.precert_id,
                    [f.as_dict() for f in decision.findings],
                )
                tkey = decision.therapy
            covered = answer.covered_units
            if covered:
                precert_id = answer.precert_id
                assert precert_id is not None
                used[precert_id] = used.get(precert_id, 0) + covered
                precert_delta[precert_id] = precert_delta.get(precert_id, 0) + covered
                ledger[ledger_at] = ledger.get(ledger_at, 0) + covered
                ledger_delta[ledger_at] = ledger_delta.get(ledger_at, 0) + covered
            answers[i] = answer
            stored.append(  # in repository.COLUMNS order
                (
                    row.claim_id,
                    row.line_number,
                    row.frequency,
                    row.original_claim_id,
                    pid,
                    row.billing_npi,
                    row.rendering_npi,
                    code,
                    row.diagnosis_codes,
                    row.date_of_service,
                    units,
                    tkey,
                    answer.outcome,
                    covered,
                    answer.precert_id,
                    on.key if covered else None,
                    json.dumps(answer.reasons) if answer.reasons else "[]",
                    None,
                    now,
                )
            )
        return Writes(stored, precert_delta, ledger_delta)


__all__ = [
    "Answer",
    "Day",
    "Days",
    "Reader",
    "Recorder",
    "Row",
    "Writes",
    "frequency_of",
    "row_of",
    "values_of",
    "whole",
]
