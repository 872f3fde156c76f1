"""The lane's reading: a plain CSV file a block at a time, as columns of checked values."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import polars as pl

from precert.claims import batch
from precert.claims.lines import CLAIM_ID, FIELDS, MAX_UNITS
from precert.policy.loader import PolicyBook

BLOCK = 16 << 20  # bytes read at a time (about 250,000 lines)

_CLAIM = f"^{CLAIM_ID.pattern}$"
_PARTICIPANT = "^[0-9]{8}$"


class Layout:
    """Where each of `FIELDS` is in a plain file's rows, and how wide the rows are."""

    def __init__(self, path: Path) -> None:
        self.path = path
        with path.open(newline="", encoding="utf-8-sig") as handle:
            header = [h.strip() for h in next(csv.reader(handle), [])]
        self.width = len(header)
        self.where = [header.index(name) if name in header else None for name in FIELDS]
        with path.open("rb") as raw:
            self.header = raw.readline()  # the lines start after it

    def is_plain(self) -> bool:
        """Whether the header is plain and names every column, and lines follow it (`blocks`
        checks the lines as it reads them)."""
        needed = [i for name, i in zip(FIELDS, self.where, strict=True) if name not in _OPTIONAL]
        if None in needed or self.width == 0:
            return False
        with self.path.open("rb") as handle:
            handle.seek(len(self.header))
            if not handle.read(1):
                return False  # no lines: the general path says so
        return _plain(self.header.rstrip(b"\r\n") + b"\n")

    def estimated_lines(self) -> int:
        """The file's lines, estimated from the first megabyte."""
        with self.path.open("rb") as handle:
            handle.seek(len(self.header))
            sample = handle.read(1 << 20)
        lines = sample.count(b"\n") or 1
        return int(self.path.stat().st_size / max(len(sample) / lines, 1))

    def blocks(self) -> Iterator[tuple[int, pl.DataFrame]]:
        """Yield (file line of the first row, the rows' raw values by `FIELDS` name)."""
        names = [f"c{i}" for i in range(self.width)]
        line = 2
        with self.path.open("rb") as handle:
            handle.seek(len(self.header))
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
        """The column's checked values (the reader caches its checks by value)."""
        distinct = column.unique().to_list()
        found = [self.checks[name](value) for value in distinct]
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
