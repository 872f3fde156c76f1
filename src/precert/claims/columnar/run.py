"""The lane's two passes over a file: check and spill it (pass 1), then decide and record it a
chunk at a time (pass 2), and write the results in file order."""

from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from precert.claims import repository
from precert.claims.columnar.chunk import Chunk, recorded_of
from precert.claims.columnar.lane import Lane
from precert.claims.columnar.reading import Layout, NotPlain, Values
from precert.claims.columnar.spill import Spill, bucket_bounds, claim_bucket, participant_bucket
from precert.db import transaction
from precert.policy.loader import PolicyBook

CHUNK = 250_000


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
            spill.bounds = bucket_bounds(frame, spill.buckets)
        spill.add("rows", frame, participant_bucket(spill.bounds), block)
        spill.blocks = block + 1
        keys = frame.select("claim_id", "line_number", "participant_id")
        spill.add("keys", keys, claim_bucket(spill.buckets))
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


def _key() -> pl.Expr:
    return pl.concat_str(pl.col("claim_id"), pl.lit("|"), pl.col("line_number").cast(pl.String))


def _on_record(sessions: sessionmaker[Session], frame: pl.DataFrame) -> pl.Series:
    """Which of these lines are on record (before this import records any)."""
    with transaction(sessions, write=False) as session:
        recorded = recorded_of(session, frame["claim_id"].unique())
    keys = recorded.select(_key())
    return frame.select(_key().is_in(keys.to_series().implode())).to_series()


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
