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
    read_roster,
    required,
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
    problems = result.problems
    grouped: dict[str, list[tuple[int, Row]]] = {}
    for line, row in result.rows:
        grouped.setdefault(row.npi, []).append((line, row))
    for npi, rows in grouped.items():
        first = rows[0][1]
        for line, row in rows[1:]:
            if (row.name, row.provider_type) != (first.name, first.provider_type):
                problems.append(
                    RosterProblem(line, f"NPI {npi}: name or type differs from line {rows[0][0]}")
                )
    if problems:
        return {}, sorted(problems, key=lambda p: p.line)
    counts = {"added": 0, "updated": 0, "unchanged": 0}
    for npi, rows in grouped.items():
        first = rows[0][1]
        spans = sorted({(r.start, r.end) for _, r in rows}, key=lambda s: (s[0], s[1] or date.max))
        existing = session.get(Provider, npi)
        if existing is None:
            existing = Provider(npi=npi)
            session.add(existing)
            counts["added"] += 1
        else:
            current = sorted(
                [(s.start_date, s.end_date) for s in existing.enrollment],
                key=lambda s: (s[0], s[1] or date.max),
            )
            if (existing.name, existing.provider_type) == (first.name, first.provider_type) and (
                current == spans
            ):
                counts["unchanged"] += 1
                continue
            counts["updated"] += 1
        existing.name = first.name
        existing.provider_type = first.provider_type
        existing.enrollment = [EnrollmentSpan(start_date=s, end_date=e) for s, e in spans]
    session.flush()
    return counts, []
