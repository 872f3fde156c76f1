"""`precert claims import FILE` of CSV claim lines, on SQLite and PostgreSQL.

The pre-certifications are made through the API (the `claims` cast); the file is imported with
the `precert` command against the same database; what it used is read back through the API.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from precert.cli import main
from tests.claims.conftest import Claims
from tests.claims.x12_writer import write_837p
from tests.conftest import npi

COLUMNS = (
    "claim_id",
    "line_number",
    "frequency",
    "original_claim_id",
    "participant_id",
    "billing_npi",
    "rendering_npi",
    "procedure_code",
    "diagnosis_codes",
    "date_of_service",
    "units",
)
PARTICIPANT_ONE = "10000001"  # the `claims` cast's participant
RESULT_COLUMNS = [
    "source_line",
    "claim_id",
    "line_number",
    "outcome",
    "covered_units",
    "precert_id",
    "reason_codes",
    "reasons",
]


class Importer:
    """Writes claim files and runs `precert claims import` against the test database."""

    def __init__(self, claims: Claims, tmp_path: Path) -> None:
        self.claims = claims
        self.tmp_path = tmp_path
        self.runner = CliRunner()

    def file(self, name: str, lines: list[dict[str, Any]], *, separator: str = " ") -> Path:
        """Write `lines` as CSV with the documented header; return the path."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(COLUMNS)
        for line in lines:
            row = dict(line)
            codes = row.get("diagnosis_codes", "")
            if isinstance(codes, list):
                row["diagnosis_codes"] = separator.join(codes)
            writer.writerow([row.get(c, "") for c in COLUMNS])
        path = self.tmp_path / name
        path.write_text(out.getvalue(), encoding="utf-8")
        return path

    def __call__(self, path: Path, *args: str, expect: int = 0) -> Result:
        result = self.runner.invoke(
            main,
            ["claims", "import", str(path), *args],
            env={"PRECERT_DATABASE_URL": self.claims.s.world.url},
            catch_exceptions=False,
        )
        assert result.exit_code == expect, result.output
        return result

    @staticmethod
    def results(path: Path) -> list[dict[str, str]]:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            assert reader.fieldnames == RESULT_COLUMNS
            return list(reader)


@pytest.fixture
def importer(claims: Claims, tmp_path: Path) -> Importer:
    return Importer(claims, tmp_path)


def brief(row: dict[str, str]) -> tuple[str, str, str, str]:
    return row["claim_id"], row["outcome"], row["covered_units"], row["reason_codes"]


def test_import_writes_one_result_per_line_and_a_summary(
    importer: Importer, claims: Claims
) -> None:
    pc = claims.s.approved(units=10)["id"]
    pt2 = claims.s.npis["pt2"]
    lines = [
        claims.line("A", units=4, diagnosis_codes=["M54.50", "M54.2"]),
        claims.line("B", billing_npi=pt2, rendering_npi=pt2),
        claims.line("C", units=4, frequency="1"),
        claims.line("D", units=4),
        claims.line("V", frequency="8", original_claim_id="A"),
        claims.line("E", procedure_code="99999"),
    ]
    path = importer.file("claims.csv", lines, separator="|")

    result = importer(path)

    out = Path(str(path) + ".results.csv")
    rows = importer.results(out)
    assert [r["source_line"] for r in rows] == ["2", "3", "4", "5", "6", "7"]
    assert [brief(r) for r in rows] == [
        ("A", "covered", "4", ""),
        ("B", "not_covered", "0", "BILLING_PROVIDER_MISMATCH"),
        ("C", "covered", "4", ""),
        ("D", "reduced", "2", "PRECERT_UNITS_EXHAUSTED"),
        ("V", "not_covered", "0", "CLAIM_LINE_VOIDED"),
        ("E", "not_covered", "0", "PROCEDURE_NOT_IN_PROGRAM"),
    ]
    assert [r["precert_id"] for r in rows] == [pc] * 5 + [""]
    assert all(r["line_number"] == "1" for r in rows)
    assert rows[0]["reasons"] == ""
    assert rows[3]["reasons"].startswith("4 units were billed")
    assert "99999" in rows[5]["reasons"]
    summary = result.stdout
    assert "6 lines recorded (2 covered, 1 reduced, 3 not_covered)" in summary
    # The void line's 4 units count as billed (the summary sums every line's units).
    assert "units billed 24, covered 10" in summary
    assert str(out) in summary
    # Recorded: A's units came back with the void.
    assert claims.count() == 6
    assert claims.used(pc) == (6, 4)
    assert claims.s.units()["used"] == 6


def test_import_to_a_named_result_file_with_several_reasons(
    importer: Importer, claims: Claims
) -> None:
    claims.s.approved(units=10)
    path = importer.file("in.csv", [claims.line("A", units=12, diagnosis_codes=["M54.50"])])
    out = importer.tmp_path / "out" / "answers.csv"
    out.parent.mkdir()

    result = importer(path, "--out", str(out))

    (row,) = importer.results(out)
    assert brief(row) == ("A", "reduced", "10", "PRECERT_UNITS_EXHAUSTED")
    assert str(out) in result.stdout
    assert not Path(str(path) + ".results.csv").exists()


def test_a_file_with_bad_rows_lists_every_one_and_records_nothing(
    importer: Importer, claims: Claims
) -> None:
    pc = claims.s.approved(units=10)["id"]
    bad_npi = npi(11)[:-1] + str((int(npi(11)[-1]) + 1) % 10)
    lines = [
        claims.line("A"),  # line 2, good
        claims.line("B", units=0),  # line 3
        claims.line("C"),  # line 4, good
        claims.line("D", billing_npi=bad_npi, date_of_service="2026-02-30"),  # line 5
        claims.line("E", participant_id="99999999"),  # line 6
        claims.line("F", frequency="void", original_claim_id="NOPE"),  # line 7
        claims.line("G", procedure_code="ABC", units=121),  # line 8
    ]
    path = importer.file("bad.csv", lines)
    with path.open("a", encoding="utf-8") as handle:
        handle.write("H,1,original\n")  # line 9: too few fields

    result = importer(path, expect=1)

    err = result.stderr
    assert "nothing recorded" in err
    problems = [line.strip() for line in err.splitlines() if line.startswith("  line ")]
    numbers = [int(p.split(":", 1)[0].removeprefix("line ")) for p in problems]
    assert sorted(set(numbers)) == [3, 5, 6, 7, 8, 9], err
    assert numbers == sorted(numbers), "problems are listed in file order"
    assert any(p.startswith("line 3: units") for p in problems), err
    assert any(p.startswith("line 5: billing_npi") for p in problems), err
    assert any(p.startswith("line 5: date_of_service") for p in problems), err
    assert any(p.startswith("line 6: participant_id") for p in problems), err
    assert any(p.startswith("line 7: original_claim_id") for p in problems), err
    assert any(p.startswith("line 8: procedure_code") for p in problems), err
    assert any(p.startswith("line 8: units") for p in problems), err
    assert any(p.startswith("line 9:") and "fields" in p for p in problems), err
    assert f"{len(problems)} problem(s)" in err
    assert claims.count() == 0
    assert claims.used(pc) == (0, 10)
    assert not Path(str(path) + ".results.csv").exists()


def test_a_file_missing_a_column_records_nothing(importer: Importer, claims: Claims) -> None:
    path = importer.tmp_path / "short.csv"
    path.write_text("claim_id,line_number,participant_id\nA,1,10000001\n", encoding="utf-8")
    result = importer(path, expect=1)
    assert "line 1" in result.stderr and "billing_npi" in result.stderr
    assert claims.count() == 0


@pytest.mark.parametrize("where", ["no such folder", "a folder"])
def test_a_result_file_that_cannot_be_written_is_said_before_anything_is_recorded(
    importer: Importer, claims: Claims, where: str
) -> None:
    claims.s.approved(units=10)
    path = importer.file("in.csv", [claims.line("A", units=2)])
    out = importer.tmp_path / "missing" / "out.csv"
    said = f"--out: cannot write the result file {out}"
    if where == "a folder":
        out = importer.tmp_path / "a-folder"
        out.mkdir()
        said = "Invalid value for '--out'"

    result = importer(path, "--out", str(out), expect=2)

    assert said in result.output
    assert "Traceback" not in result.output
    assert claims.count() == 0


@pytest.mark.parametrize("order", ["documented", "shuffled"])
def test_columns_of_the_sender_beyond_ours_are_ignored(
    importer: Importer, claims: Claims, order: str
) -> None:
    pc = claims.s.approved(units=10)["id"]
    line = claims.line("A", units=4)
    columns = [*COLUMNS, "note"] if order == "documented" else ["note", *reversed(COLUMNS)]
    values = {**line, "diagnosis_codes": "M54.50", "note": "sent by the clinic, with a comma"}
    path = importer.tmp_path / f"extra-{order}.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        writer.writerow([values.get(c, "") for c in columns])

    importer(path)

    rows = importer.results(Path(str(path) + ".results.csv"))
    assert [brief(r) for r in rows] == [("A", "covered", "4", "")]
    assert claims.used(pc) == (4, 6)


def test_importing_the_same_file_twice_changes_nothing(importer: Importer, claims: Claims) -> None:
    pc = claims.s.approved(units=10)["id"]
    lines = [
        claims.line("A", units=4),
        claims.line("B", units=4),
        claims.line("V", frequency="void", original_claim_id="A"),
        claims.line("C", units=4),
        claims.line("D", units=4),
    ]
    path = importer.file("twice.csv", lines)
    out = importer.tmp_path / "results.csv"

    importer(path, "--out", str(out))
    first = out.read_text(encoding="utf-8")
    used = claims.used(pc)
    units = claims.s.units()
    assert used == (10, 0)

    second = importer(path, "--out", str(out))

    assert out.read_text(encoding="utf-8") == first
    assert claims.used(pc) == used
    assert claims.s.units() == units
    assert claims.count() == 5
    assert "5 lines recorded (3 covered, 1 reduced, 1 not_covered)" in second.stdout


def test_a_void_of_a_line_earlier_in_the_file(importer: Importer, claims: Claims) -> None:
    pc = claims.s.approved(units=10)["id"]
    lines = [
        claims.line("A", units=6),
        claims.line("R", frequency="replacement", original_claim_id="A", units=10),
        claims.line("V", frequency="void", original_claim_id="R"),
    ]
    path = importer.file("earlier.csv", lines)

    importer(path, "--chunk", "1")

    rows = importer.results(Path(str(path) + ".results.csv"))
    assert [brief(r) for r in rows] == [
        ("A", "covered", "6", ""),
        ("R", "covered", "10", ""),
        ("V", "not_covered", "0", "CLAIM_LINE_VOIDED"),
    ]
    assert claims.used(pc) == (0, 10)


@pytest.mark.parametrize(
    "lines",
    [
        pytest.param(
            [("V", "void", "A"), ("A", "", "")],
            id="void-before-its-original",
        ),
        pytest.param(
            [("A", "", ""), ("R", "replacement", "Z"), ("Z", "", "")],
            id="replacement-before-its-original",
        ),
        pytest.param([("A", "", ""), ("V", "void", "NOPE")], id="void-of-an-unknown-line"),
    ],
)
def test_a_correction_of_a_later_or_unknown_line_is_a_problem(
    importer: Importer, claims: Claims, lines: list[tuple[str, str, str]]
) -> None:
    claims.s.approved(units=10)
    rows = [
        claims.line(claim_id, frequency=frequency, original_claim_id=original)
        for claim_id, frequency, original in lines
    ]
    (bad,) = [i + 2 for i, (_, frequency, _) in enumerate(lines) if frequency]
    path = importer.file("later.csv", rows)

    result = importer(path, expect=1)

    assert f"line {bad}: original_claim_id" in result.stderr
    assert "1 problem(s)" in result.stderr
    assert claims.count() == 0


def test_a_void_in_the_file_of_a_line_recorded_before(importer: Importer, claims: Claims) -> None:
    pc = claims.s.approved(units=10)["id"]
    claims.record(claims.line("A", units=6))
    path = importer.file("void.csv", [claims.line("V", frequency="void", original_claim_id="A")])

    importer(path)

    assert claims.used(pc) == (0, 10)


def test_chunks_of_2_give_the_same_answers_as_the_default(
    importer: Importer, claims: Claims
) -> None:
    """Two participants with the same period: one file in chunks of 2, the same lines at once."""
    s = claims.s
    other = s.world.participant("10000002")
    mine = s.approved(units=10)["id"]
    theirs = s.complete(s.start(participant_id=other), units=10)["id"]

    def lines(prefix: str, participant_id: str) -> list[dict[str, Any]]:
        def line(name: str, **kw: Any) -> dict[str, Any]:
            return claims.line(prefix + name, participant_id=participant_id, **kw)

        return [
            line("1", units=4),
            line("2", units=4),
            line("3", units=4),  # reduced to 2: crosses into the second chunk
            line("V", frequency="void", original_claim_id=prefix + "1"),
            line("4", units=3),  # covered with the 4 given back
            line("2", units=4),  # a retry of line 2, in a later chunk
            line("5", units=2),  # reduced to the 1 left
            line("6", procedure_code="99999"),
            line("7", units=1),  # none left
        ]

    chunked = importer.file("chunked.csv", lines("X", PARTICIPANT_ONE))
    whole = importer.file("whole.csv", lines("Y", other))

    importer(chunked, "--chunk", "2")
    importer(whole)

    def answers(path: Path, precert_id: str) -> list[tuple[str, ...]]:
        rows = importer.results(Path(str(path) + ".results.csv"))
        return [
            (
                r["source_line"],
                r["claim_id"][1:],
                r["outcome"],
                r["covered_units"],
                "PC" if r["precert_id"] == precert_id else r["precert_id"],
                r["reason_codes"],
            )
            for r in rows
        ]

    expected = [
        ("2", "1", "covered", "4", "PC", ""),
        ("3", "2", "covered", "4", "PC", ""),
        ("4", "3", "reduced", "2", "PC", "PRECERT_UNITS_EXHAUSTED"),
        ("5", "V", "not_covered", "0", "PC", "CLAIM_LINE_VOIDED"),
        ("6", "4", "covered", "3", "PC", ""),
        ("7", "2", "covered", "4", "PC", ""),
        ("8", "5", "reduced", "1", "PC", "PRECERT_UNITS_EXHAUSTED"),
        ("9", "6", "not_covered", "0", "", "PROCEDURE_NOT_IN_PROGRAM"),
        ("10", "7", "not_covered", "0", "PC", "PRECERT_UNITS_EXHAUSTED"),
    ]
    assert answers(chunked, mine) == expected
    assert answers(whole, theirs) == expected
    assert claims.used(mine) == claims.used(theirs) == (10, 0)


def test_users_add_claims_system_gives_a_token_that_may_record(
    importer: Importer, claims: Claims
) -> None:
    pc = claims.s.approved(units=10)["id"]
    result = importer.runner.invoke(
        main,
        ["users", "add", "--role", "claims_system", "--name", "MMIS claims"],
        env={"PRECERT_DATABASE_URL": claims.s.world.url},
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    token = result.stdout.rstrip("\n").splitlines()[-1]
    claims.s.headers["mmis"] = {"Authorization": f"Bearer {token}"}

    (answer,) = claims.record(claims.line(units=4), as_="mmis")

    assert answer["outcome"] == "covered"
    assert claims.used(pc) == (4, 6)


def test_an_837p_file_is_imported_like_a_csv(importer: Importer, claims: Claims) -> None:
    """A small 837P round trip: written with x12sdk's models, read back, decided, recorded."""
    pc = claims.s.approved(units=10)["id"]

    def x12(line: dict[str, Any]) -> dict[str, Any]:
        raw = {k: str(v) for k, v in line.items() if k != "diagnosis_codes"}
        raw["diagnosis_codes"] = [c.replace(".", "") for c in line["diagnosis_codes"]]
        raw.setdefault("frequency", "1")
        raw.setdefault("original_claim_id", "")
        return raw

    lines = [
        x12(claims.line("X837-1", units=4)),
        x12({**claims.line("X837-1", units=8), "line_number": 2}),
        x12(claims.line("X837-2", units=3, frequency="8", original_claim_id="X837-1")),
    ]
    path = importer.tmp_path / "claims.837"
    path.write_text(write_837p(lines), encoding="utf-8")

    result = importer(path)

    rows = importer.results(Path(str(path) + ".results.csv"))
    assert [brief(r) for r in rows] == [
        ("X837-1", "covered", "4", ""),
        ("X837-1", "reduced", "6", "PRECERT_UNITS_EXHAUSTED"),
        ("X837-2", "not_covered", "0", "CLAIM_LINE_VOIDED"),
    ]
    assert "3 lines recorded" in result.stdout
    assert claims.used(pc) == (6, 4)  # line 1's 4 units came back with the void


def test_a_bad_837p_file_records_nothing(importer: Importer, claims: Claims) -> None:
    path = importer.tmp_path / "broken.837"
    path.write_text("ISA*00*this is not a whole interchange~", encoding="utf-8")

    result = importer(path, expect=1)

    assert "nothing recorded" in result.output
    assert claims.count() == 0
