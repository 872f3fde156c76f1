"""Read a claim line from JSON or a file row, naming every problem; one reader for every door.

Hand-written rather than a pydantic model because a batch holds a million lines: this reads one
in a few microseconds. `ClaimLineIn` (schemas.py) documents the same fields for OpenAPI, and a
test keeps the two in step.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from precert.common.fields import parse_iso_date
from precert.errors import FieldProblem
from precert.rules.claims import ClaimLine, Frequency
from precert.rules.codes import (
    PARTICIPANT_ID_PATTERN,
    check_npi,
    normalize_cpt,
    normalize_icd10,
)

MAX_UNITS = 120
MAX_DIAGNOSES = 12
CLAIM_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,49}")
_SEPARATORS = re.compile(r"[\s,;|]+")
# X12 claim frequency codes (CLM05-3) are accepted beside the names.
FREQUENCIES = {"original": "original", "replacement": "replacement", "void": "void"}
FREQUENCIES |= {"1": "original", "7": "replacement", "8": "void"}
FIELDS = (
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


@lru_cache(maxsize=65536)
def npi_of(value: str) -> str:
    return check_npi(value)


@lru_cache(maxsize=4096)
def cpt_of(value: str) -> str:
    return normalize_cpt(value)


@lru_cache(maxsize=65536)
def icd_of(value: str) -> str:
    return normalize_icd10(value)


@lru_cache(maxsize=8192)
def date_of(value: str) -> Any:
    return parse_iso_date(value)


def _whole(value: Any, name: str, low: int, high: int, problems: list[FieldProblem]) -> int:
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int):
        number = value
    elif isinstance(value, str) and re.fullmatch(r"[0-9]{1,6}", value.strip()):
        number = int(value.strip())
    else:
        number = None
    if number is None:
        problems.append(FieldProblem(name, "must be a whole number"))
        return 0
    if not low <= number <= high:
        problems.append(FieldProblem(name, f"must be from {low} to {high}"))
    return number


def _text(raw: Mapping[str, Any], name: str, problems: list[FieldProblem]) -> str:
    value = raw.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        problems.append(FieldProblem(name, "is required"))
        return ""
    if not isinstance(value, str):
        problems.append(FieldProblem(name, "must be a string"))
        return ""
    if "\x00" in value:
        problems.append(FieldProblem(name, "must not contain a NUL character"))
        return ""
    return value.strip()


def _checked(check: Any, value: str, name: str, problems: list[FieldProblem]) -> str:
    if not value:
        return ""
    try:
        return str(check(value))
    except ValueError as exc:
        problems.append(FieldProblem(name, str(exc)))
        return ""


def diagnoses_of(value: Any, problems: list[FieldProblem]) -> tuple[str, ...]:
    if isinstance(value, str):
        items: list[Any] = [c for c in _SEPARATORS.split(value) if c]
    elif isinstance(value, list):
        items = value
    else:
        problems.append(FieldProblem("diagnosis_codes", "must be a list of ICD-10-CM codes"))
        return ()
    if not items:
        problems.append(FieldProblem("diagnosis_codes", "must list at least the primary code"))
        return ()
    if len(items) > MAX_DIAGNOSES:
        problems.append(FieldProblem("diagnosis_codes", f"must list at most {MAX_DIAGNOSES}"))
        return ()
    codes = []
    for index, item in enumerate(items):
        name = f"diagnosis_codes[{index}]"
        if not isinstance(item, str) or "\x00" in item:
            problems.append(FieldProblem(name, "must be an ICD-10-CM code"))
            continue
        code = _checked(icd_of, item, name, problems)
        if code:
            codes.append(code)
    return tuple(codes)


def read_line(raw: Any) -> tuple[ClaimLine | None, list[FieldProblem]]:
    """Return the claim line in `raw` (a JSON object or a file row), or its problems."""
    problems: list[FieldProblem] = []
    if not isinstance(raw, Mapping):
        return None, [FieldProblem("line", "must be an object")]
    claim_id = _text(raw, "claim_id", problems)
    if claim_id and not CLAIM_ID.fullmatch(claim_id):
        problems.append(FieldProblem("claim_id", "must be 1-50 letters, digits, '.', '_' or '-'"))
    line_number = _whole(raw.get("line_number"), "line_number", 1, 999_999, problems)
    frequency_text = raw.get("frequency")
    if frequency_text is None or frequency_text == "":
        frequency = Frequency.ORIGINAL
    elif isinstance(frequency_text, str) and frequency_text.strip().lower() in FREQUENCIES:
        frequency = Frequency(FREQUENCIES[frequency_text.strip().lower()])
    else:
        problems.append(
            FieldProblem("frequency", "must be original, replacement or void (or 1, 7, 8)")
        )
        frequency = Frequency.ORIGINAL
    original = raw.get("original_claim_id")
    original_id: str | None = None
    if frequency is Frequency.ORIGINAL:
        if original not in (None, ""):
            problems.append(
                FieldProblem("original_claim_id", "is only for a replacement or a void")
            )
    else:
        original_id = _text(raw, "original_claim_id", problems) or None
        if original_id and not CLAIM_ID.fullmatch(original_id):
            problems.append(
                FieldProblem("original_claim_id", "must be 1-50 letters, digits, '.', '_' or '-'")
            )
        elif original_id and original_id == claim_id:
            problems.append(
                FieldProblem(
                    "original_claim_id",
                    "names this claim itself; a correction carries its own claim_id",
                )
            )
    participant_id = _text(raw, "participant_id", problems)
    if participant_id and not PARTICIPANT_ID_PATTERN.fullmatch(participant_id):
        problems.append(FieldProblem("participant_id", "must be an 8-digit participant ID"))
    billing = _checked(npi_of, _text(raw, "billing_npi", problems), "billing_npi", problems)
    rendering = _checked(npi_of, _text(raw, "rendering_npi", problems), "rendering_npi", problems)
    procedure = _checked(cpt_of, _text(raw, "procedure_code", problems), "procedure_code", problems)
    diagnoses = diagnoses_of(raw.get("diagnosis_codes"), problems)
    service_text = _text(raw, "date_of_service", problems)
    service_date = None
    if service_text:
        try:
            service_date = date_of(service_text)
        except ValueError as exc:
            problems.append(FieldProblem("date_of_service", str(exc)))
    units = _whole(raw.get("units"), "units", 1, MAX_UNITS, problems)
    if problems or service_date is None:
        return None, problems
    line = ClaimLine(
        claim_id=claim_id,
        line_number=line_number,
        frequency=frequency,
        original_claim_id=original_id,
        participant_id=participant_id,
        billing_npi=billing,
        rendering_npi=rendering,
        procedure_code=procedure,
        diagnosis_codes=diagnoses,
        date_of_service=service_date,
        units=units,
    )
    return line, []
