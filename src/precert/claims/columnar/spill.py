"""The lane's spill: checked rows on disk (Arrow files) in buckets of participants, keys in
buckets of claims, results in ranges of file lines."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import polars as pl


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


def participant_bucket(bounds: list[int]) -> pl.Expr:
    """A participant's bucket: a range of IDs (`bounds` are the first ID of each but the first),
    so that a bucket's lines go into one part of the index of claim lines by participant."""
    if not bounds:
        return pl.lit(0, pl.Int64)
    ids = pl.col("participant_id").cast(pl.Int64)
    return pl.lit(pl.Series(bounds, dtype=pl.Int64)).search_sorted(ids, side="right")


def bucket_bounds(frame: pl.DataFrame, buckets: int) -> list[int]:
    """Ranges of participant IDs holding about as many lines each, as the first block has
    them (later blocks may fill the ranges unevenly: a bucket is read a block at a time)."""
    ids = frame["participant_id"].cast(pl.Int64)
    found = {ids.quantile(n / buckets, "lower") for n in range(1, buckets)}
    return sorted(int(bound) for bound in found if bound is not None)


def claim_bucket(buckets: int) -> pl.Expr:
    return (pl.col("claim_id").hash(seed=2026) % buckets).cast(pl.Int64)
