"""The SQLite lane of `precert claims import` (`claims.columnar`) gives the engine's answers.

The lane decides the lines of participants with one chain of units as columns, and hands the
rest to the batch recorder; these tests build batches where most participants take the lane
(one pre-certification each, every reason on the way) and hold it to the engine line for line,
and check which files it takes. On PostgreSQL the same tests run the general path (the lane is
SQLite's), so both paths are held to the same answers.
"""

from __future__ import annotations

import csv
import io
import random
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from precert.claims.columnar import chunk as chunks
from precert.claims.columnar import reading, run
from precert.claims.lines import FIELDS
from tests.claims.conftest import Claims
from tests.claims.test_batch import _approved, _engine_answers, import_answers
from tests.claims.test_import_cli import Importer, importer

__all__ = ["importer"]

# One pre-certification each (and one participant with two, so two chains: the recorder's).
B, C, D, E, F, G, H = (f"1000000{n}" for n in range(2, 9))


@pytest.fixture
def lane(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The number of lines the lane decided as columns, per chunk."""
    counted: list[int] = []
    store = chunks.Chunk._store

    def counting(self: chunks.Chunk, session: Any, decided: Any, now: Any) -> None:
        counted.append(decided.height)
        store(self, session, decided, now)

    monkeypatch.setattr(chunks.Chunk, "_store", counting)
    return counted


def _sqlite(claims: Claims) -> bool:
    return claims.s.world.url.startswith("sqlite")


def _cast(claims: Claims) -> dict[str, str]:
    world = claims.s.world
    world.participant(B)
    world.participant(C, spans=((date(2020, 1, 1), date(2026, 4, 20)),))
    for pid in (D, E, F, G, H):
        world.participant(pid)
    return {
        "main": _approved(claims, "physical_therapy", units=14),
        "B": _approved(claims, "chiropractic", units=9, participant_id=B),
        "C": _approved(claims, "acupuncture", units=12, participant_id=C),
        # Only 97110 authorized: 97530 is PROCEDURE_NOT_AUTHORIZED.
        "D": _approved(
            claims, "physical_therapy", units=10, participant_id=D, procedure_codes=["97110"]
        ),
        # E holds none; F's was completed by the second PT clinic; G holds two therapies.
        "F": _approved(claims, "physical_therapy", units=8, participant_id=F, as_="pt2"),
        "G1": _approved(claims, "physical_therapy", units=6, participant_id=G),
        "G2": _approved(claims, "chiropractic", units=6, participant_id=G),
        # H holds two PT periods at once (two clinics): each line has two to choose from.
        "H1": _approved(claims, "physical_therapy", units=5, participant_id=H),
        "H2": _approved(claims, "physical_therapy", units=5, participant_id=H, as_="pt2"),
    }


def _lines(claims: Claims, rng: random.Random, size: int, prefix: str) -> list[dict[str, Any]]:
    npis = claims.s.npis
    performer = {"97110": "pt", "97530": "pt", "98940": "chiro", "97810": "acu", "99999": "pt"}
    people = [claims.s.participant_id, B, C, D, E, F, G, H]
    lines = []
    for n in range(size):
        code = rng.choice(list(performer))
        who = performer[code] if rng.random() < 0.9 else rng.choice(["pt", "pt2", "chiro"])
        lines.append(
            {
                "claim_id": f"{prefix}{n}",
                "line_number": rng.choice([1, 1, 2]),
                "frequency": "original",
                "original_claim_id": "",
                "participant_id": rng.choice(people),
                "billing_npi": npis[who],
                "rendering_npi": npis[who],
                "procedure_code": code,
                "diagnosis_codes": rng.choice(["M54.50", "M54.50 M54.2", "M54.5", "G89.29"]),
                "date_of_service": date.fromordinal(
                    date(2026, 3, 20).toordinal() + rng.randrange(80)
                ).isoformat(),
                "units": rng.choice([1, 2, 3, 4, 5, 8]),
            }
        )
    return lines


@pytest.mark.parametrize(("seed", "chunk"), [(11, "23"), (12, "1000"), (13, None)])
def test_a_batch_of_single_chains_gets_the_engines_answers_line_for_line(
    claims: Claims, importer: Importer, lane: list[int], seed: int, chunk: str | None
) -> None:
    _cast(claims)
    lines = _lines(claims, random.Random(seed), 300, "L")
    expected = _engine_answers(claims, lines)
    path = importer.file(f"lane-{seed}.csv", lines)

    importer(path, *(["--chunk", chunk] if chunk else []))

    assert import_answers(importer, path) == expected
    codes = {code for row in expected for code in row[5].split()}
    assert {
        "NO_PRECERT",
        "BILLING_PROVIDER_MISMATCH",
        "PROCEDURE_NOT_AUTHORIZED",
        "PRECERT_UNITS_EXHAUSTED",
        "PARTICIPANT_NOT_ELIGIBLE",
        "DIAGNOSIS_NOT_APPROVED",
        "PROCEDURE_NOT_IN_PROGRAM",
    } <= codes
    assert {row[2] for row in expected} == {"covered", "reduced", "not_covered"}
    if _sqlite(claims):  # all but G's and H's lines (the recorder's) are decided as columns
        aside = sum(1 for line in lines if line["participant_id"] in (G, H))
        if chunk == "23":  # except where a chunk holds none of their lines that draw on units
            assert len(lines) - aside <= sum(lane) < len(lines)
        else:
            assert aside > 0 and sum(lane) == len(lines) - aside


def test_the_annual_limit_cuts_a_single_chain_as_the_engine_does(
    claims: Claims, importer: Importer, lane: list[int]
) -> None:
    """A PT period of 2026 runs into 2027, where chiropractic units were used first: the PT
    lines of 2027 meet the year's limit (and the period's own end) on their own chain."""
    s = claims.s
    pt = s.approved(units=40)["id"]
    later = s.complete(
        s.start("chiropractic", start_date="2027-01-05"), units=110, start_date="2027-01-05"
    )
    assert later["status"] == "approved", later
    in_2027 = {"date_of_service": "2027-02-01"}
    imports = {
        # 100 chiropractic units used in 2027: 20 left in the year, 40 on the PT period.
        "chiro.csv": [claims.line(f"K{n}", "chiropractic", units=25, **in_2027) for n in range(4)],
        "pt-2027.csv": [
            claims.line("P1", units=8, **in_2027),
            claims.line("P2", units=8, **in_2027),
            claims.line("P3", units=8, **in_2027),  # 4 left in the year
            claims.line("P4", units=2, **in_2027),  # none
        ],
        # Two chains (2027, and 2026 where the period has 20 of its 40 left): the recorder's.
        "both-years.csv": [
            claims.line("P5", units=2, **in_2027),
            claims.line("P6", units=20, date_of_service="2026-06-01"),
        ],
    }
    got = []
    for name, lines in imports.items():
        lines = [{**line, "diagnosis_codes": "M54.50"} for line in lines]
        expected = _engine_answers(claims, lines)
        path = importer.file(name, lines)
        importer(path)
        assert import_answers(importer, path) == expected
        got += [(g[2], g[3], g[4], g[5]) for g in expected]

    assert got[4:] == [
        ("covered", "8", pt, ""),
        ("covered", "8", pt, ""),
        ("reduced", "4", pt, "UNITS_REDUCED_TO_LIMIT"),
        ("not_covered", "0", pt, "ANNUAL_LIMIT_REACHED"),
        ("not_covered", "0", pt, "ANNUAL_LIMIT_REACHED"),
        ("covered", "20", pt, ""),
    ]
    assert claims.used(pt) == (40, 0)
    if _sqlite(claims):  # one chain each in the first two imports: decided as columns
        assert lane == [4, 4]


def _write(path: Path, header: list[str], rows: list[list[str]], **style: Any) -> Path:
    out = io.StringIO()
    writer = csv.writer(out, **style)
    writer.writerow(header)
    writer.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8", newline="")
    return path


def _values(line: dict[str, Any]) -> list[str]:
    return [str(line[name]) for name in FIELDS]


@pytest.mark.parametrize(
    ("variant", "taken"),
    [
        ("plain", True),
        ("crlf", True),
        ("reordered, with a column of the sender's", True),
        ("quoted", False),
        ("a blank line", False),
        ("a lone space around an ID", False),
    ],
)
def test_the_lane_takes_only_files_it_reads_as_csv_does(
    claims: Claims, importer: Importer, lane: list[int], variant: str, taken: bool
) -> None:
    """Whichever way the file is written, the answers are the engine's; the lane takes only
    what it reads exactly as `csv` does (the rest goes the general way)."""
    _cast(claims)
    lines = _lines(claims, random.Random(7), 40, "V")
    expected = _engine_answers(claims, lines)
    header, rows = list(FIELDS), [_values(line) for line in lines]
    style: dict[str, Any] = {"lineterminator": "\n"}
    if variant == "crlf":
        style["lineterminator"] = "\r\n"
    elif variant == "quoted":
        style["quoting"] = csv.QUOTE_ALL
    elif variant.startswith("reordered"):
        header = [*reversed(FIELDS), "note"]
        rows = [[*reversed(row), "sent by the clinic"] for row in rows]
    elif variant == "a lone space around an ID":
        rows[5][0] = f" {rows[5][0]}"
    path = _write(importer.tmp_path / "variant.csv", header, rows, **style)
    if variant == "a blank line":
        text = path.read_text(encoding="utf-8").split("\n")
        path.write_text("\n".join([*text[:5], "", *text[5:]]), encoding="utf-8")

    importer(path)

    got = import_answers(importer, path) if variant != "a blank line" else None
    if got is not None:
        assert got == expected
    else:  # the blank line shifts the file's line numbers after it, not the answers
        rows_out = importer.results(Path(str(path) + ".results.csv"))
        assert [
            (r["claim_id"], r["line_number"], r["outcome"], r["covered_units"], r["precert_id"])
            for r in rows_out
        ] == [e[:5] for e in expected]
    if _sqlite(claims):
        assert bool(lane) == taken


def test_a_file_the_lane_takes_reports_every_bad_row_and_records_nothing(
    claims: Claims, importer: Importer, lane: list[int]
) -> None:
    _cast(claims)
    lines = _lines(claims, random.Random(3), 30, "X")
    lines[4]["units"] = 121
    lines[9]["participant_id"] = "99999999"
    path = importer.file("bad.csv", lines)

    result = importer(path, expect=1)

    assert "line 6: units" in result.output
    assert "line 11: participant_id: no MO HealthNet participant has ID 99999999" in result.output
    assert claims.count() == 0
    assert lane == []


@pytest.mark.parametrize("where", ["header", "row"])
def test_a_file_that_is_not_utf8_is_a_clear_error_not_a_trace(
    claims: Claims, importer: Importer, lane: list[int], where: str
) -> None:
    _cast(claims)
    path = importer.file("latin.csv", _lines(claims, random.Random(5), 10, "U"))
    data = path.read_bytes()
    at = data.index(b"units") if where == "header" else data.rindex(b"M54")
    path.write_bytes(data[:at] + b"\xe9" + data[at:])

    result = importer(path, expect=1)

    assert "cannot read the file" in result.output
    assert "Traceback" not in result.output
    assert claims.count() == 0
    assert lane == []


@pytest.mark.parametrize("chunk", ["23", None])
def test_a_file_read_in_many_blocks_and_sorted_by_participant_gets_the_engines_answers(
    claims: Claims,
    importer: Importer,
    lane: list[int],
    monkeypatch: pytest.MonkeyPatch,
    chunk: str | None,
) -> None:
    """Blocks of 1,500 bytes cut lines anywhere; a file sorted by participant puts most lines
    outside the buckets drawn from its first block (a bucket is read a block at a time)."""
    monkeypatch.setattr(reading, "BLOCK", 1500)
    _cast(claims)
    lines = sorted(_lines(claims, random.Random(21), 200, "S"), key=lambda x: x["participant_id"])
    expected = _engine_answers(claims, lines)
    path = importer.file("sorted.csv", lines)
    assert path.stat().st_size > 10 * 1500

    importer(path, *(["--chunk", chunk] if chunk else []))

    assert import_answers(importer, path) == expected
    if _sqlite(claims):
        assert sum(lane) > len(lines) // 2


def test_lines_on_record_before_the_import_keep_their_first_answers(
    claims: Claims, importer: Importer, lane: list[int]
) -> None:
    """Lines sent again in a later file keep their first answers and use no more units: pass 1
    finds them on record, and their participants go to the recorder."""
    _cast(claims)
    first = _lines(claims, random.Random(31), 120, "R")
    importer(importer.file("first.csv", first))
    new = _lines(claims, random.Random(32), 120, "N")
    again = [dict(line) for line in first if line["participant_id"] in (B, C)]
    lines = new[:60] + again + new[60:]
    expected = _engine_answers(claims, lines)
    decided_before = sum(lane)
    path = importer.file("second.csv", lines)

    importer(path, "--chunk", "50")

    assert import_answers(importer, path) == expected
    if _sqlite(claims):  # never the lines sent again; all but B's, C's, G's and H's always
        aside = sum(1 for line in lines if line["participant_id"] in (B, C, G, H))
        assert again and len(lines) - aside <= sum(lane) - decided_before
        assert sum(lane) - decided_before <= len(lines) - len(again)


def test_a_line_recorded_by_someone_else_during_the_import_keeps_that_answer(
    claims: Claims, importer: Importer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Between pass 1 and the recording, the claims system posts one of the file's lines: the
    chunk that holds it fails to insert it, is decided again looking every line up, and the
    line gets the answer already given."""
    _cast(claims)
    lines = _lines(claims, random.Random(41), 80, "I")
    posted = {k: v for k, v in lines[17].items() if k not in ("frequency", "original_claim_id")}
    posted["diagnosis_codes"] = posted["diagnosis_codes"].split()
    expected = _engine_answers(claims, [lines[17], *lines])[1:]
    check, decided = run.check, run._decided
    flags: list[bool] = []

    def check_then_post(*args: Any) -> Any:
        found = check(*args)
        claims.record(posted)
        return found

    def deciding(*args: Any, exact: bool) -> Any:
        flags.append(exact)
        return decided(*args, exact=exact)

    monkeypatch.setattr(run, "check", check_then_post)
    monkeypatch.setattr(run, "_decided", deciding)
    path = importer.file("during.csv", lines)

    importer(path)

    assert import_answers(importer, path) == expected
    if _sqlite(claims):
        assert flags == [False, True]  # one chunk, decided again


def test_a_file_that_sends_a_line_twice_looks_every_line_up(
    claims: Claims, importer: Importer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A line sent twice in one file (a retry of a line its own earlier chunk records) is
    looked up in every chunk, rather than found by a failed insert."""
    _cast(claims)
    lines = _lines(claims, random.Random(51), 120, "T")
    lines.append(dict(lines[3]))
    expected = _engine_answers(claims, lines)
    decided = run._decided
    flags: list[bool] = []

    def deciding(*args: Any, exact: bool) -> Any:
        flags.append(exact)
        return decided(*args, exact=exact)

    monkeypatch.setattr(run, "_decided", deciding)
    path = importer.file("twice.csv", lines)

    importer(path, "--chunk", "20")

    assert import_answers(importer, path) == expected
    if _sqlite(claims):
        assert len(flags) > 1 and all(flags)


def test_a_database_error_while_recording_is_a_clear_error_not_a_trace(
    claims: Claims, importer: Importer
) -> None:
    """The database refuses every claim line (a trigger): the import says so and exits 2, on
    SQLite from the lane and on PostgreSQL from each of two worker processes."""
    _cast(claims)
    lines = _lines(claims, random.Random(61), 60, "E")
    path = importer.file("refused.csv", lines)
    sqlite = _sqlite(claims)
    if sqlite:
        refuse = [
            "CREATE TRIGGER refuse BEFORE INSERT ON claim_lines "
            "BEGIN SELECT RAISE(ABORT, 'claim lines refused'); END"
        ]
        allow = ["DROP TRIGGER refuse"]
    else:
        refuse = [
            "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'claim lines refused'; END $$",
            "CREATE TRIGGER refuse BEFORE INSERT ON claim_lines "
            "FOR EACH ROW EXECUTE FUNCTION refuse()",
        ]
        allow = ["DROP TRIGGER refuse ON claim_lines", "DROP FUNCTION refuse()"]
    engine = claims.s.world.engine
    with engine.begin() as conn:
        for statement in refuse:
            conn.exec_driver_sql(statement)
    try:
        result = importer(path, *([] if sqlite else ["--workers", "2"]), expect=2)
    finally:
        with engine.begin() as conn:
            for statement in allow:
                conn.exec_driver_sql(statement)

    error = "IntegrityError" if sqlite else "RaiseException"
    assert f"cannot use the database ({error})" in result.output
    assert "Traceback" not in result.output
    assert claims.count() == 0
