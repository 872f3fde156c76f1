"""Queries of claim lines, and the units they use on pre-certifications and ledgers.

Built for batches: every read takes a whole chunk's participants or claims at once, and every
write is one executemany per table.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Sequence
from datetime import UTC, date, datetime
from typing import Any, cast

from sqlalchemy import Connection, Table, bindparam, func, select
from sqlalchemy.orm import Session

from precert.db import connection
from precert.models import ClaimLineRecord, EligibilitySpan, Participant, Precert, UnitLedger
from precert.precerts.repository import HOLDING
from precert.rules.claims import Held
from precert.rules.facts import Span

Record = dict[str, Any]

LINES = cast(Table, ClaimLineRecord.__table__)
_PRECERTS = cast(Table, Precert.__table__)
_LEDGERS = cast(Table, UnitLedger.__table__)
_SPANS = cast(Table, EligibilitySpan.__table__)
_PARTICIPANTS = cast(Table, Participant.__table__)

_LINES_OF_CLAIMS = select(LINES).where(LINES.c.claim_id.in_(bindparam("ids", expanding=True)))
_KNOWN = select(_PARTICIPANTS.c.participant_id).where(
    _PARTICIPANTS.c.participant_id.in_(bindparam("ids", expanding=True))
)
_SPANS_OF = select(_SPANS.c.participant_id, _SPANS.c.start_date, _SPANS.c.end_date).where(
    _SPANS.c.participant_id.in_(bindparam("ids", expanding=True))
)
_HELD = (
    select(
        _PRECERTS.c.id,
        _PRECERTS.c.participant_id,
        _PRECERTS.c.therapy,
        _PRECERTS.c.provider_npi,
        _PRECERTS.c.procedure_codes,
        _PRECERTS.c.start_date,
        _PRECERTS.c.end_date,
        _PRECERTS.c.approved_units,
        _PRECERTS.c.used_units,
    )
    .where(
        _PRECERTS.c.participant_id.in_(bindparam("ids", expanding=True)),
        _PRECERTS.c.status.in_(HOLDING),
    )
    .order_by(_PRECERTS.c.id)
)
_HELD_LOCKED = _HELD.with_for_update()
_LEDGER_USED = select(_LEDGERS.c.participant_id, _LEDGERS.c.year_key, _LEDGERS.c.used_units).where(
    _LEDGERS.c.participant_id.in_(bindparam("ids", expanding=True))
)
# Batch writes run at the driver level (one executemany each); `?` becomes `%s` on PostgreSQL.
_BATCH_SQL = {
    "lock_ledger": (
        "INSERT INTO unit_ledgers (participant_id, year_key, authorized_units, used_units) "
        "VALUES (?, ?, 0, 0) ON CONFLICT (participant_id, year_key) "
        "DO UPDATE SET used_units = unit_ledgers.used_units"
    ),
    "add_used_precert": "UPDATE precerts SET used_units = used_units + ? WHERE id = ?",
    "add_used_ledger": (
        "UPDATE unit_ledgers SET used_units = used_units + ? "
        "WHERE participant_id = ? AND year_key = ?"
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


_COLUMNS = [c.name for c in LINES.columns]
_JSON_COLUMNS = {"diagnosis_codes", "reasons"}  # lists: the only list values of a line


def _insert_sql(dialect: str) -> str:
    """Return the driver-level INSERT: a batch skips SQLAlchemy's per-row parameter work."""
    if dialect == "postgresql":
        marks = [("%s::jsonb" if c in _JSON_COLUMNS else "%s") for c in _COLUMNS]
    else:
        marks = ["?"] * len(_COLUMNS)
    return f"INSERT INTO claim_lines ({', '.join(_COLUMNS)}) VALUES ({', '.join(marks)})"


_INSERT_SQL = {dialect: _insert_sql(dialect) for dialect in ("postgresql", "sqlite")}


def insert_lines(conn: Connection, records: Sequence[Record]) -> None:
    """Insert claim lines with one executemany, values as the driver stores them."""
    sqlite = conn.dialect.name == "sqlite"
    texts: dict[Any, str] = {}  # the same few JSON values and times recur across a batch

    def stored(value: Any) -> Any:
        if isinstance(value, list):
            key = tuple(v if isinstance(v, str) else tuple(v.items()) for v in value)
            found = texts.get(key)
            if found is None:
                found = texts[key] = json.dumps(value)
            return found
        if sqlite and isinstance(value, date):
            found = texts.get(value)
            if found is None:
                # SQLAlchemy's SQLite DATE and DATETIME text (naive UTC, with microseconds).
                found = texts[value] = (
                    value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
                    if isinstance(value, datetime)
                    else value.isoformat()
                )
            return found
        return value

    rows = [tuple(stored(record[name]) for name in _COLUMNS) for record in records]
    conn.exec_driver_sql(_INSERT_SQL[conn.dialect.name], rows)


def lines_of_claims(session: Session, claim_ids: Collection[str]) -> dict[tuple[str, int], Record]:
    """Return the recorded lines of these claims, by (claim_id, line_number)."""
    if not claim_ids:
        return {}
    rows = connection(session).execute(_LINES_OF_CLAIMS, {"ids": list(claim_ids)}).mappings()
    return {(r["claim_id"], r["line_number"]): dict(r) for r in rows}


def known_participants(session: Session, participant_ids: Collection[str]) -> set[str]:
    if not participant_ids:
        return set()
    rows = connection(session).execute(_KNOWN, {"ids": list(participant_ids)})
    return {pid for (pid,) in rows}


def eligibility(session: Session, participant_ids: Collection[str]) -> dict[str, list[Span]]:
    spans: dict[str, list[Span]] = {pid: [] for pid in participant_ids}
    if participant_ids:
        for pid, start, end in connection(session).execute(
            _SPANS_OF, {"ids": list(participant_ids)}
        ):
            spans[pid].append(Span(start, end))
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
    statement = _HELD_LOCKED if lock else _HELD
    for row in connection(session).execute(statement, {"ids": sorted(participant_ids)}):
        pid, participant_id, therapy, npi, codes, start, end, approved, used_units = row
        if end is None or npi is None:
            continue
        by_participant[participant_id].append(
            Held(pid, therapy, npi, frozenset(codes or ()), start, end, approved or 0)
        )
        used[pid] = used_units or 0
    return by_participant, used


def lock_ledgers(session: Session, keys: Iterable[tuple[str, str]]) -> None:
    """Create (if needed) and lock the ledger rows of (participant, year key), in key order."""
    _batch(connection(session), "lock_ledger", sorted(set(keys)))


def ledger_used(session: Session, participant_ids: Collection[str]) -> dict[tuple[str, str], int]:
    if not participant_ids:
        return {}
    rows = connection(session).execute(_LEDGER_USED, {"ids": list(participant_ids)})
    return {(pid, key): used or 0 for pid, key, used in rows}


def used_between(session: Session, participant_id: str, first: date, last: date) -> int:
    """Return the units covered on lines (not voided) with a date of service in [first, last]."""
    total = connection(session).execute(
        select(func.coalesce(func.sum(LINES.c.covered_units), 0)).where(
            LINES.c.participant_id == participant_id,
            LINES.c.date_of_service >= first,
            LINES.c.date_of_service <= last,
            LINES.c.voided_by.is_(None),
        )
    )
    return int(total.scalar() or 0)


def used_by_therapy(
    session: Session, participant_id: str, first: date, last: date
) -> dict[str, int]:
    """Return the units covered by therapy on lines with a date of service in [first, last]."""
    rows = connection(session).execute(
        select(LINES.c.therapy, func.sum(LINES.c.covered_units))
        .where(
            LINES.c.participant_id == participant_id,
            LINES.c.date_of_service >= first,
            LINES.c.date_of_service <= last,
            LINES.c.voided_by.is_(None),
            LINES.c.therapy.is_not(None),
        )
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
    conn = connection(session)
    if new_lines:
        insert_lines(conn, new_lines)
    _batch(conn, "void", [(by, claim, line) for claim, line, by in voided])
    _batch(conn, "add_used_precert", [(u, pid) for pid, u in sorted(precert_used.items()) if u])
    ledgers = sorted(ledger_used_delta.items())
    _batch(conn, "add_used_ledger", [(u, pid, key) for (pid, key), u in ledgers if u])


def used_by_day(
    session: Session, participant_id: str, first: date, last: date
) -> list[tuple[date, int]]:
    """Return the units covered per date of service in [first, last] (voided lines excluded)."""
    rows = connection(session).execute(
        select(LINES.c.date_of_service, func.sum(LINES.c.covered_units))
        .where(
            LINES.c.participant_id == participant_id,
            LINES.c.date_of_service >= first,
            LINES.c.date_of_service <= last,
            LINES.c.voided_by.is_(None),
            LINES.c.covered_units > 0,
        )
        .group_by(LINES.c.date_of_service)
        .order_by(LINES.c.date_of_service)
    )
    return [(on, int(units or 0)) for on, units in rows]
