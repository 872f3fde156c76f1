"""Codes are normalised before deciding; malformed ones are refused."""

from __future__ import annotations

import pytest

from precert.rules.codes import (
    check_npi,
    check_participant_id,
    normalize_cpt,
    normalize_icd10,
    npi_check_digit_ok,
    npi_with_check_digit,
)


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("M54.50", "M54.50"),
        ("m54.50 ", "M54.50"),
        ("M5450", "M54.50"),
        (" m5450\t", "M54.50"),
        ("M545", "M54.5"),
        ("M54.5", "M54.5"),
        ("m53.2x1", "M53.2X1"),
        ("M532X1", "M53.2X1"),
        ("g96.8", "G96.8"),
        ("M549", "M54.9"),
        ("M51.9", "M51.9"),
        ("M54", "M54"),
        ("m5451", "M54.51"),
        ("M5459", "M54.59"),
        ("M50.023", "M50.023"),
        ("S32.001A", "S32.001A"),
        ("S32001A", "S32.001A"),
    ],
)
def test_icd10_code_is_normalised_to_dotted_upper_case(raw: str, code: str) -> None:
    assert normalize_icd10(raw) == code


@pytest.mark.parametrize(
    "raw",
    [
        "54.50",
        "M5",
        "M54.123456",
        "M54.12345",
        "M54123456",
        "MM4.5",
        "",
        "   ",
        "M54.",
        "M54..5",
        "M54-5",
        "M 54.5",
        ".M545",
        "5M4.5",
        "M54.5.0",
    ],
)
def test_malformed_icd10_code_is_refused(raw: str) -> None:
    with pytest.raises(ValueError, match="not an ICD-10-CM code"):
        normalize_icd10(raw)


@pytest.mark.parametrize(
    ("raw", "code"),
    [("97110", "97110"), (" 97110 ", "97110"), (" 0001t", "0001T"), ("0001F", "0001F")],
)
def test_cpt_code_is_normalised_to_five_upper_case_characters(raw: str, code: str) -> None:
    assert normalize_cpt(raw) == code


@pytest.mark.parametrize("raw", ["9711", "971100", "A7110", "", "97 10", "9711T0", "T0001"])
def test_malformed_cpt_code_is_refused(raw: str) -> None:
    with pytest.raises(ValueError, match="not a CPT code"):
        normalize_cpt(raw)


@pytest.mark.parametrize(
    ("npi", "valid"),
    [
        ("1234567893", True),
        ("1234567890", False),
        ("1245319599", True),
        ("1245319598", False),
        ("123456789", False),
        ("12345678930", False),
        ("123456789X", False),
        ("", False),
    ],
)
def test_npi_check_digit_is_luhn_over_80840_and_the_npi(npi: str, valid: bool) -> None:
    assert npi_check_digit_ok(npi) is valid


def test_npi_with_check_digit_appends_the_one_digit_that_fits() -> None:
    assert npi_with_check_digit("123456789") == "1234567893"


def test_check_npi_strips_a_valid_npi() -> None:
    assert check_npi(" 1234567893 ") == "1234567893"


@pytest.mark.parametrize(
    ("raw", "problem"),
    [("1234567890", "invalid check digit"), ("12345", "10 digits"), ("abcdefghij", "10 digits")],
)
def test_check_npi_names_the_problem(raw: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        check_npi(raw)


def test_participant_id_is_eight_digits() -> None:
    assert check_participant_id(" 10000001 ") == "10000001"
    for bad in ("1000000", "100000011", "1000000A", ""):
        with pytest.raises(ValueError, match="8 digits"):
            check_participant_id(bad)
