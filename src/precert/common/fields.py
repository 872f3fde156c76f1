"""Field types shared by request schemas: strict dates, codes, identifiers."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any

from pydantic import BeforeValidator, ValidationError

from precert.errors import FieldProblem
from precert.rules.codes import check_npi, check_participant_id, normalize_cpt, normalize_icd10

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# Far enough either side for birth dates and plans; date arithmetic near year 9999 overflows.
MIN_YEAR, MAX_YEAR = 1900, 2999


def parse_iso_date(value: Any) -> date:
    """Accept only `YYYY-MM-DD` strings naming a real day."""
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value.strip()):
        raise ValueError("must be a date written YYYY-MM-DD")
    try:
        parsed = date.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(f"{value.strip()} is not a real date") from None
    if not MIN_YEAR <= parsed.year <= MAX_YEAR:
        raise ValueError(f"{parsed} is outside the years {MIN_YEAR}-{MAX_YEAR}")
    return parsed


def _string(check: Any) -> Any:
    def run(value: Any) -> str:
        if not isinstance(value, str):
            raise ValueError("must be a string")
        return str(check(value))

    return run


IsoDate = Annotated[date, BeforeValidator(parse_iso_date)]
Npi = Annotated[str, BeforeValidator(_string(check_npi))]
ParticipantId = Annotated[str, BeforeValidator(_string(check_participant_id))]
Icd10Code = Annotated[str, BeforeValidator(_string(normalize_icd10))]
CptCode = Annotated[str, BeforeValidator(_string(normalize_cpt))]


def field_name(loc: tuple[int | str, ...]) -> str:
    """Return a pydantic error location as `diagnosis_codes[1]`."""
    name = ""
    for part in loc:
        if isinstance(part, int):
            name += f"[{part}]"
        else:
            name += f".{part}" if name else str(part)
    return name or "body"


def problems_of(exc: ValidationError) -> list[FieldProblem]:
    """Return one problem per pydantic error, worded for a person."""
    problems = []
    for err in exc.errors():
        message = str(err["msg"])
        message = message.removeprefix("Value error, ")
        context = err.get("ctx") or {}
        if err["type"] == "missing":
            message = "is required"
        elif err["type"] == "string_too_short" and context.get("min_length") == 1:
            message = "must not be empty"
        elif err["type"] == "too_short" and "min_length" in context:
            message = f"must list at least {context['min_length']} item(s)"
        elif err["type"] == "too_long" and "max_length" in context:
            message = f"must list at most {context['max_length']} item(s)"
        problems.append(FieldProblem(field_name(tuple(err["loc"])), message))
    return problems
