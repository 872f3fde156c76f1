"""Sorted runs on disk: how a batch is regrouped by participant with flat memory.

A batch file lists claim lines in any order, so every chunk of it touches thousands of
participants, and each touch costs reads, locks and updates. Participants are independent
(a pre-certification and a ledger row belong to one), so the importer may decide the lines
participant by participant - each participant's lines still in file order - and touch each
one once. The regrouping is an external merge sort: each checked chunk is sorted and written
as a run of small blocks; the runs are then merged as streams. Memory holds one chunk plus one
block per run, whatever the size of the file.
"""

from __future__ import annotations

import heapq
import os
import pickle
import tempfile
from collections.abc import Iterable, Iterator
from typing import Any

BLOCK = 500


class Runs:
    """Runs of tuples in one temporary file; each run is written sorted (or in file order).

    `Runs()` makes a new file; `Runs(path, runs)` opens one another process wrote (its `path`
    and `runs`). `close` removes the file, unless told to keep it for another process."""

    def __init__(self, path: str | None = None, runs: list[list[int]] | None = None) -> None:
        if path is None:
            handle, path = tempfile.mkstemp(prefix="precert-claims-")
            os.close(handle)
        self.path = path
        self.file = open(path, "r+b")  # noqa: SIM115 (closed by `close`)
        self.runs: list[list[int]] = runs if runs is not None else []  # block offsets per run

    def add(self, items: list[tuple[Any, ...]]) -> None:
        """Write one run (the caller sorts it, when the runs are to be merged)."""
        offsets = []
        self.file.seek(0, 2)
        for first in range(0, len(items), BLOCK):
            offsets.append(self.file.tell())
            pickle.dump(items[first : first + BLOCK], self.file, pickle.HIGHEST_PROTOCOL)
        self.runs.append(offsets)

    def _run(self, offsets: list[int]) -> Iterator[tuple[Any, ...]]:
        for offset in offsets:
            self.file.seek(offset)
            block: list[tuple[Any, ...]] = pickle.load(self.file)
            yield from block

    def merged(self) -> Iterator[tuple[Any, ...]]:
        """Every item of every run, in order (tuples compare field by field)."""
        return heapq.merge(*(self._run(offsets) for offsets in self.runs))

    def each_run(self) -> Iterator[list[tuple[Any, ...]]]:
        """Each run whole, in the order they were written."""
        for offsets in self.runs:
            yield list(self._run(offsets))

    def close(self, *, keep: bool = False) -> None:
        self.file.close()
        if not keep:
            os.unlink(self.path)


def merged(parts: Iterable[Runs]) -> Iterator[tuple[Any, ...]]:
    """Every item of every run of `parts`, in order."""
    return heapq.merge(*(part.merged() for part in parts))


def groups(items: Iterable[tuple[Any, ...]], size: int) -> Iterator[list[tuple[Any, ...]]]:
    """Cut sorted items into lists of about `size`, never splitting a run of equal first fields."""
    chunk: list[tuple[Any, ...]] = []
    for item in items:
        if len(chunk) >= size and item[0] != chunk[-1][0]:
            yield chunk
            chunk = []
        chunk.append(item)
    if chunk:
        yield chunk
