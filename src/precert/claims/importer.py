"""`precert claims import`: a batch of claim lines from CSV or X12 837P, all of it or none of it.

The file is read three times, streamed, so memory stays flat in its size:
1. every row is checked (fields, known participants) and the corrections (voids and
   replacements) are noted;
2. the corrections whose original line is not on record must find it earlier in the file;
3. if no row had a problem, lines are decided and recorded in chunks, one transaction each,
   and one outcome per line is written to the result file.
A file with bad rows records nothing and lists every bad row with its line number. A run that
stops part-way can be run again: recorded lines keep their first answer and use no more units.
"""

from __future__ import annotations

import csv
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from precert.claims import engine, repository
from precert.claims.lines import FIELDS, read_line
from precert.db import transaction
from precert.policy.loader import PolicyBook
from precert.rules.claims import ClaimLine, Frequency

CHUNK = 5000
RESULT_COLUMNS = (
    "source_line",
    "claim_id",
    "line_number",
    "outcome",
    "covered_units",
    "precert_id",
    "reason_codes",
    "reasons",
)
Rows = Iterator[tuple[int, dict[str, Any]]]


@dataclass
class Problem:
    line: int  # the CSV line, or the 837P segment number of the service line's LX
    message: str
    where: str = "line"

    def __str__(self) -> str:
        return self.message if self.line == 0 else f"{self.where} {self.line}: {self.message}"


@dataclass
class Summary:
    lines: int = 0
    outcomes: dict[str, int] = field(
        default_factory=lambda: {"covered": 0, "reduced": 0, "not_covered": 0}
    )
    units_billed: int = 0
    units_covered: int = 0
    seconds: float = 0.0
    problems: list[Problem] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.lines / self.seconds if self.seconds else 0.0


def is_x12(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(3) == b"ISA"


def rows_of(path: Path) -> Rows:
    """Yield (line number, raw row) from a CSV file (header on line 1) or an 837P file."""
    if is_x12(path):
        from precert.claims.x12 import read_837p

        yield from read_837p(path)
        return
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        header = [h.strip() for h in next(reader, [])]
        optional = ("frequency", "original_claim_id")
        missing = [c for c in FIELDS if c not in header and c not in optional]
        if missing:
            raise ValueError(
                f"line 1: missing column(s) {', '.join(missing)}; expected {','.join(FIELDS)}"
            )
        width = len(header)
        for values in reader:
            if not any(values):
                continue
            if len(values) != width:
                problem = f"has {len(values)} fields; the header has {width}"
                yield reader.line_num, {"_width": problem}
                continue
            yield reader.line_num, dict(zip(header, values, strict=True))


def _chunks(rows: Rows, size: int) -> Iterator[list[tuple[int, dict[str, Any]]]]:
    while chunk := list(islice(rows, size)):
        yield chunk


def check_file(
    path: Path, sessions: sessionmaker[Session], *, chunk: int = CHUNK
) -> tuple[list[Problem], int]:
    """Return every problem of the file (passes 1 and 2) and its number of lines."""
    problems: list[Problem] = []
    count = 0
    corrections: dict[tuple[str, int], int] = {}  # original line -> first row naming it
    try:
        for rows in _chunks(rows_of(path), chunk):
            count += len(rows)
            parsed: list[tuple[int, ClaimLine]] = []
            for number, raw in rows:
                if "_width" in raw:
                    problems.append(Problem(number, raw["_width"]))
                    continue
                line, found = read_line(raw)
                problems += [Problem(number, f"{p.field}: {p.message}") for p in found]
                if line is not None:
                    parsed.append((number, line))
            with transaction(sessions, write=False) as session:
                ids = {line.participant_id for _, line in parsed}
                known = repository.known_participants(session, ids)
            for number, line in parsed:
                if line.participant_id not in known:
                    unknown = f"no MO HealthNet participant has ID {line.participant_id}"
                    problems.append(Problem(number, f"participant_id: {unknown}"))
                if line.frequency is not Frequency.ORIGINAL and line.original_key:
                    corrections.setdefault(line.original_key, number)
    except (ValueError, OSError, UnicodeDecodeError, csv.Error) as exc:
        return [*problems, Problem(0, f"cannot read the file: {exc}")], count
    problems += _missing_originals(path, sessions, corrections)
    if is_x12(path):
        for problem in problems:
            problem.where = "segment"
    return sorted(problems, key=lambda p: p.line), count


def _missing_originals(
    path: Path, sessions: sessionmaker[Session], corrections: dict[tuple[str, int], int]
) -> list[Problem]:
    """Name corrections whose original line is neither on record nor earlier in the file."""
    if not corrections:
        return []
    with transaction(sessions, write=False) as session:
        on_record = repository.lines_of_claims(session, {claim for claim, _ in corrections})
    waiting = {key: row for key, row in corrections.items() if key not in on_record}
    if waiting:
        for number, raw in rows_of(path):
            key = (str(raw.get("claim_id", "")).strip(), _int(raw.get("line_number")))
            if key in waiting and number < waiting[key]:
                del waiting[key]
    return [
        Problem(row, f"original_claim_id: claim {claim} line {line} is not on record")
        for (claim, line), row in waiting.items()
    ]


def _int(value: Any) -> int:
    try:
        return int(str(value).strip())
    except ValueError:
        return -1


def _record(
    sessions: sessionmaker[Session], lines: list[ClaimLine], policies: PolicyBook
) -> list[dict[str, Any]]:
    with transaction(sessions) as session:
        return engine.decide_chunk(
            session, lines, policies=policies, now=datetime.now(UTC), record=True
        )


def import_file(
    path: Path,
    out: Path,
    sessions: sessionmaker[Session],
    policies: PolicyBook,
    *,
    chunk: int = CHUNK,
    progress: Callable[[int, int], None] | None = None,
) -> Summary:
    """Check the whole file; if it is clean, decide and record it chunk by chunk.

    `progress(done, total)` is called after each chunk.
    """
    started = time.perf_counter()
    problems, total = check_file(path, sessions, chunk=chunk)
    summary = Summary(problems=problems)
    if summary.problems:
        summary.seconds = time.perf_counter() - started
        return summary
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(RESULT_COLUMNS)
        for rows in _chunks(rows_of(path), chunk):
            lines = []
            for _, raw in rows:
                line, _problems = read_line(raw)
                assert line is not None  # checked in pass 1
                lines.append(line)
            try:
                answers = _record(sessions, lines, policies)
            except IntegrityError:  # a line of this chunk was recorded meanwhile: its answer
                answers = _record(sessions, lines, policies)
            for (number, _), line, answer in zip(rows, lines, answers, strict=True):
                reasons = answer["reasons"]
                writer.writerow(
                    (
                        number,
                        answer["claim_id"],
                        answer["line_number"],
                        answer["outcome"],
                        answer["covered_units"],
                        answer["precert_id"] or "",
                        " ".join(r["code"] for r in reasons),
                        " | ".join(r["message"] for r in reasons),
                    )
                )
                summary.outcomes[answer["outcome"]] += 1
                summary.units_billed += line.units
                summary.units_covered += answer["covered_units"]
            summary.lines += len(lines)
            if progress is not None:
                progress(summary.lines, total)
    summary.seconds = time.perf_counter() - started
    return summary
