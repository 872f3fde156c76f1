"""Normalise and check the codes a request carries: ICD-10-CM, CPT, NPI, participant IDs."""

from __future__ import annotations

import re

# A letter, a digit, a digit or letter, then optionally a dot and 1-4 digits or letters.
ICD10_PATTERN = re.compile(r"[A-Z][0-9][0-9A-Z](?:\.[0-9A-Z]{1,4})?")
_ICD10_UNDOTTED = re.compile(r"[A-Z][0-9][0-9A-Z][0-9A-Z]{0,4}")
# Five digits, or four digits and a letter (CPT category II/III codes).
CPT_PATTERN = re.compile(r"[0-9]{4}[0-9A-Z]")
PARTICIPANT_ID_PATTERN = re.compile(r"[0-9]{8}")
NPI_PATTERN = re.compile(r"[0-9]{10}")


def normalize_icd10(raw: str) -> str:
    """Return `raw` as a dotted, upper-case ICD-10-CM code (`m5450 ` -> `M54.50`).

    Raise ValueError when it is not a syntactically valid code.
    """
    text = raw.strip().upper()
    if ICD10_PATTERN.fullmatch(text):
        return text
    if _ICD10_UNDOTTED.fullmatch(text):
        return text if len(text) == 3 else f"{text[:3]}.{text[3:]}"
    raise ValueError(
        f"{raw.strip()!r} is not an ICD-10-CM code (a letter, a digit, a digit or letter, "
        "then optionally a dot and 1-4 digits or letters, e.g. M54.50)"
    )


def normalize_cpt(raw: str) -> str:
    """Return `raw` as an upper-case five-character CPT code; raise ValueError if malformed."""
    text = raw.strip().upper()
    if not CPT_PATTERN.fullmatch(text):
        raise ValueError(
            f"{raw.strip()!r} is not a CPT code (five digits, or four digits and a letter)"
        )
    return text


def npi_check_digit_ok(npi: str) -> bool:
    """Return whether `npi` is 10 digits with a valid Luhn check digit over `80840` + NPI."""
    if not NPI_PATTERN.fullmatch(npi):
        return False
    total = 0
    for index, char in enumerate(reversed("80840" + npi)):
        digit = int(char)
        if index % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def npi_with_check_digit(first_nine: str) -> str:
    """Return the 10-digit NPI whose first nine digits are `first_nine`."""
    for digit in "0123456789":
        if npi_check_digit_ok(first_nine + digit):
            return first_nine + digit
    raise ValueError(first_nine)  # pragma: no cover - one digit always fits


def check_npi(raw: str) -> str:
    """Return `raw` stripped if it is a valid NPI; raise ValueError naming the problem."""
    text = raw.strip()
    if not NPI_PATTERN.fullmatch(text):
        raise ValueError(f"{text!r} is not an NPI (10 digits)")
    if not npi_check_digit_ok(text):
        raise ValueError(f"NPI {text} has an invalid check digit")
    return text


def check_participant_id(raw: str) -> str:
    """Return `raw` stripped if it is an 8-digit MO HealthNet ID; raise ValueError otherwise."""
    text = raw.strip()
    if not PARTICIPANT_ID_PATTERN.fullmatch(text):
        raise ValueError(f"{text!r} is not a MO HealthNet participant ID (8 digits)")
    return text
