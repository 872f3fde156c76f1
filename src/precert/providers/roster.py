"""Load the provider roster: one row per enrollment span, all or nothing."""

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
from precert.models import EnrollmentSpan, Provider
from precert.rules.codes import check_npi

COLUMNS = ("npi", "name", "provider_type", "enrollment_start", "enrollment_end")


@dataclass(frozen=True)
class Row:
    npi: str
    name: str
    provider_type: str
    start: date
    end: date | None

    @property
    def key(self) -> str:
        return self.npi

    @property
    def identity(self) -> tuple[object, ...]:
        return (self.name, self.provider_type)

    @property
    def span(self) -> tuple[date, date | None]:
        return (self.start, self.end)


def load_providers(
    session: Session, source: Path | str, *, provider_types: tuple[str, ...]
) -> tuple[dict[str, int], list[RosterProblem]]:
    """Replace the spans of every provider in the file; return counts, or the problems."""

    def parse(row: dict[str, str]) -> Row:
        problems: list[str] = []
        npi = required(row, "npi", problems)
        if npi:
            try:
                check_npi(npi)
            except ValueError as exc:
                problems.append(str(exc))
        name = required(row, "name", problems)
        kind = required(row, "provider_type", problems)
        if kind and kind not in provider_types:
            problems.append(f"provider_type {kind!r} is not one of {', '.join(provider_types)}")
        start = date_column(row, "enrollment_start", problems)
        end = date_column(row, "enrollment_end", problems, optional=True)
        problems += span_problems(start, end, "enrollment")
        if problems:
            raise RowError("; ".join(problems))
        assert start is not None
        return Row(npi, name, kind, start, end)

    result = read_roster(source, COLUMNS, parse)
    grouped, problems = group_rows(result.rows, "name or provider type")
    problems += result.problems
    if problems:
        return {}, sorted(problems, key=lambda p: p.line)
    counts = {"added": 0, "updated": 0, "unchanged": 0}
    stored_rows = prefetch(session, Provider.npi, list(grouped))
    for npi, (row, spans) in grouped.items():
        existing = stored_rows.get(npi)
        if existing is None:
            existing = Provider(npi=npi)
            session.add(existing)
            counts["added"] += 1
        else:
            current = sorted_spans((s.start_date, s.end_date) for s in existing.enrollment)
            if (existing.name, existing.provider_type) == row.identity and current == spans:
                counts["unchanged"] += 1
                continue
            counts["updated"] += 1
        existing.name, existing.provider_type = row.name, row.provider_type
        existing.enrollment = [EnrollmentSpan(start_date=s, end_date=e) for s, e in spans]
    session.flush()
    return counts, []
