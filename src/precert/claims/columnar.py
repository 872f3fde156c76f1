"""The SQLite lane of `precert claims import`: a plain CSV file decided as columns (polars).

SQLite has one writer, so a batch there is as fast as one process makes it, and Python's cost
per line is what counts. This lane reads, checks and decides a chunk of lines as columns, and
leaves Python only the values that repeat (codes, dates, diagnosis lists: each checked once,
by the reader's own checks) and the lines whose answer depends on more than one counter.

Deciding as columns is exact when a participant's lines draw on one chain of units: every line
that uses units uses those of one pre-certification in one benefit year, and no line has two
pre-certifications to choose from. The units covered up to a line are then
`min(units billed up to it, units left)` (the cap of the smaller counter), and every other line
is decided by its gates alone. Everything else goes to `batch.Recorder`, which gives the API's
answer: participants with a correction, a retry, a repeated line or a link to another
participant, and those with several pre-certifications or benefit years in play.

The lane takes only what it reads the same way as `csv`: no quotes, no blank lines, every row
as wide as the header, and every value accepted by the reader as it is (high-cardinality IDs
without surrounding spaces). Any other file, and any file with a problem (which it reports in
full), goes the general way: `import_plain` returns False before it records anything.
"""

from __future__ import annotations

import csv
import gc
import json
import os
import string
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from precert.claims import batch, repository
from precert.claims.lines import CLAIM_ID, FIELDS, MAX_UNITS
from precert.db import transaction
from precert.policy.loader import PolicyBook
from precert.rules.claims import Outcome
from precert.rules.ledger import COVERING
from precert.rules.reasons import Reason

CHUNK = 250_000
_SLICE = 25_000  # lines per insert statement
BLOCK = 16 << 20  # bytes read at a time (about 250,000 lines)

_CLAIM = f"^{CLAIM_ID.pattern}$"
_PARTICIPANT = "^[0-9]{8}$"


# Reading: the file's layout, and its rows as columns of checked values.


class Layout:
    """Where each of `FIELDS` is in a plain file's rows, and how wide the rows are."""

    def __init__(self, path: Path) -> None:
        self.path = path
        with path.open(newline="", encoding="utf-8-sig") as handle:
            header = [h.strip() for h in next(csv.reader(handle), [])]
        self.width = len(header)
        self.where = [header.index(name) if name in header else None for name in FIELDS]
        self.header_bytes = 0

    def is_plain(self) -> bool:
        """Whether the header is plain and names every column, and lines follow it (`blocks`
        checks the lines as it reads them)."""
        needed = [i for name, i in zip(FIELDS, self.where, strict=True) if name not in _OPTIONAL]
        if None in needed or self.width == 0:
            return False
        with self.path.open("rb") as handle:
            first = handle.readline()
            self.header_bytes = len(first)
            if not handle.read(1):
                return False  # no lines: the general path says so
        return _plain(first.rstrip(b"\r\n") + b"\n")

    def estimated_lines(self) -> int:
        """The file's lines, estimated from the first megabyte."""
        with self.path.open("rb") as handle:
            handle.seek(self.header_bytes)
            sample = handle.read(1 << 20)
        lines = sample.count(b"\n") or 1
        return int(self.path.stat().st_size / max(len(sample) / lines, 1))

    def blocks(self) -> Iterator[tuple[int, pl.DataFrame]]:
        """Yield (file line of the first row, the rows' raw values by `FIELDS` name)."""
        names = [f"c{i}" for i in range(self.width)]
        line = 2
        with self.path.open("rb") as handle:
            handle.seek(self.header_bytes)
            rest = b""
            while True:
                data = handle.read(BLOCK)
                chunk = rest + data
                if not data:
                    rest = b""
                elif b"\n" in chunk:
                    cut = chunk.rindex(b"\n") + 1
                    chunk, rest = chunk[:cut], chunk[cut:]
                else:
                    rest, chunk = chunk, b""
                if chunk:
                    raw = _read(chunk, names) if _plain(chunk) else None
                    commas = chunk.count(b",")
                    if raw is None or commas != (self.width - 1) * raw.height:
                        raise NotPlain
                    yield (
                        line,
                        raw.select(
                            pl.col(f"c{i}").alias(name) if i is not None else pl.lit("").alias(name)
                            for name, i in zip(FIELDS, self.where, strict=True)
                        ),
                    )
                    line += raw.height
                if not data:
                    return


def _plain(lines: bytes) -> bool:
    """Whether whole lines (each ending in a newline) read alike by `csv` and by a split on
    commas: no quotes, no blank lines, no lone carriage returns, no NULs."""
    return not (
        b'"' in lines
        or b"\x00" in lines
        or lines.startswith((b"\n", b"\r\n"))
        or b"\n\n" in lines
        or b"\n\r\n" in lines
        or lines.count(b"\r") != lines.count(b"\r\n")
    )


class NotPlain(Exception):
    """The file is not one this lane reads like `csv` does."""


_OPTIONAL = ("frequency", "original_claim_id")


def _read(chunk: bytes, names: list[str]) -> pl.DataFrame | None:
    try:
        return pl.read_csv(
            chunk,
            has_header=False,
            new_columns=names,
            infer_schema=False,
            quote_char=None,
            empty_string_is_null=False,
            truncate_ragged_lines=False,
            raise_if_empty=False,
        )
    except (pl.exceptions.PolarsError, UnicodeDecodeError):
        return None


class Values:
    """The reader's checks, made once per distinct value and mapped over whole columns."""

    def __init__(self, policies: PolicyBook) -> None:
        self.reader = batch.Reader()
        self.days = batch.Days(policies)
        self.seen: dict[str, dict[str, Any]] = {}
        self.checks: dict[str, Callable[[str], Any]] = {
            "line_number": lambda v: batch.whole(v, 999_999),
            "units": lambda v: batch.whole(v, MAX_UNITS),
            "frequency": batch.frequency_of,
            "billing_npi": lambda v: self.reader.code("npi", v),
            "rendering_npi": lambda v: self.reader.code("npi", v),
            "procedure_code": lambda v: self.reader.code("cpt", v),
            "date_of_service": lambda v: self.reader.code("date", v),
            "diagnosis_codes": self.reader.diagnosis_list,
        }

    def _mapped(self, name: str, column: pl.Series) -> pl.Series:
        seen = self.seen.setdefault(name, {})
        if len(seen) > 200_000:
            seen.clear()
        check = self.checks[name]
        distinct = column.unique().to_list()
        for value in distinct:
            if value not in seen:
                seen[value] = check(value)
        found = [seen[value] for value in distinct]
        kind = pl.Int64 if name in ("line_number", "units") else pl.String
        return column.replace_strict(distinct, found, default=None, return_dtype=kind)

    def checked(self, first_line: int, raw: pl.DataFrame) -> pl.DataFrame | None:
        """Return the rows as checked values (`batch.Row` fields), or None when any row is
        one the lane leaves to the general path (a problem, or a rarer form)."""
        frame = raw.with_columns(
            self._mapped(name, raw[name]).alias(name) for name in self.checks
        ).with_columns(
            pl.int_range(first_line, first_line + raw.height, dtype=pl.Int64).alias("source_line")
        )
        original = pl.col("frequency") == "original"
        fine = frame.select(
            pl.all_horizontal(
                *(pl.col(name).is_not_null() for name in self.checks),
                pl.col("claim_id").str.contains(_CLAIM),
                pl.col("participant_id").str.contains(_PARTICIPANT),
                pl.when(original)
                .then(pl.col("original_claim_id") == "")
                .otherwise(
                    pl.col("original_claim_id").str.contains(_CLAIM)
                    & (pl.col("original_claim_id") != pl.col("claim_id"))
                ),
            )
            .fill_null(False)
            .all()
        ).item()
        if not fine:
            return None
        return frame.with_columns(
            pl.when(original)
            .then(None)
            .otherwise(pl.col("original_claim_id"))
            .alias("original_claim_id")
        ).select(batch.Row._fields)


# Pass 1: every row checked, every participant known, every correction's original found; the
# checked rows spilled to disk split into buckets of participants.


class Spill:
    """Temporary Arrow files: checked rows by bucket of participants, keys by bucket of claims,
    and results by range of file lines."""

    def __init__(self, folder: Path, buckets: int) -> None:
        self.folder = folder
        self.buckets = buckets
        self.bounds: list[int] = []
        self.blocks = 0
        self.files: dict[tuple[str, int], list[tuple[int, Path]]] = {}

    def add(self, kind: str, frame: pl.DataFrame, by: pl.Expr, block: int = 0) -> None:
        """Append `frame`'s rows (of the file's `block`) to the files of `kind`, split by the
        bucket number `by`."""
        parts = frame.with_columns(by.alias("_bucket")).partition_by(
            "_bucket", as_dict=True, include_key=False
        )
        for (bucket, *_), part in parts.items():
            found = self.files.setdefault((kind, int(bucket)), [])
            path = self.folder / f"{kind}-{bucket}-{len(found)}.arrow"
            part.write_ipc(path)
            found.append((block, path))

    def each(self, kind: str, bucket: int) -> Iterator[pl.DataFrame]:
        """The rows of a bucket, a file (a block of the file) at a time."""
        for _, path in self.files[(kind, bucket)]:
            yield pl.read_ipc(path)

    def read(self, kind: str, bucket: int) -> pl.DataFrame:
        """The rows of a bucket, in the order they were added."""
        return pl.concat([pl.read_ipc(path) for _, path in self.files[(kind, bucket)]])

    def read_block(self, kind: str, block: int) -> pl.DataFrame | None:
        """The rows of one block of the file, from every bucket (not in file order)."""
        paths = [
            path
            for (k, _), found in self.files.items()
            if k == kind
            for b, path in found
            if b == block
        ]
        return pl.concat([pl.read_ipc(path) for path in paths]) if paths else None

    def numbers(self, kind: str) -> list[int]:
        return sorted(bucket for k, bucket in self.files if k == kind)


def _participant_bucket(bounds: list[int]) -> pl.Expr:
    """A participant's bucket: a range of IDs (`bounds` are the first ID of each but the first),
    so that a bucket's lines go into one part of the index of claim lines by participant."""
    if not bounds:
        return pl.lit(0, pl.Int64)
    ids = pl.col("participant_id").cast(pl.Int64)
    return pl.lit(pl.Series(bounds, dtype=pl.Int64)).search_sorted(ids, side="right")


def _bounds(frame: pl.DataFrame, buckets: int) -> list[int]:
    """Ranges of participant IDs holding about as many lines each, as the first block has
    them (later blocks may fill the ranges unevenly: a bucket is read a block at a time)."""
    ids = frame["participant_id"].cast(pl.Int64)
    found = {ids.quantile(n / buckets, "lower") for n in range(1, buckets)}
    return sorted(int(bound) for bound in found if bound is not None)


def _claim_bucket(buckets: int) -> pl.Expr:
    return (pl.col("claim_id").hash(seed=2026) % buckets).cast(pl.Int64)


def check(
    layout: Layout, sessions: sessionmaker[Session], values: Values, spill: Spill
) -> tuple[bool, int, bool, bool]:
    """Return whether the whole file is clean for this lane, its number of lines, whether two
    participants are linked (a line corrected, or sent again, under another's ID), and whether
    a line comes twice. Each line notes whether it is on record already (`on_record`)."""
    from precert.claims.importer import _originals  # the general path's own check

    known: set[str] = set()
    corrections: dict[tuple[str, int], tuple[int, set[str]]] = {}
    count = 0
    for block, (first, raw) in enumerate(layout.blocks()):
        frame = values.checked(first, raw)
        if frame is None:
            return False, count, False, False
        count += frame.height
        ids = set(frame["participant_id"].unique().to_list()) - known
        if ids:
            with transaction(sessions, write=False) as session:
                found = repository.known_participants(session, ids)
            if found != ids:
                return False, count, False, False
            if len(known) > 2_000_000:
                known.clear()
            known |= found
        frame = frame.with_columns(_on_record(sessions, frame).alias("on_record"))
        fixes = frame.filter(pl.col("original_claim_id").is_not_null()).select(
            "original_claim_id", "line_number", "source_line", "participant_id"
        )
        for original, line, source_line, participant in fixes.iter_rows():
            corrections.setdefault((original, line), (source_line, set()))[1].add(participant)
        if block == 0:
            spill.bounds = _bounds(frame, spill.buckets)
        spill.add("rows", frame, _participant_bucket(spill.bounds), block)
        spill.blocks = block + 1
        keys = frame.select("claim_id", "line_number", "participant_id")
        spill.add("keys", keys, _claim_bucket(spill.buckets))
    missing, crossed = _originals(layout.path, sessions, corrections)
    across, twice = _repeated(spill)
    return not missing, count, crossed or across, twice


def _repeated(spill: Spill) -> tuple[bool, bool]:
    """Whether a (claim_id, line_number) comes twice under different participants, and whether
    one comes twice at all."""
    twice = False
    for bucket in spill.numbers("keys"):
        counted = (
            spill.read("keys", bucket)
            .group_by("claim_id", "line_number")
            .agg(pl.len().alias("lines"), pl.n_unique("participant_id").alias("participants"))
        )
        if (counted["participants"] > 1).any():
            return True, True
        twice = twice or bool((counted["lines"] > 1).any())
    return False, twice


def _keys(frame: pl.DataFrame) -> pl.Expr:
    return pl.concat_str(pl.col("claim_id"), pl.lit("|"), pl.col("line_number").cast(pl.String))


def _on_record(sessions: sessionmaker[Session], frame: pl.DataFrame) -> pl.Series:
    """Which of these lines are on record (before this import records any)."""
    ids = frame["claim_id"].unique()
    with transaction(sessions, write=False) as session:
        found = repository.recorded_between(
            session, str(ids.min()), str(ids.max()), ids.len() // 10
        )
        if found is None:  # sorted, so that the lookups walk the claims' index in order
            found = repository.recorded_lines(session, ids.sort().to_list())
    recorded = pl.DataFrame(
        found,
        schema={"claim_id": pl.String, "line_number": pl.Int64, "participant_id": pl.String},
        orient="row",
    ).select(_keys(frame).alias("key"))["key"]
    return frame.select(_keys(frame).is_in(recorded.implode())).to_series()


# Pass 2: deciding and recording a chunk.


def _message(reason: Reason, **values: pl.Expr) -> pl.Expr:
    """`Finding.of(reason, ...).message` for whole columns (values are text columns)."""
    parts: list[pl.Expr] = []
    for literal, name, _, _ in string.Formatter().parse(reason.value):
        if literal:
            parts.append(pl.lit(literal))
        if name is not None:
            parts.append(values[name])
    return pl.concat_str(parts)


def _text(expr: pl.Expr) -> pl.Expr:
    return expr.cast(pl.String)


def _json_string(expr: pl.Expr) -> pl.Expr:
    return expr.str.replace_all("\\", "\\\\", literal=True).str.replace_all(
        '"', '\\"', literal=True
    )


class Chunk:
    """One chunk's decision, in one transaction: the lines decided as columns (`prepare`, which
    only reads), and the rest by `batch.Recorder` (`record`, which writes them all)."""

    def __init__(self, lane: Lane, rows: pl.DataFrame) -> None:
        self.lane = lane
        self.rows = rows.with_row_index("i")
        self.aside: set[str] = set()
        self.decided: pl.DataFrame | None = None

    def prepare(self, session: Session, *, exact: bool) -> None:
        """Decide the lines of the participants that one chain of units covers.

        Unless `exact`, the lines on record are those pass 1 found (`on_record`): right when
        no line of the file links two participants or comes twice, and no one else records
        one of its lines meanwhile (the insert then fails, and the chunk is decided again)."""
        rows = self.rows
        aside = self._entangled(session, rows) if exact else self._flagged(rows)
        plain = rows.filter(~pl.col("participant_id").is_in(list(aside)))
        decided = self._decide_plain(session, plain) if plain.height else None
        if decided is not None:
            chained = decided.filter(pl.col("complex"))["participant_id"].unique().to_list()
            aside |= set(chained)
            decided = decided.filter(~pl.col("complex"))
        self.aside, self.decided = aside, decided

    def record(self, session: Session, now: datetime) -> pl.DataFrame:
        """Store the prepared lines, decide and store the rest; return the results
        (`importer.RESULT_COLUMNS` and units, in file order)."""
        repository.tune_for_batches(session)
        results = []
        if self.decided is not None and self.decided.height:
            self._store(session, self.decided, now)
            results.append(self.decided.select(_RESULTS))
        if self.aside:
            results.append(self._recorded_aside(session, now))
        return pl.concat(results).sort("source_line")

    def _flagged(self, rows: pl.DataFrame) -> set[str]:
        """Participants with a correction, or a line on record before the import."""
        repeated = rows.select("claim_id", "line_number").is_duplicated()
        special = rows.filter(
            pl.col("original_claim_id").is_not_null() | pl.col("on_record") | repeated
        )
        return set(special["participant_id"].unique().to_list())

    def _entangled(self, session: Session, rows: pl.DataFrame) -> set[str]:
        """Participants with a correction, a retry or a repeated line, and those they link."""
        ids = pl.concat([rows["claim_id"], rows["original_claim_id"].drop_nulls()]).unique()
        # Read by range only when the range holds few lines (a tenth of the chunk's IDs):
        # else each ID is looked up.
        low, high = str(ids.min()), str(ids.max())
        found = repository.recorded_between(session, low, high, ids.len() // 10)
        if found is None:  # sorted, so that the lookups walk the claims' index in order
            found = repository.recorded_lines(session, ids.sort().to_list())
        recorded = pl.DataFrame(
            found,
            schema={"claim_id": pl.String, "line_number": pl.Int64, "participant_id": pl.String},
            orient="row",
        ).filter(pl.col("claim_id").is_in(ids.implode()))
        keyed = rows.select("claim_id", "line_number", "participant_id", "original_claim_id")
        repeated = keyed.select("claim_id", "line_number").is_duplicated()
        special = pl.concat(
            [
                keyed.filter(pl.col("original_claim_id").is_not_null() | repeated),
                keyed.join(recorded, on=["claim_id", "line_number"], how="semi"),
            ]
        )
        if not special.height:
            return set()
        keys = pl.concat(
            [
                special.select("claim_id", "line_number"),
                special.filter(pl.col("original_claim_id").is_not_null()).select(
                    pl.col("original_claim_id").alias("claim_id"), "line_number"
                ),
            ]
        ).unique()
        linked = pl.concat(
            [
                special.select("participant_id"),
                keyed.join(keys, on=["claim_id", "line_number"]).select("participant_id"),
                recorded.join(keys, on=["claim_id", "line_number"]).select("participant_id"),
            ]
        )
        return set(linked["participant_id"].unique().to_list())

    def _recorded_aside(self, session: Session, now: datetime) -> pl.DataFrame:
        """Decide the set-aside participants' lines through `batch.Recorder`, in file order."""
        picked = self.rows.filter(pl.col("participant_id").is_in(list(self.aside)))
        lines = [batch.Row._make(r) for r in picked.select(batch.Row._fields).iter_rows()]
        answers, writes = self.lane.recorder.decide(session, lines, now)
        writes.store(session)
        return pl.DataFrame(
            [
                (
                    line.source_line,
                    line.claim_id,
                    line.line_number,
                    answer.outcome,
                    answer.covered_units,
                    answer.precert_id or "",
                    " ".join(r["code"] for r in answer.reasons),
                    " | ".join(r["message"] for r in answer.reasons),
                    line.units,
                )
                for line, answer in zip(lines, answers, strict=True)
            ],
            schema=_RESULT_SCHEMA,
            orient="row",
        )

    def _facts(
        self, session: Session, participants: list[str]
    ) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
        """The participants' approved pre-certifications, eligibility and ledger rows."""
        held = pl.DataFrame(
            repository.held_rows(session, participants),
            schema={
                "precert_id": pl.String,
                "participant_id": pl.String,
                "held_therapy": pl.String,
                "provider_npi": pl.String,
                "codes": pl.String,
                "start": pl.String,
                "end": pl.String,
                "approved": pl.Int64,
                "used": pl.Int64,
            },
            orient="row",
        )
        spans = pl.DataFrame(
            repository.eligibility_rows(session, participants),
            schema={"participant_id": pl.String, "from": pl.String, "to": pl.String},
            orient="row",
        )
        ledgers = pl.DataFrame(
            repository.ledger_rows(session, participants),
            schema={"participant_id": pl.String, "year_key": pl.String, "year_used": pl.Int64},
            orient="row",
        )
        return held, spans, ledgers

    def _decide_plain(self, session: Session, rows: pl.DataFrame) -> pl.DataFrame:
        lane = self.lane
        participants = rows["participant_id"].unique().to_list()
        held, spans, ledgers = self._facts(session, participants)
        lines = (
            rows.join(lane.day_facts(rows), on="date_of_service", how="left")
            .join(lane.code_facts(rows), on=["date_of_service", "procedure_code"], how="left")
            .join(lane.diagnosis_facts(rows), on=["date_of_service", "diagnosis_codes"], how="left")
        )
        on = pl.col("date_of_service")
        eligible = (
            lines.select("i", "participant_id", "date_of_service")
            .join(spans, on="participant_id")
            .filter((pl.col("from") <= on) & (pl.col("to").is_null() | (on <= pl.col("to"))))
            .select("i")
            .unique()
        )
        covering = (
            lines.select("i", "participant_id", "therapy", "date_of_service")
            .join(held, on="participant_id")
            .filter(
                (pl.col("held_therapy") == pl.col("therapy"))
                & (pl.col("start") <= on)
                & (on <= pl.col("end"))
            )
        )
        cover = covering.group_by("i").agg(
            pl.len().alias("n_cover"),
            pl.first("precert_id"),
            pl.first("provider_npi"),
            pl.first("codes"),
            pl.first("approved"),
            pl.first("used"),
        )
        lines = (
            lines.join(cover, on="i", how="left")
            .join(ledgers, on=["participant_id", "year_key"], how="left")
            .with_columns(
                pl.col("i").is_in(eligible["i"].implode()).alias("eligible"),
                pl.col("n_cover").fill_null(0),
                pl.col("year_used").fill_null(0),
                pl.col("used").fill_null(0),
            )
            .with_columns(
                (pl.col("provider_npi") == pl.col("billing_npi")).fill_null(False).alias("own"),
                pl.col("codes")
                .str.contains(pl.format('"{}"', pl.col("procedure_code")), literal=True)
                .fill_null(False)
                .alias("authorized"),
            )
        )
        gated = ~pl.col("eligible") | ~pl.col("dx_approved")
        in_program = pl.col("therapy").is_not_null()
        lines = lines.sort("i").with_columns(
            (
                in_program
                & ~gated
                & (pl.col("n_cover") == 1)
                & pl.col("own")
                & pl.col("authorized")
            ).alias("draws")
        )
        return self._findings(self._units(lines))

    def _units(self, lines: pl.DataFrame) -> pl.DataFrame:
        """Covered units of the lines that draw on units: one chain per participant."""
        chains = (
            lines.filter(pl.col("draws"))
            .group_by("participant_id")
            .agg(pl.struct("precert_id", "year_key").n_unique().alias("chains"))
        )
        several = chains.filter(pl.col("chains") > 1)["participant_id"]
        choice = lines.filter(pl.col("n_cover") > 1)["participant_id"]
        lines = lines.with_columns(
            (
                pl.col("participant_id").is_in(several.implode())
                | pl.col("participant_id").is_in(choice.implode())
            ).alias("complex")
        )
        billed = pl.when(pl.col("draws")).then(pl.col("units")).otherwise(0)
        upto = billed.cum_sum().over("participant_id")  # the lines are in file order
        precert_left0 = pl.col("approved") - pl.col("used")
        year_left0 = pl.col("limit") - pl.col("year_used")
        cap = pl.max_horizontal(pl.min_horizontal(precert_left0, year_left0), pl.lit(0))
        before = pl.min_horizontal(upto - billed, cap)
        return lines.with_columns(
            pl.when(pl.col("draws"))
            .then(pl.min_horizontal(upto, cap) - before)
            .otherwise(0)
            .alias("covered_units"),
            pl.max_horizontal(precert_left0 - before, pl.lit(0)).alias("precert_left"),
            pl.max_horizontal(year_left0 - before, pl.lit(0)).alias("year_left"),
        )

    def _findings(self, lines: pl.DataFrame) -> pl.DataFrame:
        on = pl.col("date_of_service")
        units = _text(pl.col("units"))
        draws = pl.col("draws")
        in_program = pl.col("therapy").is_not_null()
        covers = pl.col("n_cover") == 1
        gated = ~pl.col("eligible") | ~pl.col("dx_approved")
        found: list[tuple[pl.Expr, Reason, dict[str, pl.Expr]]] = [
            (
                ~in_program,
                Reason.PROCEDURE_NOT_IN_PROGRAM,
                {"code": pl.col("procedure_code")},
            ),
            (in_program & ~pl.col("eligible"), Reason.PARTICIPANT_NOT_ELIGIBLE, {"on": on}),
            (
                in_program & ~pl.col("dx_approved"),
                Reason.DIAGNOSIS_NOT_APPROVED,
                {"codes": pl.col("primary"), "on": on},
            ),
            (
                in_program & ~covers,
                Reason.NO_PRECERT,
                {"therapy": pl.col("therapy_label"), "on": on},
            ),
            (
                in_program & covers & ~pl.col("own"),
                Reason.BILLING_PROVIDER_MISMATCH,
                {
                    "billing_npi": pl.col("billing_npi"),
                    "precert_id": pl.col("precert_id"),
                    "provider_npi": pl.col("provider_npi"),
                },
            ),
            (
                in_program & covers & pl.col("own") & ~gated & ~pl.col("authorized"),
                Reason.PROCEDURE_NOT_AUTHORIZED,
                {
                    "code": pl.col("procedure_code"),
                    "precert_id": pl.col("precert_id"),
                    "authorized": pl.col("authorized_list"),
                },
            ),
            (
                draws & (pl.col("precert_left") < pl.col("units")),
                Reason.PRECERT_UNITS_EXHAUSTED,
                {
                    "billed": units,
                    "precert_id": pl.col("precert_id"),
                    "left": _text(pl.col("precert_left")),
                    "approved": _text(pl.col("approved")),
                    "covered": _text(pl.col("covered_units")),
                },
            ),
            (
                draws & (pl.col("year_left") == 0),
                Reason.ANNUAL_LIMIT_REACHED,
                {
                    "year_start": pl.col("year_start"),
                    "year_end": pl.col("year_end"),
                    "limit": _text(pl.col("limit")),
                    "counted": pl.lit(COVERING["counted"]),
                },
            ),
            (
                draws & (pl.col("year_left") > 0) & (pl.col("year_left") < pl.col("units")),
                Reason.UNITS_REDUCED_TO_LIMIT,
                {
                    "requested": units,
                    "remaining": _text(pl.col("year_left")),
                    "limit": _text(pl.col("limit")),
                    "asked": pl.lit(COVERING["asked"]),
                    "granted": pl.lit(COVERING["granted"]),
                    "year_start": pl.col("year_start"),
                    "year_end": pl.col("year_end"),
                },
            ),
        ]
        covered = pl.col("covered_units")
        in_full = draws & (covered == pl.col("units"))  # a line with no finding
        clean = lines.filter(in_full).with_columns(
            pl.lit("").alias("reason_codes"),
            pl.lit("").alias("reasons"),
            pl.lit("[]").alias("stored_reasons"),
        )
        rest = lines.filter(~in_full)
        distinct = rest["codes"].drop_nulls().unique().to_list()
        # Each finding's message once (null where the line has not that finding), then the
        # codes, the messages and the stored JSON list from those.
        said = [f"_said_{n}" for n in range(len(found))]
        rest = (
            rest.with_columns(
                pl.col("codes")
                .replace_strict(
                    distinct,
                    [_authorized(c) for c in distinct],
                    default=None,
                    return_dtype=pl.String,
                )
                .alias("authorized_list")
            )
            .with_columns(
                pl.when(when).then(_message(reason, **values)).alias(name)
                for (when, reason, values), name in zip(found, said, strict=True)
            )
            .with_columns(
                pl.concat_str(
                    [
                        pl.when(pl.col(name).is_not_null()).then(pl.lit(reason.name))
                        for (_, reason, _), name in zip(found, said, strict=True)
                    ],
                    separator=" ",
                    ignore_nulls=True,
                ).alias("reason_codes"),
                pl.concat_str(said, separator=" | ", ignore_nulls=True).alias("reasons"),
                pl.concat_str(
                    pl.lit("["),
                    pl.concat_str(
                        [
                            pl.concat_str(
                                pl.lit(f'{{"code": "{reason.name}", "message": "'),
                                _json_string(pl.col(name)),
                                pl.lit('"}'),
                            )
                            for (_, reason, _), name in zip(found, said, strict=True)
                        ],
                        separator=", ",
                        ignore_nulls=True,
                    ),
                    pl.lit("]"),
                ).alias("stored_reasons"),
            )
            .drop("authorized_list", *said)
        )
        return pl.concat([clean, rest]).with_columns(
            pl.when(covered == 0)
            .then(pl.lit(Outcome.NOT_COVERED.value))
            .when(covered < pl.col("units"))
            .then(pl.lit(Outcome.REDUCED.value))
            .otherwise(pl.lit(Outcome.COVERED.value))
            .alias("outcome"),
            pl.when(in_program & covers).then(pl.col("precert_id")).alias("precert_id"),
            pl.when(in_program).then(pl.col("therapy")).alias("therapy"),
            pl.when(covered > 0).then(pl.col("year_key")).alias("year_key"),
        )

    def _store(self, session: Session, decided: pl.DataFrame, now: datetime) -> None:
        """Insert the lines and add the units they used (one statement per table)."""
        table = decided.sort("i").select(  # in file order
            pl.col("stored_reasons").alias(name) if name == "reasons" else pl.col(name)
            for name in repository.ORIGINAL_COLUMNS
        )
        for first in range(0, table.height, _SLICE):
            part = table.slice(first, _SLICE)
            with _no_collection():  # tuples by the thousand: nothing for the collector to free
                columns = [column.to_list() for column in part.get_columns()]
                values = list(zip(*columns, strict=True))
            repository.insert_originals(session, values, now)
        drawn = decided.filter(pl.col("covered_units") > 0)
        precerts = drawn.group_by("precert_id").agg(pl.sum("covered_units"))
        ledgers = drawn.group_by("participant_id", "year_key").agg(pl.sum("covered_units"))
        repository.add_used(
            session,
            dict(precerts.iter_rows()),
            {(pid, key): n for pid, key, n in ledgers.iter_rows()},
        )


@contextmanager
def _no_collection() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _authorized(codes: str) -> str:
    return ", ".join(sorted(set(json.loads(codes)))) or "none"


_RESULT_SCHEMA = {
    "source_line": pl.Int64,
    "claim_id": pl.String,
    "line_number": pl.Int64,
    "outcome": pl.String,
    "covered_units": pl.Int64,
    "precert_id": pl.String,
    "reason_codes": pl.String,
    "reasons": pl.String,
    "units": pl.Int64,
}
_RESULTS = [
    "source_line",
    "claim_id",
    "line_number",
    "outcome",
    "covered_units",
    pl.col("precert_id").fill_null(""),
    "reason_codes",
    "reasons",
    "units",
]


class Lane:
    """What a whole import shares: the policy's facts by day and code, and the recorder."""

    def __init__(self, policies: PolicyBook) -> None:
        self.policies = policies
        self.values = Values(policies)
        self.recorder = batch.Recorder(policies)
        self.rolling = self.recorder.rolling
        self._days: dict[str, tuple[Any, ...]] = {}
        self._codes: dict[tuple[str, str], tuple[Any, ...]] = {}
        self._diagnoses: dict[tuple[str, str], tuple[Any, ...]] = {}

    def day_facts(self, rows: pl.DataFrame) -> pl.DataFrame:
        found = []
        for iso in rows["date_of_service"].unique().to_list():
            facts = self._days.get(iso)
            if facts is None:
                day = self.values.days[iso]
                facts = self._days[iso] = (
                    iso,
                    day.key,
                    day.year[0].isoformat(),
                    day.year[1].isoformat(),
                    day.policy.annual_unit_limit,
                )
            found.append(facts)
        return pl.DataFrame(
            found,
            schema={
                "date_of_service": pl.String,
                "year_key": pl.String,
                "year_start": pl.String,
                "year_end": pl.String,
                "limit": pl.Int64,
            },
            orient="row",
        )

    def code_facts(self, rows: pl.DataFrame) -> pl.DataFrame:
        found = []
        for iso, code in rows.select("date_of_service", "procedure_code").unique().iter_rows():
            facts = self._codes.get((iso, code))
            if facts is None:
                therapy = self.values.days[iso].policy.procedure_index.get(code)
                facts = self._codes[(iso, code)] = (
                    iso,
                    code,
                    therapy.key if therapy else None,
                    therapy.label if therapy else None,
                )
            found.append(facts)
        return pl.DataFrame(
            found,
            schema={
                "date_of_service": pl.String,
                "procedure_code": pl.String,
                "therapy": pl.String,
                "therapy_label": pl.String,
            },
            orient="row",
        )

    def diagnosis_facts(self, rows: pl.DataFrame) -> pl.DataFrame:
        found = []
        for iso, stored in rows.select("date_of_service", "diagnosis_codes").unique().iter_rows():
            facts = self._diagnoses.get((iso, stored))
            if facts is None:
                primary = json.loads(stored)[0]
                facts = self._diagnoses[(iso, stored)] = (
                    iso,
                    stored,
                    primary,
                    primary in self.values.days[iso].approved,
                )
            found.append(facts)
        return pl.DataFrame(
            found,
            schema={
                "date_of_service": pl.String,
                "diagnosis_codes": pl.String,
                "primary": pl.String,
                "dx_approved": pl.Boolean,
            },
            orient="row",
        )


def import_plain(
    path: Path,
    out: Path,
    sessions: sessionmaker[Session],
    policies: PolicyBook,
    *,
    chunk: int | None,
    tally: Any,
    progress: Callable[[int, int], None] | None = None,
) -> bool:
    """Decide and record a plain CSV file, adding to `tally`; False (nothing recorded, nothing
    written) when the file is for the general path.

    The checked rows are spilled in buckets of participants, each about a chunk, and each
    bucket is decided in file order: a participant's facts are read and written once per
    bucket, not once per chunk of the file. Participants are independent unless a line links
    two of them; then the chunks are decided in file order.
    """
    try:
        layout = Layout(path)
    except (UnicodeDecodeError, csv.Error):  # the general path says what is wrong
        return False
    lane = Lane(policies)
    size = chunk or CHUNK
    if lane.rolling or not layout.is_plain():
        return False
    with tempfile.TemporaryDirectory(prefix="precert-claims-") as folder:
        # Buckets of about four fifths of a chunk, so that most fit in one.
        spill = Spill(Path(folder), max(1, -(-layout.estimated_lines() * 5 // (size * 4))))
        try:
            clean, total, crossed, twice = check(layout, sessions, lane.values, spill)
        except NotPlain:
            return False
        if not clean:
            return False
        chunks = _in_file_order(spill, size) if crossed else _by_bucket(spill, size)
        for results in _one_by_one(sessions, lane, chunks, exact=crossed or twice):
            _tally(tally, results)
            spill.add("results", results, (pl.col("source_line") - 2) // size)
            if progress is not None:
                progress(tally.lines, total)
        _write_results(out, spill)
    return True


def _one_by_one(
    sessions: sessionmaker[Session], lane: Lane, chunks: Iterator[pl.DataFrame], *, exact: bool
) -> Iterator[pl.DataFrame]:
    for rows in chunks:
        try:
            yield _decided(sessions, lane, rows, exact=exact)
        except IntegrityError:
            if exact:
                raise
            # Someone recorded one of these lines since pass 1: look every line up.
            yield _decided(sessions, lane, rows, exact=True)


def _decided(
    sessions: sessionmaker[Session], lane: Lane, rows: pl.DataFrame, *, exact: bool
) -> pl.DataFrame:
    with transaction(sessions) as session:
        chunk = Chunk(lane, rows)
        chunk.prepare(session, exact=exact)
        return chunk.record(session, datetime.now(UTC))


def _by_bucket(spill: Spill, size: int) -> Iterator[pl.DataFrame]:
    """Each bucket's lines in file order, in chunks of at most `size` (whole blocks of a bucket
    while they fit: a participant's facts are then read once per bucket)."""
    for bucket in spill.numbers("rows"):
        waiting: list[pl.DataFrame] = []
        count = 0
        for rows in spill.each("rows", bucket):
            if waiting and count + rows.height > size:
                yield from _slices(pl.concat(waiting), size)
                waiting, count = [], 0
            waiting.append(rows)
            count += rows.height
        if waiting:
            yield from _slices(pl.concat(waiting), size)


def _slices(rows: pl.DataFrame, size: int) -> Iterator[pl.DataFrame]:
    for start in range(0, rows.height, size):
        yield rows.slice(start, size)


def _in_file_order(spill: Spill, size: int) -> Iterator[pl.DataFrame]:
    """The rows as the file has them (when a line links two participants)."""
    for block in range(spill.blocks):
        rows = spill.read_block("rows", block)
        if rows is None:
            continue
        yield from _slices(rows.sort("source_line"), size)


def _write_results(out: Path, spill: Spill) -> None:
    """The result file: the results merged back into file order, one range of lines at a time."""
    from precert.claims.importer import RESULT_COLUMNS

    temporary = out.with_name(f".{out.name}.{os.getpid()}.part")
    try:
        with temporary.open("w", newline="", encoding="utf-8") as handle:
            csv.writer(handle).writerow(RESULT_COLUMNS)
            for number in spill.numbers("results"):
                results = spill.read("results", number)
                handle.write(
                    results.sort("source_line")
                    .drop("units")
                    .with_columns(pl.col(pl.String).replace("", None))  # as `csv` writes them
                    .write_csv(include_header=False, line_terminator="\r\n")
                )
        temporary.replace(out)
    finally:
        temporary.unlink(missing_ok=True)


def _tally(tally: Any, results: pl.DataFrame) -> None:
    tally.lines += results.height
    tally.units_billed += int(results["units"].sum())
    tally.units_covered += int(results["covered_units"].sum())
    for outcome, n in results["outcome"].value_counts().iter_rows():
        tally.outcomes[outcome] += n
