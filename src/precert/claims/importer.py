"""`precert claims import`: a batch of claim lines from CSV or X12 837P, all of it or none of it.

The file is streamed, so memory stays flat in its size:
1. every row is checked (fields, known participants), the corrections (voids and replacements)
   are noted, and each chunk of checked rows is written to disk sorted by participant;
2. the corrections whose original line is not on record must find it earlier in the file (a
   second read, only when there are such corrections);
3. if no row had a problem, the sorted runs are merged into chunks of whole participants (or
   kept in file order when a correction or a repeated line links two participants), each
   decided and recorded in one transaction (`batch.Recorder`; on PostgreSQL stored on a thread
   while the next is decided, `pipeline`, and by two processes for a large file, `workers`),
   and the outcomes are merged back into file order in the result file.
A file with bad rows records nothing and lists every bad row with its line number. A run that
stops part-way can be run again: recorded lines keep their first answer and use no more units.

On SQLite a plain CSV file takes the columnar lane instead (`columnar`): the same passes, as
columns, with the same answers.
"""

from __future__ import annotations

import csv
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from precert.claims import batch, columnar, pipeline, repository, spool
from precert.claims import workers as workers_mod
from precert.claims.lines import FIELDS, read_line
from precert.db import transaction
from precert.policy.loader import PolicyBook

CHUNK = 20_000
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
Rows = Iterator[tuple[int, "list[Any] | Problem"]]


@dataclass
class Problem:
    line: int  # the CSV line, or the 837P segment number of the service line's LX
    message: str
    where: str = "line"

    def __str__(self) -> str:
        return self.message if self.line == 0 else f"{self.where} {self.line}: {self.message}"


@dataclass
class Tally:
    """What the decided lines came to; `collect` also writes each chunk's results, sorted."""

    lines: int = 0
    outcomes: dict[str, int] = field(
        default_factory=lambda: {"covered": 0, "reduced": 0, "not_covered": 0}
    )
    units_billed: int = 0
    units_covered: int = 0

    def collect(
        self,
        decided: Iterator[pipeline.Decided],
        results: spool.Runs,
        done: Callable[[int], None] | None = None,
    ) -> None:
        outcomes = self.outcomes
        for rows, answers in decided:
            found = []
            billed = covered = 0
            for row, answer in zip(rows, answers, strict=True):
                reasons = answer.reasons
                found.append(
                    (
                        row.source_line,
                        row.claim_id,
                        row.line_number,
                        answer.outcome,
                        answer.covered_units,
                        answer.precert_id or "",
                        " ".join(r["code"] for r in reasons) if reasons else "",
                        " | ".join(r["message"] for r in reasons) if reasons else "",
                    )
                )
                outcomes[answer.outcome] += 1
                billed += row.units
                covered += answer.covered_units
            found.sort()
            results.add(found)
            self.units_billed += billed
            self.units_covered += covered
            self.lines += len(rows)
            if done is not None:
                done(self.lines)

    def add(self, other: Tally) -> None:
        self.lines += other.lines
        self.units_billed += other.units_billed
        self.units_covered += other.units_covered
        for outcome, n in other.outcomes.items():
            self.outcomes[outcome] += n


@dataclass
class Summary(Tally):
    seconds: float = 0.0
    problems: list[Problem] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.lines / self.seconds if self.seconds else 0.0


def is_x12(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(3) == b"ISA"


def rows_of(path: Path) -> Rows:
    """Yield (line number, values in `FIELDS` order) from a CSV file (header on line 1) or
    an 837P file; a row of the wrong width yields a `Problem` instead of values."""
    if is_x12(path):
        from precert.claims.x12 import read_837p

        for number, raw in read_837p(path):
            yield number, batch.values_of(raw)
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
        where = [header.index(name) if name in header else None for name in FIELDS]
        usual = where == list(range(len(FIELDS)))  # the documented order: no reordering
        for values in reader:
            if len(values) != width:
                if any(values):
                    problem = f"has {len(values)} fields; the header has {width}"
                    yield reader.line_num, Problem(reader.line_num, problem)
                continue
            if usual:  # columns after the documented ones are not ours: ignored
                yield reader.line_num, values[: len(FIELDS)]
            else:
                yield reader.line_num, [("" if i is None else values[i]) for i in where]


def _chunks(rows: Rows, size: int) -> Iterator[list[tuple[int, Any]]]:
    while chunk := list(islice(rows, size)):
        yield chunk


def check_file(
    path: Path,
    sessions: sessionmaker[Session],
    *,
    chunk: int = CHUNK,
    runs: list[spool.Runs] | None = None,
) -> tuple[list[Problem], int, bool]:
    """Return every problem of the file (passes 1 and 2), its number of lines, and whether two
    participants are linked: a line corrected, or sent again, under another participant's ID.

    With `runs`, each chunk's checked rows are written there while the file is clean, sorted
    by participant and split by participant ID (one run in each of `runs` per chunk).
    """
    keys = spool.Runs()  # (claim_id, line_number, participant) of every line, sorted by key
    try:
        problems, count, crossed = _check(path, sessions, chunk, runs, keys)
        return problems, count, crossed or (not problems and _repeated_across(keys))
    finally:
        keys.close()


def _repeated_across(keys: spool.Runs) -> bool:
    """Whether a (claim_id, line_number) comes twice under different participants."""
    before: tuple[Any, ...] = ()
    for key in keys.merged():
        if key[:2] == before[:2] and key[2] != before[2]:
            return True
        before = key
    return False


def _check(
    path: Path,
    sessions: sessionmaker[Session],
    chunk: int,
    runs: list[spool.Runs] | None,
    keys: spool.Runs,
) -> tuple[list[Problem], int, bool]:
    problems: list[Problem] = []
    count = 0
    # original line -> (first row naming it, the participants of the rows naming it)
    corrections: dict[tuple[str, int], tuple[int, set[str]]] = {}
    reader = batch.Reader()
    known: set[str] = set()
    try:
        for rows in _chunks(rows_of(path), chunk):
            count += len(rows)
            checked: list[batch.Row] = []
            for number, values in rows:
                if isinstance(values, Problem):
                    problems.append(values)
                    continue
                row = reader.row(number, values)
                if row is None:  # the reader names the problems (or reads a rarer form)
                    line, found = read_line(dict(zip(FIELDS, values, strict=True)))
                    problems += [Problem(number, f"{p.field}: {p.message}") for p in found]
                    if line is None:
                        continue
                    row = batch.row_of(number, line)
                checked.append(row)
            ids = {row.participant_id for row in checked} - known
            if ids:
                with transaction(sessions, write=False) as session:
                    found_ids = repository.known_participants(session, ids)
                if len(known) > 2_000_000:
                    known.clear()
                known |= found_ids
            for row in checked:
                if row.participant_id not in known:
                    unknown = f"no MO HealthNet participant has ID {row.participant_id}"
                    problems.append(Problem(row.source_line, f"participant_id: {unknown}"))
                if row.original_claim_id is not None:
                    key = (row.original_claim_id, row.line_number)
                    corrections.setdefault(key, (row.source_line, set()))[1].add(row.participant_id)
            if runs is not None and not problems:
                _add_split(runs, checked)
                keys.add(sorted((r.claim_id, r.line_number, r.participant_id) for r in checked))
    except (ValueError, OSError, UnicodeDecodeError, csv.Error) as exc:
        return [*problems, Problem(0, f"cannot read the file: {exc}")], count, True
    missing, crossed = _originals(path, sessions, corrections)
    problems += missing
    if is_x12(path):
        for problem in problems:
            problem.where = "segment"
    return sorted(problems, key=lambda p: p.line), count, crossed


def _originals(
    path: Path,
    sessions: sessionmaker[Session],
    corrections: dict[tuple[str, int], tuple[int, set[str]]],
) -> tuple[list[Problem], bool]:
    """Name corrections whose original line is neither on record nor earlier in the file, and
    say whether any correction names another participant's line."""
    if not corrections:
        return [], False
    with transaction(sessions, write=False) as session:
        on_record = repository.recorded_keys(session, {claim for claim, _ in corrections})
    crossed = False
    waiting: dict[tuple[str, int], tuple[int, set[str]]] = {}
    for key, (row, participants) in corrections.items():
        if key in on_record:
            crossed = crossed or participants != {on_record[key]}
        else:
            waiting[key] = (row, participants)
    if waiting:
        for number, values in rows_of(path):
            if isinstance(values, Problem):
                continue
            key = (str(values[0]).strip(), _int(values[1]))
            found = waiting.get(key)
            if found is not None and number < found[0]:
                crossed = crossed or found[1] != {str(values[4]).strip()}
                del waiting[key]
    missing = [
        Problem(row, f"original_claim_id: claim {claim} line {line} is not on record")
        for (claim, line), (row, _) in waiting.items()
    ]
    return missing, crossed


def _int(value: Any) -> int:
    try:
        return int(str(value).strip())
    except ValueError:
        return -1


def _add_split(parts: list[spool.Runs], rows: list[batch.Row]) -> None:
    """Write `rows` sorted, one run in each part, split by participant ID (8 digits)."""
    if len(parts) == 1:
        parts[0].add([tuple(row) for row in sorted(rows)])
        return
    split: list[list[tuple[Any, ...]]] = [[] for _ in parts]
    for row in sorted(rows):
        split[int(row.participant_id) % len(parts)].append(tuple(row))
    for part, items in zip(parts, split, strict=True):
        part.add(items)


def import_file(
    path: Path,
    out: Path,
    sessions: sessionmaker[Session],
    policies: PolicyBook,
    *,
    chunk: int | None = None,
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Summary:
    """Check the whole file; if it is clean, decide and record it chunk by chunk.

    On PostgreSQL, `workers` processes (by default 2 for a file of 50,000 lines or more) decide
    the participants split by ID. `progress(done, total)` is called as chunks are done.
    """
    started = time.perf_counter()
    postgres = _dialect(sessions) == "postgresql"
    if not postgres and not is_x12(path):
        summary = Summary()
        if columnar.import_plain(
            path, out, sessions, policies, chunk=chunk, tally=summary, progress=progress
        ):
            _checkpoint(sessions)
            summary.seconds = time.perf_counter() - started
            return summary
    chunk = chunk or CHUNK
    count = workers or (2 if postgres and _size(path) >= 50_000 * 60 else 1)
    count = count if postgres else 1  # SQLite has one writer at a time
    parts = [spool.Runs() for _ in range(count)]
    results: list[spool.Runs] = []
    try:
        problems, total, crossed = check_file(path, sessions, chunk=chunk, runs=parts)
        summary = Summary(problems=problems)
        if not problems:
            if crossed:  # one process, in file order
                results.append(spool.Runs())
                recorder = batch.Recorder(policies)
                decided = pipeline.one_by_one(sessions, recorder, _by_file_order(parts))
                summary.collect(decided, results[0], _reporter(progress, total))
            elif count > 1:
                results += workers_mod.decide(
                    _url(sessions), policies, parts, chunk, summary, _reporter(progress, total)
                )
            else:
                results.append(spool.Runs())
                recorder = batch.Recorder(policies)
                flow = pipeline.overlapped if postgres else pipeline.one_by_one
                decided = flow(sessions, recorder, pipeline.whole_participants(parts[0], chunk))
                summary.collect(decided, results[0], _reporter(progress, total))
            _write_csv(out, results)
            if not postgres:
                _checkpoint(sessions)
    finally:
        for runs in (*parts, *results):
            runs.close()
    summary.seconds = time.perf_counter() - started
    return summary


def _checkpoint(sessions: sessionmaker[Session]) -> None:
    """Write SQLite's WAL back once, at the end (the import lets it grow: see
    `repository.tune_for_batches`)."""
    bind = sessions.kw.get("bind")
    if bind is not None:
        with bind.connect() as conn:
            raw = conn.connection.driver_connection
            assert raw is not None
            raw.execute("PRAGMA wal_checkpoint(PASSIVE)")


def _size(path: Path) -> int:
    return path.stat().st_size


def _reporter(
    progress: Callable[[int, int], None] | None, total: int
) -> Callable[[int], None] | None:
    if progress is None:
        return None
    return lambda done: progress(done, total)


def _by_file_order(parts: list[spool.Runs]) -> Iterator[list[batch.Row]]:
    """The chunks as the file has them (when a correction links two participants)."""
    new, row = tuple.__new__, batch.Row
    for runs in zip(*(part.each_run() for part in parts), strict=True):
        items = [item for run in runs for item in run]
        yield sorted((new(row, item) for item in items), key=lambda line: line.source_line)


def _dialect(sessions: sessionmaker[Session]) -> str:
    bind = sessions.kw.get("bind")
    return str(bind.dialect.name) if bind is not None else ""


def _url(sessions: sessionmaker[Session]) -> str:
    return str(sessions.kw["bind"].url.render_as_string(hide_password=False))


def _write_csv(out: Path, results: list[spool.Runs]) -> None:
    """The result file: every chunk's results, merged back into file order."""
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(RESULT_COLUMNS)
        writer.writerows(spool.merged(results))
