"""Load the participant roster: one row per eligibility span, all or nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy.orm import Session

from precert.common.roster import (
    RosterProblem,
    RowError,
    date_column,
    group_rows,
    prefetch,
    read_roster,
    required,
    sorted_spans,
    span_problems,
)
from precert.models import EligibilitySpan, Participant
from precert.rules.codes import PARTICIPANT_ID_PATTERN

COLUMNS = (
    "participant_id",
    "first_name",
    "last_name",
    "birth_date",
    "eligibility_start",
    "eligibility_end",
)


@dataclass(frozen=True)
class Row:
    participant_id: str
    first_name: str
    last_name: str
    birth_date: date
    start: date
    end: date | None

    @property
    def key(self) -> str:
        return self.participant_id

    @property
    def identity(self) -> tuple[object, ...]:
        return (self.first_name, self.last_name, self.birth_date)

    @property
    def span(self) -> tuple[date, date | None]:
        return (self.start, self.end)


def _parse(row: dict[str, str]) -> Row:
    problems: list[str] = []
    pid = required(row, "participant_id", problems)
    if pid and not PARTICIPANT_ID_PATTERN.fullmatch(pid):
        problems.append(f"participant_id {pid!r} is not 8 digits")
    first = required(row, "first_name", problems)
    last = required(row, "last_name", problems)
    birth = date_column(row, "birth_date", problems)
    start = date_column(row, "eligibility_start", problems)
    end = date_column(row, "eligibility_end", problems, optional=True)
    problems += span_problems(start, end, "eligibility")
    if birth and start and start < birth:
        problems.append(f"eligibility_start {start} is before birth_date {birth}")
    if problems:
        raise RowError("; ".join(problems))
    assert birth is not None and start is not None
    return Row(pid, first, last, birth, start, end)


def load_participants(
    session: Session, source: Path | str
) -> tuple[dict[str, int], list[RosterProblem]]:
    """Replace the spans of every participant in the file; return counts, or the problems."""
    result = read_roster(source, COLUMNS, _parse)
    grouped, problems = group_rows(result.rows, "name or birth date")
    problems += result.problems
    if problems:
        return {}, sorted(problems, key=lambda p: p.line)
    counts = {"added": 0, "updated": 0, "unchanged": 0}
    stored_rows = prefetch(session, Participant.participant_id, list(grouped))
    for pid, (row, spans) in grouped.items():
        existing = stored_rows.get(pid)
        if existing is None:
            existing = Participant(participant_id=pid)
            session.add(existing)
            counts["added"] += 1
        else:
            current = sorted_spans((s.start_date, s.end_date) for s in existing.eligibility)
            stored = (existing.first_name, existing.last_name, existing.birth_date)
            if stored == row.identity and current == spans:
                counts["unchanged"] += 1
                continue
            counts["updated"] += 1
        existing.first_name, existing.last_name = row.first_name, row.last_name
        existing.birth_date = row.birth_date
        existing.eligibility = [EligibilitySpan(start_date=s, end_date=e) for s, e in spans]
    session.flush()
    return counts, []
