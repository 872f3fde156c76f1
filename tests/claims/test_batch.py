"""The batch path of `precert claims import` gives exactly the engine's answers.

The importer reads lines with a cached reader, regroups them by participant (sorted runs on
disk) and decides simple lines in a loop of its own; these tests hold it to the reader and the
engine the API uses: the same checks, and for a random batch with corrections, retries,
several pre-certifications and every reason, the same answers line for line.
"""

from __future__ import annotations

import itertools
import random
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from precert.claims import engine, spool
from precert.claims.batch import Reader, row_of
from precert.claims.lines import FIELDS, read_line
from precert.db import begin
from precert.policy.loader import default_policy_book
from tests.claims.conftest import Claims
from tests.claims.test_import_cli import Importer, importer
from tests.conftest import npi

# Each field: well-formed values, and the near misses the reader must send to `read_line`.
VALUES = {
    "claim_id": ["CLM-1", "a.b_c", " CLM-2 ", "", "-X", "C" * 51, "C\x00", "Ä1"],
    "line_number": ["1", "999999", " 2 ", "007", "0", "1000000", "x", "²", "1.0", ""],
    "frequency": ["", "original", "replacement", "void", " Void ", "1", "7", "8", "9", "x"],
    "original_claim_id": ["", "CLM-0", " CLM-0 ", "CLM-1", "bad id", " "],
    "participant_id": ["10000001", " 10000001 ", "1000000", "1000000x", "", "１0000001"],
    "billing_npi": [npi(22), f" {npi(22)} ", "1234567890", "123", "", "12345678901"],
    "rendering_npi": [npi(22), npi(30), "999", ""],
    "procedure_code": ["97110", " 97110", "9711", "97110x", "", "98940", "0001F"],
    "diagnosis_codes": ["M54.50", "m5450", "M54.50|M54.2", "M54.50, M54.2", "", "XX", " M54.5 "],
    "date_of_service": ["2026-04-01", " 2026-04-01 ", "2026-02-30", "04/01/2026", "", "1899-01-01"],
    "units": ["1", "120", "121", "0", " 4 ", "4.0", "", "٣"],
}


@settings(max_examples=600, deadline=None)
@given(st.fixed_dictionaries({name: st.sampled_from(VALUES[name]) for name in FIELDS}))
def test_the_reader_accepts_only_what_read_line_accepts_and_reads_it_the_same(
    raw: dict[str, str],
) -> None:
    row = Reader().row(7, [raw[name] for name in FIELDS])
    line, problems = read_line(raw)
    if row is not None:
        assert problems == [] and line is not None
        assert row == row_of(7, line)
    if line is not None and (raw["line_number"], raw["units"]) == ("1", "1"):
        assert row is not None  # the usual forms take the fast way


def test_the_reader_sends_values_that_are_not_text_to_read_line() -> None:
    values: list[Any] = ["CLM-1", 1, "", "", "10000001", npi(22), npi(22), "97110"]
    values += [["M54.50"], "2026-04-01", 4]
    assert Reader().row(2, values) is None
    line, problems = read_line(dict(zip(FIELDS, values, strict=True)))
    assert problems == [] and line is not None and line.units == 4


def test_runs_merge_in_order_and_groups_keep_equal_keys_together() -> None:
    rng = random.Random(4)
    items = [(f"P{rng.randrange(40):02d}", n) for n in range(3000)]
    runs = spool.Runs()
    try:
        for first in range(0, len(items), 700):
            runs.add(sorted(items[first : first + 700]))
        merged = list(runs.merged())
        assert merged == sorted(items)
        chunks = list(spool.groups(merged, 250))
        assert [item for chunk in chunks for item in chunk] == merged
        keys = [{item[0] for item in chunk} for chunk in chunks]
        for before, after in itertools.pairwise(keys):
            assert not before & after  # a participant is never split across chunks
        assert all(len(chunk) >= 250 for chunk in chunks[:-1])
        assert [len(run) for run in runs.each_run()] == [700] * 4 + [200]
    finally:
        runs.close()


OTHER = "10000002"
NO_PRECERT = "10000003"
LAPSED = "10000004"

__all__ = ["importer"]  # the fixture, shared with the CLI tests


def _batch(
    claims: Claims, rng: random.Random, size: int, corrections: bool
) -> list[dict[str, Any]]:
    """Random lines: three therapies, right and wrong NPIs, dates in and out of the periods,
    units that run precerts and the year dry, and voids, replacements and retries."""
    npis = claims.s.npis
    billers = [npis["pt"], npis["pt2"], npis["chiro"], npis["acu"], npi(9999)]
    codes = ["97110", "97530", "98940", "97810", "97811", "99999"]
    people = [claims.s.participant_id, OTHER, NO_PRECERT, LAPSED]
    lines: list[dict[str, Any]] = []
    for n in range(size):
        roll = rng.random() if corrections else 1.0
        if lines and roll < 0.08:  # a void or a replacement of an earlier line
            original = rng.choice(lines)
            if original.get("frequency", "original") != "original":
                continue
            kind = rng.choice(["void", "replacement"])
            line = dict(original, claim_id=f"R{n}", frequency=kind)
            line["original_claim_id"] = original["claim_id"]
            if kind == "replacement":
                line["units"] = rng.randint(1, 6)
            lines.append(line)
            continue
        if lines and roll < 0.12:  # a retry of an earlier line, as sent before
            lines.append(dict(rng.choice(lines)))
            continue
        code = rng.choice(codes)
        biller = rng.choice(billers)
        if rng.random() < 0.6:  # mostly the right provider for the code
            biller = {"9": npis["chiro"], "97810": npis["acu"], "97811": npis["acu"]}.get(
                code[:5] if code.startswith("978") else code[:1], rng.choice(billers[:2])
            )
        lines.append(
            {
                "claim_id": f"C{n}",
                "line_number": rng.choice([1, 1, 2]),
                "frequency": "original",
                "original_claim_id": "",
                "participant_id": rng.choice(people),
                "billing_npi": biller,
                "rendering_npi": biller,
                "procedure_code": code,
                "diagnosis_codes": rng.choice(
                    ["M54.50", "M54.50 M54.2", "M54.50", "M54.5", "G89.29"]
                ),
                "date_of_service": date.fromordinal(
                    date(2026, 3, 20).toordinal() + rng.randrange(80)
                ).isoformat(),
                "units": rng.choice([1, 2, 3, 4, 5, 8, 12, 30]),
            }
        )
    return lines


def _approved(
    claims: Claims, therapy: str, units: int, participant_id: str | None = None, **kw: Any
) -> str:
    """Make an approved pre-certification; one that overlaps another is approved on review."""
    step1 = claims.s.start(therapy, participant_id=participant_id or claims.s.participant_id)
    found = claims.s.complete(step1, units=units, **kw)
    if found["status"] == "pended":
        r = claims.s.review(found["id"], {"decision": "approve", "note": "second clinic"})
        assert r.status_code == 200, r.text
    assert found["participant_id"] == (participant_id or claims.s.participant_id)
    return str(found["id"])


def _engine_answers(claims: Claims, lines: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """The engine's answers for `lines` in file order, in a transaction that is rolled back."""
    parsed = []
    for raw in lines:
        line, problems = read_line({k: str(v) for k, v in raw.items()})
        assert line is not None, problems
        parsed.append(line)
    session = claims.s.world.sessions()
    try:
        begin(session, write=True)
        answers = engine.decide_chunk(
            session, parsed, policies=default_policy_book(), now=datetime.now(UTC), record=True
        )
    finally:
        session.rollback()
        session.close()
    return [
        (
            a["claim_id"],
            str(a["line_number"]),
            a["outcome"],
            str(a["covered_units"]),
            a["precert_id"] or "",
            " ".join(r["code"] for r in a["reasons"]),
            " | ".join(r["message"] for r in a["reasons"]),
        )
        for a in answers
    ]


def import_answers(importer: Importer, path: Path) -> list[tuple[str, ...]]:
    """The result file of `path`'s import, one row per line in file order, as
    `_engine_answers` gives them."""
    rows = importer.results(Path(str(path) + ".results.csv"))
    assert [r["source_line"] for r in rows] == [str(n) for n in range(2, len(rows) + 2)]
    return [
        (
            r["claim_id"],
            r["line_number"],
            r["outcome"],
            r["covered_units"],
            r["precert_id"],
            r["reason_codes"],
            r["reasons"],
        )
        for r in rows
    ]


@pytest.mark.parametrize(
    ("seed", "corrections", "workers"),
    # With corrections and retries most participants take the engine's way; without, the
    # batch loop decides nearly every line. Two workers split the participants on
    # PostgreSQL (SQLite takes one writer: the option changes nothing there).
    [(1, True, 1), (2, True, 1), (3, True, 2), (4, False, 1), (5, False, 2)],
)
def test_a_random_batch_gets_the_engines_answers_line_for_line(
    claims: Claims, importer: Importer, tmp_path: Path, seed: int, corrections: bool, workers: int
) -> None:
    world = claims.s.world
    world.participant(OTHER)
    world.participant(NO_PRECERT)
    world.participant(LAPSED, spans=((date(2020, 1, 1), date(2026, 4, 10)),))
    # Several pre-certifications per participant and therapy, some short of units.
    _approved(claims, "physical_therapy", units=7)
    _approved(claims, "physical_therapy", units=10, as_="pt2")
    _approved(claims, "physical_therapy", units=5)
    _approved(claims, "chiropractic", units=9)
    _approved(claims, "acupuncture", units=41)
    _approved(claims, "physical_therapy", units=11, participant_id=OTHER)
    _approved(claims, "physical_therapy", units=12, participant_id=LAPSED)
    lines = _batch(claims, random.Random(seed), 260, corrections)
    kinds = {line["frequency"] for line in lines}
    assert kinds == ({"original", "void", "replacement"} if corrections else {"original"})

    expected = _engine_answers(claims, lines)
    path = importer.file(f"batch-{seed}.csv", lines)
    # Small chunks: participants regrouped many times.
    importer(path, "--chunk", "23", "--workers", str(workers))

    got = import_answers(importer, path)
    assert len(got) == len(lines)
    assert got == expected
    assert {"covered", "not_covered"} <= {row[2] for row in got}
    codes = {code for row in got for code in row[5].split()}
    assert {
        "NO_PRECERT",
        "BILLING_PROVIDER_MISMATCH",
        "PRECERT_UNITS_EXHAUSTED",
        "PARTICIPANT_NOT_ELIGIBLE",
        "DIAGNOSIS_NOT_APPROVED",
        "PROCEDURE_NOT_IN_PROGRAM",
    } <= codes
    assert ("CLAIM_LINE_VOIDED" in codes) == corrections


def test_a_correction_under_another_participant_is_decided_in_file_order(
    claims: Claims, importer: Importer
) -> None:
    """A replacement that moves a line to another participant links the two: the file order
    is kept, so the units its void gives back are there for the lines after it."""
    claims.s.world.participant(OTHER)
    pc = _approved(claims, "physical_therapy", units=4)
    _approved(claims, "physical_therapy", units=4, participant_id=OTHER)
    first = claims.line("A", units=4)
    moved = claims.line("B", frequency="replacement", original_claim_id="A")
    moved["participant_id"] = OTHER
    later = claims.line("C", units=4)
    path = importer.file("moved.csv", [first, moved, later])

    importer(path, "--chunk", "1")

    rows = importer.results(Path(str(path) + ".results.csv"))
    assert [(r["claim_id"], r["outcome"], r["covered_units"]) for r in rows] == [
        ("A", "covered", "4"),
        ("B", "covered", "4"),
        ("C", "covered", "4"),  # A's units came back with B
    ]
    assert rows[2]["precert_id"] == pc
    assert claims.used(pc) == (4, 0)


def test_an_unmigrated_database_is_a_clear_error_not_a_trace(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from precert.cli import main

    path = tmp_path / "one.csv"
    path.write_text(
        ",".join(FIELDS) + f"\nA,1,,,10000001,{npi(22)},{npi(22)},97110,M54.50,2026-04-01,2\n"
    )
    result = CliRunner().invoke(
        main,
        ["claims", "import", str(path)],
        env={"PRECERT_DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}"},
    )
    assert result.exit_code == 2, result.output
    assert "is it migrated? Run `precert db upgrade`." in result.output
    assert "Traceback" not in result.output


def test_a_line_recorded_twice_by_the_batch_writer_is_sqlalchemys_integrity_error(
    claims: Claims,
) -> None:
    """The importer retries a chunk on IntegrityError; the batch writer (COPY on PostgreSQL,
    a driver-level executemany on SQLite) must raise that, not the driver's own error."""
    from sqlalchemy.exc import IntegrityError

    from precert.claims import repository

    row = ("DUP", 1, "original", None, claims.s.participant_id, npi(22), npi(22), "97110")
    row += ('["M54.50"]', "2026-04-01", 2, "physical_therapy", "not_covered", 0, None, None)
    row += ("[]", None, datetime.now(UTC))
    session = claims.s.world.sessions()
    try:
        begin(session, write=True)
        repository.insert_rows(session, [row])
        with pytest.raises(IntegrityError):
            repository.insert_rows(session, [row])
    finally:
        session.rollback()
        session.close()


def test_a_line_sent_again_under_another_participant_keeps_file_order(
    claims: Claims, importer: Importer
) -> None:
    """The second copy of a (claim_id, line_number) gets the first copy's answer, even when it
    names another participant; the two participants are linked, so the file order is kept."""
    claims.s.world.participant(OTHER)
    mine = _approved(claims, "physical_therapy", units=4)
    others = _approved(claims, "physical_therapy", units=4, participant_id=OTHER)
    first = claims.line("K", units=4)
    first["participant_id"] = OTHER  # sorts after the default participant
    again = claims.line("K", units=4)
    later = claims.line("C", units=4)
    path = importer.file("again.csv", [first, again, later])

    importer(path)

    rows = importer.results(Path(str(path) + ".results.csv"))
    assert [(r["claim_id"], r["outcome"], r["precert_id"]) for r in rows] == [
        ("K", "covered", others),
        ("K", "covered", others),  # the first copy's answer: no units of its own
        ("C", "covered", mine),
    ]
    assert claims.used(mine) == (4, 0) and claims.used(others) == (4, 0)


def test_overlapped_chunks_redo_one_whose_store_fails_and_count_units_once(
    claims: Claims, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL's importer stores chunk k on a thread while it decides chunk k+1. A chunk
    whose store fails on a line recorded meanwhile (IntegrityError) is rolled back and decided
    again; its answers are the second decision's, and no unit is counted twice."""
    from sqlalchemy.exc import IntegrityError

    from precert.claims import batch, pipeline

    claims.s.world.participant(OTHER)
    mine = _approved(claims, "physical_therapy", units=10)
    others = _approved(claims, "physical_therapy", units=10, participant_id=OTHER)
    reader = Reader()
    values = [
        ["A1", "1", "", "", claims.s.participant_id, npi(22), npi(22), "97110", "M54.50"],
        ["A2", "1", "", "", claims.s.participant_id, npi(22), npi(22), "97110", "M54.50"],
        ["B1", "1", "", "", OTHER, npi(22), npi(22), "97110", "M54.50"],
    ]
    pt = claims.s.npis["pt"]
    rows = []
    for n, line in enumerate(values, start=2):
        line[5] = line[6] = pt
        row = reader.row(n, [*line, "2026-04-01", "3"])
        assert row is not None
        rows.append(row)
    failures = []
    store = batch.Writes.store

    def flaky(self: batch.Writes, session: Any) -> None:
        if not failures:
            failures.append(self)
            raise IntegrityError("COPY claim_lines", {}, Exception("duplicate key"))
        store(self, session)

    monkeypatch.setattr(batch.Writes, "store", flaky)
    recorder = batch.Recorder(default_policy_book())
    chunks = iter([rows[:2], rows[2:]])  # chunks of whole participants

    decided = list(pipeline.overlapped(claims.s.world.sessions, recorder, chunks))

    assert len(failures) == 1
    assert [
        [(a.outcome, a.covered_units, a.precert_id) for a in answers] for _, answers in decided
    ] == [
        [("covered", 3, mine), ("covered", 3, mine)],
        [("covered", 3, others)],
    ]
    assert claims.used(mine) == (6, 4) and claims.used(others) == (3, 7)
    assert claims.count() == 3
