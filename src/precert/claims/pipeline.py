"""Record chunks one after another, or (PostgreSQL) store one while the next is decided.

Each chunk is one transaction. On PostgreSQL the server does much of the storing (COPY, index
and ledger updates) while Python waits, so a writer thread stores and commits chunk k while the
main thread decides chunk k+1 in a second transaction. That is safe only when the chunks share
no participant, which chunks of whole participants guarantee (the importer pipelines only
those): their pre-certification and ledger locks, reads and writes never meet. Answers count
only once their chunk has committed; a chunk that meets a line recorded meanwhile by someone
else (IntegrityError) is decided again in a transaction of its own, and gets the stored answer.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from precert.claims import spool
from precert.claims.batch import Answer, Recorder, Row, Writes
from precert.db import begin, transaction

Decided = tuple[list[Row], list[Answer]]


def whole_participants(runs: spool.Runs, size: int) -> Iterator[list[Row]]:
    """Chunks of about `size` lines of whole participants (runs sorted by participant), each
    participant's lines in file order."""
    new = tuple.__new__
    for group in spool.groups(runs.merged(), size):
        yield [new(Row, item) for item in group]


def record(sessions: sessionmaker[Session], recorder: Recorder, rows: list[Row]) -> list[Answer]:
    """Decide and store `rows` in one transaction, once more if a line was recorded meanwhile."""
    try:
        with transaction(sessions) as session:
            return recorder.record(session, rows, datetime.now(UTC))
    except IntegrityError:  # a line of this chunk was recorded meanwhile: its stored answer
        with transaction(sessions) as session:
            return recorder.record(session, rows, datetime.now(UTC))


def one_by_one(
    sessions: sessionmaker[Session], recorder: Recorder, chunks: Iterator[list[Row]]
) -> Iterator[Decided]:
    for rows in chunks:
        yield rows, record(sessions, recorder, rows)


def overlapped(
    sessions: sessionmaker[Session], recorder: Recorder, chunks: Iterator[list[Row]]
) -> Iterator[Decided]:
    """Chunks that share no participant: store each on a thread while the next is decided."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="claims-store") as writer:
        waiting: tuple[list[Row], list[Answer], Future[None]] | None = None
        for rows in chunks:
            started = _decide(sessions, recorder, rows)
            if started is None:  # met a line recorded meanwhile: decided again on its own
                if waiting is not None:
                    yield _finished(sessions, recorder, *waiting)
                    waiting = None
                yield rows, record(sessions, recorder, rows)
                continue
            session, answers, writes = started
            # Hand this chunk to the writer before waiting for the one before: a chunk that
            # must be decided again then never waits on a transaction this thread holds.
            stored = writer.submit(_store, session, writes)
            if waiting is not None:
                yield _finished(sessions, recorder, *waiting)
            waiting = (rows, answers, stored)
        if waiting is not None:
            yield _finished(sessions, recorder, *waiting)


def _decide(
    sessions: sessionmaker[Session], recorder: Recorder, rows: list[Row]
) -> tuple[Session, list[Answer], Writes] | None:
    session = sessions()
    try:
        begin(session, write=True)
        answers, writes = recorder.decide(session, rows, datetime.now(UTC))
    except IntegrityError:
        _end(session, commit=False)
        return None
    except BaseException:
        _end(session, commit=False)
        raise
    return session, answers, writes


def _store(session: Session, writes: Writes) -> None:
    try:
        writes.store(session)
    except BaseException:
        _end(session, commit=False)
        raise
    _end(session, commit=True)


def _end(session: Session, *, commit: bool) -> None:
    """Commit or roll back, and let the connection go (as `db.transaction` does)."""
    try:
        if commit:
            session.commit()
        else:
            session.rollback()
    finally:
        session.info.pop("connection", None)
        session.close()


def _finished(
    sessions: sessionmaker[Session],
    recorder: Recorder,
    rows: list[Row],
    answers: list[Answer],
    stored: Future[None],
) -> Decided:
    try:
        stored.result()
    except IntegrityError:
        return rows, record(sessions, recorder, rows)
    return rows, answers
