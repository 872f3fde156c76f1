"""Read a roster CSV: every bad row reported with its line number, or every row parsed."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import InstrumentedAttribute, Session

from precert.common.fields import parse_iso_date

R = TypeVar("R")
Span = tuple[date, date | None]


class RosterRow(Protocol):
    """A parsed row: whose span it is, what must agree across that key's rows, the span."""

    @property
    def key(self) -> str: ...
    @property
    def identity(self) -> tuple[object, ...]: ...
    @property
    def span(self) -> Span: ...


RowT = TypeVar("RowT", bound=RosterRow)


@dataclass
class RosterProblem:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass
class RosterResult(Generic[R]):
    rows: list[tuple[int, R]] = field(default_factory=list)
    problems: list[RosterProblem] = field(default_factory=list)


class RowError(ValueError):
    """A row's problems, joined."""


def read_roster(
    source: Path | str, columns: tuple[str, ...], parse_row: Callable[[dict[str, str]], R]
) -> RosterResult[R]:
    """Parse every row of a CSV file (or text) with `parse_row`; the header is line 1."""
    result: RosterResult[R] = RosterResult()
    try:
        text = source.read_text(encoding="utf-8-sig") if isinstance(source, Path) else source
    except (OSError, UnicodeDecodeError) as exc:
        result.problems.append(RosterProblem(0, f"cannot read the file: {exc}"))
        return result
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if header is None:
        result.problems.append(RosterProblem(1, "the file is empty; expected a header row"))
        return result
    names = [h.strip() for h in header]
    missing = [c for c in columns if c not in names]
    if missing:
        result.problems.append(
            RosterProblem(
                1, f"missing column(s) {', '.join(missing)}; expected {','.join(columns)}"
            )
        )
        return result
    for values in reader:
        line = reader.line_num
        if not any(v.strip() for v in values):
            continue
        if len(values) != len(names):
            result.problems.append(
                RosterProblem(line, f"has {len(values)} fields; the header has {len(names)}")
            )
            continue
        if any("\x00" in v for v in values):
            result.problems.append(RosterProblem(line, "contains a NUL character"))
            continue
        row = {n: v.strip() for n, v in zip(names, values, strict=True)}
        try:
            result.rows.append((line, parse_row(row)))
        except RowError as exc:
            result.problems.append(RosterProblem(line, str(exc)))
    if not result.rows and not result.problems:
        result.problems.append(RosterProblem(2, "the file has a header but no rows"))
    return result


def required(row: dict[str, str], column: str, problems: list[str]) -> str:
    value = row.get(column, "")
    if not value:
        problems.append(f"{column} is required")
    return value


def date_column(
    row: dict[str, str], column: str, problems: list[str], *, optional: bool = False
) -> date | None:
    value = row.get(column, "")
    if not value:
        if not optional:
            problems.append(f"{column} is required")
        return None
    try:
        return parse_iso_date(value)
    except ValueError as exc:
        problems.append(f"{column} {exc}")
        return None


def span_problems(start: date | None, end: date | None, what: str) -> list[str]:
    if start and end and end < start:
        return [f"{what}_end {end} is before {what}_start {start}"]
    return []


def group_rows(
    rows: list[tuple[int, RowT]], what: str
) -> tuple[dict[str, tuple[RowT, list[Span]]], list[RosterProblem]]:
    """Group rows by key; every row of a key must agree on its identity (name, birth date...)."""
    grouped: dict[str, tuple[int, RowT, set[Span]]] = {}
    problems = []
    for line, row in rows:
        if row.key not in grouped:
            grouped[row.key] = (line, row, {row.span})
            continue
        first_line, first, spans = grouped[row.key]
        if row.identity != first.identity:
            problems.append(
                RosterProblem(line, f"{row.key}: {what} differs from line {first_line}")
            )
        spans.add(row.span)
    return {k: (row, sorted_spans(spans)) for k, (_, row, spans) in grouped.items()}, problems


def sorted_spans(spans: Iterable[Span]) -> list[Span]:
    return sorted(set(spans), key=lambda s: (s[0], s[1] or date.max))


def prefetch(
    session: Session, column: InstrumentedAttribute[str], keys: list[str], *, chunk: int = 500
) -> dict[str, Any]:
    """Return the stored rows whose `column` is one of `keys`, by key, a chunk per query."""
    model = column.class_
    found: dict[str, Any] = {}
    for index in range(0, len(keys), chunk):
        for row in session.scalars(select(model).where(column.in_(keys[index : index + chunk]))):
            found[getattr(row, column.key)] = row
    return found
