"""Reading claim lines out of an X12 837P with `read_837p`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from precert.claims.lines import read_line
from precert.claims.x12 import read_837p
from tests.claims.x12_writer import write_837p

FIXTURE = Path(__file__).parent / "fixtures" / "small.837"

EXPECTED: list[tuple[int, dict[str, Any]]] = [
    (
        22,
        {
            "claim_id": "CLM-837-1",
            "line_number": "1",
            "frequency": "1",
            "original_claim_id": "",
            "participant_id": "10000001",
            "billing_npi": "2000000010",
            "rendering_npi": "2000000010",
            "procedure_code": "97110",
            "diagnosis_codes": ["M5450"],
            "date_of_service": "2026-03-10",
            "units": "8",
        },
    ),
    (
        25,
        {
            "claim_id": "CLM-837-1",
            "line_number": "2",
            "frequency": "1",
            "original_claim_id": "",
            "participant_id": "10000001",
            "billing_npi": "2000000010",
            "rendering_npi": "2000000010",
            "procedure_code": "97530",
            "diagnosis_codes": ["M5450"],
            "date_of_service": "2026-03-10",
            "units": "4",
        },
    ),
    (
        31,
        {
            "claim_id": "CLM-837-2",
            "line_number": "1",
            "frequency": "7",
            "original_claim_id": "CLM-837-1",
            "participant_id": "10000001",
            "billing_npi": "2000000010",
            "rendering_npi": "2000000044",
            "procedure_code": "97110",
            "diagnosis_codes": ["M5450", "G8929"],
            "date_of_service": "2026-03-11",
            "units": "2",
        },
    ),
]


def fixture_text() -> str:
    return FIXTURE.read_text()


def test_fixture_is_one_line_of_segments() -> None:
    assert "\n" not in fixture_text().rstrip("\n")


def test_reads_every_service_line_of_the_fixture() -> None:
    assert list(read_837p(FIXTURE)) == EXPECTED
    assert list(read_837p(str(FIXTURE))) == EXPECTED


def test_position_is_the_lx_segment_counted_from_isa() -> None:
    segments = fixture_text().split("~")
    for position, _ in read_837p(FIXTURE):
        assert segments[position - 1].startswith("LX*")


def test_the_validator_accepts_every_line() -> None:
    for _, raw in read_837p(FIXTURE):
        line, problems = read_line(raw)
        assert problems == []
        assert line is not None


@pytest.mark.parametrize("newline", ["\n", "\r\n"], ids=["lf", "crlf"])
def test_segments_may_end_with_a_line_break(tmp_path: Path, newline: str) -> None:
    text = fixture_text().replace("~", "~" + newline)
    path = tmp_path / "lines.837"
    path.write_bytes(text.encode())
    assert list(read_837p(path)) == EXPECTED
    assert list(read_837p(text)) == EXPECTED


def test_x12_text_is_read_from_a_string() -> None:
    assert list(read_837p(fixture_text())) == EXPECTED


def _message(source: str | Path) -> str:
    with pytest.raises(ValueError) as caught:
        list(read_837p(source))
    message = str(caught.value)
    assert message
    assert "\n" not in message
    assert "Traceback" not in message
    return message


def test_a_csv_file_is_not_x12(tmp_path: Path) -> None:
    path = tmp_path / "lines.837"
    path.write_text("claim_id,line_number\nC1,1\n")
    assert "not an X12 interchange" in _message(path)


def test_an_empty_or_binary_file_is_not_x12(tmp_path: Path) -> None:
    empty = tmp_path / "empty.837"
    empty.write_bytes(b"")
    assert "not an X12 interchange" in _message(empty)
    binary = tmp_path / "binary.837"
    binary.write_bytes(bytes(range(256)))
    assert "not an X12 interchange" in _message(binary)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    assert "cannot read" in _message(tmp_path / "absent.837")


@pytest.mark.parametrize(
    ("keep", "expected"),
    [
        (50, "shorter than an ISA segment"),
        (700, "has no SE"),
        (-len("IEA*1*000000001~"), "does not end with an IEA"),
    ],
    ids=["inside-isa", "inside-transaction", "before-iea"],
)
def test_a_truncated_file_is_refused(tmp_path: Path, keep: int, expected: str) -> None:
    path = tmp_path / "cut.837"
    path.write_text(fixture_text()[:keep])
    assert expected in _message(path)


def test_a_file_the_library_rejects_is_refused(tmp_path: Path) -> None:
    # CLM02 (150) no longer equals the sum of the line charges.
    text = fixture_text().replace("SV1*HC:97530*50*", "SV1*HC:97530*40*")
    path = tmp_path / "unbalanced.837"
    path.write_text(text)
    message = _message(path)
    assert "transaction set 0001 (segments 3-35) is not a valid 837P" in message
    assert "Claim Amount 150 != Service Line Total 140" in message


def test_another_transaction_type_is_refused() -> None:
    text = fixture_text().replace("005010X222A1", "005010X223A2")
    assert "not an 837P" in _message(text)


ROUND_TRIP: list[dict[str, Any]] = [
    {
        "claim_id": "RT-1",
        "line_number": "1",
        "frequency": "1",
        "original_claim_id": "",
        "participant_id": "10000001",
        "billing_npi": "2000000010",
        "rendering_npi": "2000000044",
        "procedure_code": "97110",
        "diagnosis_codes": ["M5450", "G8929", "M545"],
        "date_of_service": "2026-03-10",
        "units": "8",
    },
    {
        "claim_id": "RT-1",
        "line_number": "2",
        "frequency": "1",
        "original_claim_id": "",
        "participant_id": "10000001",
        "billing_npi": "2000000010",
        "rendering_npi": "2000000010",
        "procedure_code": "97530",
        "diagnosis_codes": ["M5450", "G8929", "M545"],
        "date_of_service": "2026-03-10",
        "units": "4",
    },
    {
        "claim_id": "RT-2",
        "line_number": "1",
        "frequency": "8",
        "original_claim_id": "RT-0",
        "participant_id": "10000002",
        "billing_npi": "2000000010",
        "rendering_npi": "2000000028",
        "procedure_code": "97140",
        "diagnosis_codes": ["G8929"],
        "date_of_service": "2026-03-11",
        "units": "2",
    },
    {
        "claim_id": "RT-2",
        "line_number": "2",
        "frequency": "8",
        "original_claim_id": "RT-0",
        "participant_id": "10000002",
        "billing_npi": "2000000010",
        "rendering_npi": "2000000028",
        "procedure_code": "97112",
        "diagnosis_codes": ["G8929"],
        "date_of_service": "2026-03-12",
        "units": "1",
    },
    {
        "claim_id": "RT-3",
        "line_number": "1",
        "frequency": "7",
        "original_claim_id": "RT-9",
        "participant_id": "10000001",
        "billing_npi": "2000000036",
        "rendering_npi": "2000000036",
        "procedure_code": "97110",
        "diagnosis_codes": ["M5450"],
        "date_of_service": "2026-04-01",
        "units": "3.5",
    },
]


def test_round_trip_through_the_writer() -> None:
    text = write_837p(ROUND_TRIP)
    assert [raw for _, raw in read_837p(text)] == ROUND_TRIP
    segments = text.replace("\n", "").split("~")
    for position, raw in read_837p(text):
        assert segments[position - 1] == f"LX*{raw['line_number']}"


def test_round_trip_of_the_fixture_lines() -> None:
    lines = [raw for _, raw in EXPECTED]
    assert [raw for _, raw in read_837p(write_837p(lines))] == lines


def test_a_validation_error_names_the_segment_of_its_loop(tmp_path: Path) -> None:
    path = tmp_path / "zero.837"
    path.write_text(fixture_text().replace("*UN*4*", "*UN*0*"))
    message = _message(path)
    assert "in the loop starting at segment 25 (LX)" in message
    assert "service_unit_count: Input should be greater than 0" in message


def test_an_unknown_segment_is_named_with_its_position(tmp_path: Path) -> None:
    path = tmp_path / "unknown.837"
    path.write_text(fixture_text().replace("LX*2~", "LX*2~ZZZ*1~"))
    assert _message(path) == "segment 26: unknown segment 'ZZZ'"


def test_a_date_range_gives_its_first_day_and_odd_units_pass_through() -> None:
    text = fixture_text().replace("DTP*472*D8*20260311", "DTP*472*RD8*20260311-20260315")
    text = text.replace("*UN*2***1", "*UN*2.50***1").replace("*UN*8***1", "*UN*8.0***1")
    rows = [raw for _, raw in read_837p(text)]
    assert [(r["date_of_service"], r["units"]) for r in rows] == [
        ("2026-03-10", "8"),
        ("2026-03-10", "4"),
        ("2026-03-11", "2.50"),
    ]


def test_a_file_named_like_isa_is_read_as_a_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("ISA_0001.837").write_text(fixture_text())
    assert list(read_837p("ISA_0001.837")) == EXPECTED
