"""Queries of claim lines, and the units they use on pre-certifications and ledgers.

Built for batches: every read takes a whole chunk's participants or claims at once, and every
write is one statement (COPY, an executemany or an UPDATE ... FROM unnest) per table.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, Connection, Table, bindparam, func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from precert.claims.lines import FIELDS
from precert.db import connection
from precert.models import ClaimLineRecord
from precert.precerts.repository import HOLDING
from precert.rules.claims import Held
from precert.rules.facts import Span

Record = dict[str, Any]

LINES = cast(Table, ClaimLineRecord.__table__)

_LINES_OF_CLAIMS = select(LINES).where(LINES.c.claim_id.in_(bindparam("ids", expanding=True)))

# Batch writes run at the driver level (one executemany each); `?` becomes `%s` on PostgreSQL.
_BATCH_SQL = {
    "lock_ledger": (
        "INSERT INTO unit_ledgers (participant_id, year_key, authorized_units, used_units) "
        "VALUES (?, ?, 0, 0) ON CONFLICT (participant_id, year_key) "
        "DO UPDATE SET used_units = unit_ledgers.used_units"
    ),
    "void": "UPDATE claim_lines SET voided_by = ? WHERE claim_id = ? AND line_number = ?",
}


def _batch(conn: Connection, name: str, rows: Sequence[tuple[Any, ...]]) -> None:
    if not rows:
        return
    sql = _BATCH_SQL[name]
    if conn.dialect.name == "postgresql":
        sql = sql.replace("?", "%s")
    conn.exec_driver_sql(sql, list(rows))


COLUMNS = (
    *FIELDS,  # the line as sent, then its decision
    "therapy",
    "outcome",
    "covered_units",
    "precert_id",
    "year_key",
    "reasons",
    "voided_by",
    "recorded_at",
)
"""The order of a claim line's values in `insert_rows`: the table's own."""
assert tuple(c.name for c in LINES.columns) == COLUMNS, "claim_lines changed: update COLUMNS"

_INSERT_SQL = (
    f"INSERT INTO claim_lines ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
)
_COPY_SQL = f"COPY claim_lines ({', '.join(COLUMNS)}) FROM STDIN"


def _row_of(record: Record) -> tuple[Any, ...]:
    """Return a line as the engine keeps it (lists, dates) as `insert_rows` takes it."""
    values = []
    for name in COLUMNS:
        value = record[name]
        if isinstance(value, list):
            value = json.dumps(value)
        elif isinstance(value, date) and not isinstance(value, datetime):
            value = value.isoformat()
        values.append(value)
    return tuple(values)


def _by_ids(
    conn: Connection, sql: str, ids: Collection[str], *, tail: str = ""
) -> list[tuple[Any, ...]]:
    """Run `sql ... WHERE <id column> IN ids` at the driver level, with one parameter.

    `sql` ends with `{ids}` where the membership test goes: SQLite reads the IDs from a JSON
    array (`json_each`), PostgreSQL from an array (`= ANY`). A chunk's few thousand IDs then
    cost one bound value, not one placeholder each for SQLAlchemy to expand and compile.
    """
    raw = conn.connection.driver_connection  # the same connection, so the same transaction
    assert raw is not None
    value: Any
    if conn.dialect.name == "postgresql":
        text, value = sql.format(ids="= ANY(%s::text[])") + tail, text_array(ids)
    else:  # a JSON array
        text = sql.format(ids="IN (SELECT value FROM json_each(?))") + tail
        value = json.dumps(list(ids))
    cursor = raw.cursor()
    try:
        with _driver_errors(conn, text):
            cursor.execute(text, (value,))
            return list(cursor.fetchall())
    finally:
        cursor.close()


@contextmanager
def _driver_errors(conn: Connection, statement: str) -> Iterator[None]:
    """Raise the driver's errors on a raw cursor as SQLAlchemy's (IntegrityError, ...), as
    statements run through SQLAlchemy do."""
    base = conn.dialect.loaded_dbapi.Error
    try:
        yield
    except base as exc:
        raise DBAPIError.instance(statement, None, exc, base, dialect=conn.dialect) from exc


def text_array(values: Iterable[str]) -> str:
    """Return a PostgreSQL array literal of identifiers (IDs, codes and year keys: no quotes or
    backslashes), each quoted so that none reads as NULL: far cheaper than a list parameter."""
    return "{" + ",".join(f'"{value}"' for value in values) + "}"


def int_array(values: Iterable[int]) -> str:
    return "{" + ",".join(map(str, values)) + "}"


def tune_for_batches(session: Session) -> None:
    """On SQLite, let a batch's transactions keep more pages in memory (a fixed 256 MiB cache:
    memory stays flat), and leave the WAL to grow (on disk) rather than write the same index
    pages back after every chunk: the importer writes them back once, at the end."""
    conn = connection(session)
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("PRAGMA cache_size=-262144")
        conn.exec_driver_sql("PRAGMA wal_autocheckpoint=250000")


class _Values:
    """Driver values to Python, cached: a batch repeats the same few dates and code lists."""

    def __init__(self) -> None:
        self.seen: dict[Any, Any] = {}

    def day(self, value: Any) -> Any:
        if value is None or isinstance(value, date):
            return value
        found = self.seen.get(value)
        if found is None:
            found = self.seen[value] = date.fromisoformat(value)
        return found

    def codes(self, value: Any) -> frozenset[str]:
        key = value if isinstance(value, str) else tuple(value or ())
        found = self.seen.get(("codes", key))
        if found is None:
            items = json.loads(value) if isinstance(value, str) else (value or ())
            found = self.seen[("codes", key)] = frozenset(items)
        return found


_HOLDING_SQL = ", ".join(f"'{status}'" for status in HOLDING)


def lines_of_claims(session: Session, claim_ids: Collection[str]) -> dict[tuple[str, int], Record]:
    """Return the recorded lines of these claims, by (claim_id, line_number)."""
    if not claim_ids:
        return {}
    rows = connection(session).execute(_LINES_OF_CLAIMS, {"ids": list(claim_ids)}).mappings()
    return {(r["claim_id"], r["line_number"]): dict(r) for r in rows}


def known_participants(session: Session, participant_ids: Collection[str]) -> set[str]:
    if not participant_ids:
        return set()
    sql = "SELECT participant_id FROM participants WHERE participant_id {ids}"
    found = _of_participants(
        connection(session), sql, participant_ids, position=0, table="participants"
    )
    return {pid for (pid,) in found}


def eligibility(session: Session, participant_ids: Collection[str]) -> dict[str, list[Span]]:
    return {
        pid: [Span(start, end) for start, end in spans]
        for pid, spans in eligibility_spans(session, participant_ids).items()
    }


_ELIGIBILITY_SQL = (
    "SELECT participant_id, start_date, end_date FROM eligibility_spans WHERE participant_id {ids}"
)
_LEDGER_SQL = (
    "SELECT participant_id, year_key, COALESCE(used_units, 0) FROM unit_ledgers "
    "WHERE participant_id {ids}"
)


def eligibility_spans(
    session: Session, participant_ids: Collection[str]
) -> dict[str, list[tuple[date, date | None]]]:
    """Return each participant's eligibility as (start, end) pairs; end None is open."""
    spans: dict[str, list[tuple[date, date | None]]] = {pid: [] for pid in participant_ids}
    if participant_ids:
        values = _Values()
        for pid, start, end in _by_ids(connection(session), _ELIGIBILITY_SQL, participant_ids):
            spans[pid].append((values.day(start), values.day(end)))
    return spans


def held(
    session: Session, participant_ids: Collection[str], *, lock: bool
) -> tuple[dict[str, list[Held]], dict[str, int]]:
    """Return the approved pre-certifications of these participants and the units each used.

    With `lock`, the rows are locked (PostgreSQL) in ID order, before any ledger row.
    """
    by_participant: dict[str, list[Held]] = {pid: [] for pid in participant_ids}
    used: dict[str, int] = {}
    if not participant_ids:
        return by_participant, used
    conn = connection(session)
    sql = (
        "SELECT id, participant_id, therapy, provider_npi, procedure_codes, start_date, "
        "end_date, approved_units, used_units FROM precerts "
        f"WHERE status IN ({_HOLDING_SQL}) AND participant_id {{ids}}"
    )
    tail = " ORDER BY id" + (" FOR UPDATE" if lock and conn.dialect.name == "postgresql" else "")
    values = _Values()
    for row in _by_ids(conn, sql, sorted(participant_ids), tail=tail):
        pid, participant_id, therapy, npi, codes, start, end, approved, used_units = row
        if end is None or npi is None:
            continue
        by_participant[participant_id].append(
            Held(
                pid,
                therapy,
                npi,
                values.codes(codes),
                values.day(start),
                values.day(end),
                approved or 0,
            )
        )
        used[pid] = used_units or 0
    return by_participant, used


def lock_ledgers(session: Session, keys: Iterable[tuple[str, str]]) -> None:
    """Create (if needed) and lock the ledger rows of (participant, year key), in key order.

    PostgreSQL: one insert of the missing rows, then one SELECT ... FOR UPDATE, so no row is
    rewritten just to lock it. SQLite (whose writer holds the database lock): an upsert that
    creates the missing rows."""
    conn = connection(session)
    ordered = sorted(set(keys))
    if not ordered:
        return
    if conn.dialect.name != "postgresql":
        _batch(conn, "lock_ledger", ordered)
        return
    pids, years = text_array(pid for pid, _ in ordered), text_array(key for _, key in ordered)
    conn.exec_driver_sql(
        "INSERT INTO unit_ledgers (participant_id, year_key, authorized_units, used_units) "
        "SELECT participant_id, year_key, 0, 0 FROM unnest(%s::text[], %s::text[]) "
        "AS k(participant_id, year_key) ORDER BY participant_id, year_key "
        "ON CONFLICT (participant_id, year_key) DO NOTHING",
        (pids, years),
    )
    conn.exec_driver_sql(
        "SELECT l.participant_id FROM unit_ledgers l "
        "JOIN unnest(%s::text[], %s::text[]) AS k(participant_id, year_key) "
        "ON l.participant_id = k.participant_id AND l.year_key = k.year_key "
        "ORDER BY l.participant_id, l.year_key FOR UPDATE OF l",
        (pids, years),
    )


def recorded_keys(session: Session, claim_ids: Collection[str]) -> dict[tuple[str, int], str]:
    """Return the recorded lines of these claims: (claim_id, line_number) -> participant."""
    if not claim_ids:
        return {}
    sql = "SELECT claim_id, line_number, participant_id FROM claim_lines WHERE claim_id {ids}"
    return {(c, n): pid for c, n, pid in _by_ids(connection(session), sql, claim_ids)}


# Reads and writes of the SQLite lane (`columnar`): rows as the driver gives them (dates as
# YYYY-MM-DD text, JSON as text), for whole columns.


def recorded_lines(session: Session, claim_ids: Collection[str]) -> list[tuple[str, int, str]]:
    """The recorded lines of these claims as (claim_id, line_number, participant_id)."""
    if not claim_ids:
        return []
    sql = "SELECT claim_id, line_number, participant_id FROM claim_lines WHERE claim_id {ids}"
    return [(c, n, pid) for c, n, pid in _by_ids(connection(session), sql, claim_ids)]


def recorded_between(
    session: Session, low: str, high: str, most: int
) -> list[tuple[str, int, str]] | None:
    """The recorded lines whose claim IDs lie between `low` and `high`, as `recorded_lines`
    gives them; None when there are more than `most` (then look the IDs up one by one).

    A batch's claim IDs mostly come after those on record (claims systems number them in
    order), so the range of a chunk's IDs usually holds none."""
    conn = connection(session)
    between = "FROM claim_lines WHERE claim_id BETWEEN :low AND :high"
    bounds = {"low": low, "high": high}
    counted = f"SELECT count(*) FROM (SELECT 1 {between} LIMIT {int(most) + 1}) AS found"
    if conn.execute(text(counted), bounds).scalar_one() > most:
        return None
    found = conn.execute(text(f"SELECT claim_id, line_number, participant_id {between}"), bounds)
    return [(c, n, pid) for c, n, pid in found]


def held_rows(session: Session, participant_ids: Collection[str]) -> list[tuple[Any, ...]]:
    """`held`'s pre-certifications (on SQLite: the lane's) as (id, participant, therapy,
    provider NPI, codes JSON, start, end, approved units, used units)."""
    sql = (
        "SELECT id, participant_id, therapy, provider_npi, procedure_codes, start_date, "
        "end_date, COALESCE(approved_units, 0), COALESCE(used_units, 0) FROM precerts "
        # `+status`: SQLite then reads the participants' index, not the one by status.
        f"WHERE +status IN ({_HOLDING_SQL}) AND end_date IS NOT NULL "
        "AND provider_npi IS NOT NULL AND participant_id {ids}"
    )
    return _of_participants(connection(session), sql, participant_ids, position=1, table="precerts")


def _of_participants(
    conn: Connection, sql: str, participant_ids: Collection[str], *, position: int, table: str
) -> list[tuple[Any, ...]]:
    """Rows of `sql` (`... participant_id {ids}`) for these participants (at `position` in a
    row): read by the range of their IDs when it holds at most twice as many rows as there are
    participants (the SQLite lane decides ranges of participants), else looked up one by one."""
    if not participant_ids:
        return []
    bounds = (min(participant_ids), max(participant_ids))
    most = 2 * len(participant_ids)
    mark = "%s" if conn.dialect.name == "postgresql" else "?"
    between = f"BETWEEN {mark} AND {mark}"
    counted = (
        f"SELECT count(*) FROM (SELECT 1 FROM {table} "
        f"WHERE participant_id {between} LIMIT {most + 1}) AS found"
    )
    raw = conn.connection.driver_connection  # the same connection, so the same transaction
    assert raw is not None
    cursor = raw.cursor()
    try:
        with _driver_errors(conn, counted):
            cursor.execute(counted, bounds)
            if cursor.fetchone()[0] > most:
                return _by_ids(conn, sql, participant_ids)
            cursor.execute(sql.format(ids=between), bounds)
            rows = cursor.fetchall()
    finally:
        cursor.close()
    wanted = set(participant_ids)
    return [row for row in rows if row[position] in wanted]


def eligibility_rows(session: Session, participant_ids: Collection[str]) -> list[tuple[Any, ...]]:
    """Eligibility spans as (participant, start, end or None)."""
    return _of_participants(
        connection(session),
        _ELIGIBILITY_SQL,
        participant_ids,
        position=0,
        table="eligibility_spans",
    )


def ledger_rows(session: Session, participant_ids: Collection[str]) -> list[tuple[Any, ...]]:
    """Ledger rows as (participant, year key, units used)."""
    return _of_participants(
        connection(session), _LEDGER_SQL, participant_ids, position=0, table="unit_ledgers"
    )


ORIGINAL_COLUMNS = tuple(
    c for c in COLUMNS if c not in ("frequency", "original_claim_id", "voided_by", "recorded_at")
)
"""The values of an original line `insert_originals` takes (the rest are the same for all)."""


def insert_texts(session: Session, rows: Sequence[tuple[Any, ...]], sql: str = _INSERT_SQL) -> None:
    """Insert claim lines into SQLite as `insert_rows` does, `recorded_at` already written as
    SQLAlchemy writes it (`YYYY-MM-DD HH:MM:SS.ffffff`, UTC)."""
    if not rows:
        return
    conn = connection(session)
    raw = conn.connection.driver_connection  # the same connection, so the same transaction
    assert raw is not None
    with _driver_errors(conn, sql):
        raw.executemany(sql, rows)


def insert_originals(
    session: Session, rows: Sequence[tuple[Any, ...]], recorded_at: datetime
) -> None:
    """Insert original lines into SQLite, given as tuples in `ORIGINAL_COLUMNS` order: the
    values all of them share are written once, in the statement."""
    moment = recorded_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    sql = (
        f"INSERT INTO claim_lines ({', '.join(ORIGINAL_COLUMNS)}, frequency, original_claim_id, "
        f"voided_by, recorded_at) VALUES ({', '.join('?' * len(ORIGINAL_COLUMNS))}, "
        f"'original', NULL, NULL, '{moment}')"
    )
    insert_texts(session, rows, sql)


def insert_rows(session: Session, rows: Sequence[tuple[Any, ...]]) -> None:
    """Insert claim lines given as tuples in `COLUMNS` order (dates as YYYY-MM-DD, JSON as
    text, `recorded_at` a datetime). PostgreSQL takes them with COPY; SQLite with one
    executemany."""
    if not rows:
        return
    conn = connection(session)
    if conn.dialect.name == "postgresql":
        raw = conn.connection.driver_connection
        assert raw is not None
        with (
            _driver_errors(conn, _COPY_SQL),
            raw.cursor() as cursor,
            cursor.copy(_COPY_SQL) as copy,
        ):
            for row in rows:
                copy.write_row(row)
        return
    moments: dict[datetime, str] = {}

    def moment(value: datetime) -> str:  # SQLAlchemy's SQLite DATETIME text (naive UTC)
        found = moments.get(value)
        if found is None:
            found = moments[value] = value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
        return found

    insert_texts(session, [(*row[:-1], moment(row[-1])) for row in rows])


def add_used(
    session: Session, precerts: dict[str, int], ledgers: dict[tuple[str, str], int]
) -> None:
    """Add units used: one statement per table, in key order."""
    conn = connection(session)
    precert_rows = sorted((pid, u) for pid, u in precerts.items() if u)
    ledger_rows = sorted((pid, key, u) for (pid, key), u in ledgers.items() if u)
    if conn.dialect.name == "postgresql":
        if precert_rows:
            conn.exec_driver_sql(
                "UPDATE precerts SET used_units = precerts.used_units + d.units "
                "FROM unnest(%s::text[], %s::int[]) AS d(id, units) WHERE precerts.id = d.id",
                (text_array(p for p, _ in precert_rows), int_array(u for _, u in precert_rows)),
            )
        if ledger_rows:
            conn.exec_driver_sql(
                "UPDATE unit_ledgers SET used_units = unit_ledgers.used_units + d.units "
                "FROM unnest(%s::text[], %s::text[], %s::int[]) AS d(participant_id, year_key, "
                "units) WHERE unit_ledgers.participant_id = d.participant_id "
                "AND unit_ledgers.year_key = d.year_key",
                (
                    text_array(pid for pid, _, _ in ledger_rows),
                    text_array(key for _, key, _ in ledger_rows),
                    int_array(u for _, _, u in ledger_rows),
                ),
            )
        return
    # SQLite: one statement per table over a JSON array of the changes.
    if precert_rows:
        conn.exec_driver_sql(
            "UPDATE precerts SET used_units = precerts.used_units + d.units FROM "
            "(SELECT value ->> 0 AS id, value ->> 1 AS units FROM json_each(?)) AS d "
            "WHERE precerts.id = d.id",
            (json.dumps(precert_rows),),
        )
    if ledger_rows:
        conn.exec_driver_sql(
            "INSERT INTO unit_ledgers (participant_id, year_key, authorized_units, used_units) "
            "SELECT value ->> 0, value ->> 1, 0, value ->> 2 FROM json_each(?) WHERE true "
            "ON CONFLICT (participant_id, year_key) "
            "DO UPDATE SET used_units = unit_ledgers.used_units + excluded.used_units",
            (json.dumps(ledger_rows),),
        )


def is_sqlite(session: Session) -> bool:
    return connection(session).dialect.name == "sqlite"


def ledger_used(session: Session, participant_ids: Collection[str]) -> dict[tuple[str, str], int]:
    if not participant_ids:
        return {}
    rows = _by_ids(connection(session), _LEDGER_SQL, participant_ids)
    return {(pid, key): used for pid, key, used in rows}


def _counting(participant_id: str, first: date, last: date) -> list[ColumnElement[bool]]:
    """The lines whose covered units count: this participant's, not voided, served in range."""
    return [
        LINES.c.participant_id == participant_id,
        LINES.c.date_of_service >= first,
        LINES.c.date_of_service <= last,
        LINES.c.voided_by.is_(None),
    ]


def used_between(session: Session, participant_id: str, first: date, last: date) -> int:
    """Return the units covered on lines (not voided) with a date of service in [first, last]."""
    total = connection(session).execute(
        select(func.coalesce(func.sum(LINES.c.covered_units), 0)).where(
            *_counting(participant_id, first, last)
        )
    )
    return int(total.scalar() or 0)


def used_by_therapy(
    session: Session, participant_id: str, first: date, last: date
) -> dict[str, int]:
    """Return the units covered by therapy on lines with a date of service in [first, last]."""
    rows = connection(session).execute(
        select(LINES.c.therapy, func.sum(LINES.c.covered_units))
        .where(*_counting(participant_id, first, last), LINES.c.therapy.is_not(None))
        .group_by(LINES.c.therapy)
    )
    return {therapy: int(units or 0) for therapy, units in rows}


def write(
    session: Session,
    *,
    new_lines: Sequence[Record],
    voided: Sequence[tuple[str, int, str]],
    precert_used: dict[str, int],
    ledger_used_delta: dict[tuple[str, str], int],
) -> None:
    """Store a chunk: the new lines, the voids, and one update per pre-certification and ledger."""
    insert_rows(session, [_row_of(record) for record in new_lines])
    _batch(connection(session), "void", [(by, claim, line) for claim, line, by in voided])
    add_used(session, precert_used, ledger_used_delta)


def used_by_day(
    session: Session, participant_id: str, first: date, last: date
) -> list[tuple[date, int]]:
    """Return the units covered per date of service in [first, last] (voided lines excluded)."""
    rows = connection(session).execute(
        select(LINES.c.date_of_service, func.sum(LINES.c.covered_units))
        .where(*_counting(participant_id, first, last), LINES.c.covered_units > 0)
        .group_by(LINES.c.date_of_service)
        .order_by(LINES.c.date_of_service)
    )
    return [(on, int(units or 0)) for on, units in rows]
