"""Deciding a batch in several processes (PostgreSQL): participants split by ID, one part each.

Participants are independent, so each process takes the participants of its part (pass 1
already wrote the rows split by ID, sorted), decides them in chunks of whole participants with
its own connection, and writes its results as sorted runs; the importer merges every part's
results back into file order. The processes are spawned, not forked: a forked copy of the
parent's connections and threads is not safe.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from concurrent.futures import FIRST_EXCEPTION, ProcessPoolExecutor, wait
from multiprocessing.sharedctypes import Synchronized
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import DBAPIError

from precert.claims import batch, pipeline, spool
from precert.db import make_engine, make_sessionmaker
from precert.policy.loader import PolicyBook

if TYPE_CHECKING:
    from precert.claims.importer import Tally


class PartFailed(Exception):
    """A part's process could not use the database: the driver's error class, and the message."""

    def __init__(self, error: str, message: str) -> None:
        super().__init__(error, message)
        self.error = error
        self.message = message

    def __str__(self) -> str:
        return f"{self.error}: {self.message}"


_done: Any = None  # the lines decided by every part, shared with the parent
_mine = 0  # the lines this process has added to it


def _start(counter: Any) -> None:
    global _done
    _done = counter


def decide(
    url: str,
    policies: PolicyBook,
    parts: list[spool.Runs],
    chunk: int,
    tally: Tally,
    done: Callable[[int], None] | None,
) -> list[spool.Runs]:
    """Decide and record every part in a process of its own; return each part's results."""
    context = multiprocessing.get_context("spawn")
    counter: Synchronized[int] = context.Value("q", 0)
    for part in parts:
        part.file.flush()
    with ProcessPoolExecutor(
        len(parts), mp_context=context, initializer=_start, initargs=(counter,)
    ) as pool:
        futures = [
            pool.submit(_decide_part, url, policies, part.path, part.runs, chunk) for part in parts
        ]
        pending = set(futures)
        while pending:
            finished, pending = wait(pending, timeout=0.25, return_when=FIRST_EXCEPTION)
            if done is not None:
                done(counter.value)
            if any(f.exception() is not None for f in finished):
                break
    results: list[spool.Runs] = []  # each part's results; closing one removes its file
    failure: BaseException | None = None
    for future in futures:
        try:
            path, offsets, counts = future.result()
        except BaseException as exc:
            failure = failure or exc
            continue
        results.append(spool.Runs(path, offsets))
        tally.add(counts)
    if failure is not None:
        for part_results in results:
            part_results.close()
        raise failure
    return results


def _decide_part(
    url: str, policies: PolicyBook, path: str, runs: list[list[int]], chunk: int
) -> tuple[str, list[list[int]], Tally]:
    from precert.claims.importer import Tally

    engine = make_engine(url)
    source = spool.Runs(path, runs)
    results = spool.Runs()
    tally = Tally()
    done = False
    try:
        sessions = make_sessionmaker(engine)
        recorder = batch.Recorder(policies)
        decided = pipeline.overlapped(
            sessions, recorder, pipeline.whole_participants(source, chunk)
        )
        tally.collect(decided, results, _count)
        done = True
    except DBAPIError as exc:
        raise PartFailed(type(exc.orig).__name__, str(exc.orig).strip()[:300]) from None
    finally:
        source.close(keep=True)  # the parent's
        results.close(keep=done)  # handed to the parent, which removes it once merged
        engine.dispose()
    return results.path, results.runs, tally


def _count(lines: int) -> None:
    """Add a chunk's lines to the shared count (`lines` is this part's running total)."""
    global _mine
    with _done.get_lock():
        _done.value += lines - _mine
    _mine = lines
