"""The portal's request forms: posted fields to the API's bodies, and problems back to fields.

A form is turned into exactly the body the JSON API takes, and handed to the same service; the
service's problems (named by API field, e.g. `diagnosis_codes[1]`) are shown next to the form
field they belong to.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from precert.common.actor import Actor, Role
from precert.db import connection
from precert.errors import DomainError, FieldProblem
from precert.models import FormSubmission

_SUBMISSIONS = cast(Table, FormSubmission.__table__)
_SEPARATORS = re.compile(r"[\s,;]+")
_INDEX = re.compile(r"\[\d+\].*$|\..*$")
_WHOLE = re.compile(r"[0-9]{1,5}")  # ASCII digits only: int() refuses some str.isdigit() ones


def text(form: Mapping[str, Any], name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def codes(value: str) -> list[str]:
    """Split codes typed with commas, semicolons, spaces or new lines."""
    return [code for code in _SEPARATORS.split(value) if code]


def referral_body(actor: Actor, form: Mapping[str, Any]) -> dict[str, Any]:
    """Return the API body of step 1 from the posted form (the physician's own NPI is implied)."""
    body: dict[str, Any] = {
        "participant_id": text(form, "participant_id"),
        "prescriber_npi": actor.npi
        if actor.role is Role.PHYSICIAN
        else text(form, "prescriber_npi"),
        "therapy": text(form, "therapy"),
        "diagnosis_codes": codes(text(form, "diagnosis_codes")),
        "priority": text(form, "priority") or "standard",
    }
    _dates(body, form, "plan_of_care_date", "start_date")
    if actor.role is Role.STAFF:
        body["channel"] = "phone"
    return body


def completion_body(actor: Actor, form: Any, problems: list[FieldProblem]) -> dict[str, Any]:
    """Return the API body of step 2; `form` is the posted form (its checkboxes repeat)."""
    body: dict[str, Any] = {
        "provider_npi": actor.npi if actor.role is Role.PROVIDER else text(form, "provider_npi"),
        "procedure_codes": [c for c in form.getlist("procedure_codes") if isinstance(c, str)],
    }
    _units(body, form, problems)
    _dates(body, form, "start_date")
    if actor.role is Role.STAFF:
        body["channel"] = "phone"
    return body


def review_body(form: Mapping[str, Any], problems: list[FieldProblem]) -> dict[str, Any]:
    """Return the API body of a staff review: approve (all or fewer units) or deny, with a note."""
    body: dict[str, Any] = {"decision": text(form, "decision"), "note": text(form, "note")}
    if body["decision"] not in ("approve", "deny"):
        problems.append(FieldProblem("decision", "choose approve or deny"))
    if body["decision"] == "approve":
        _units(body, form, problems)
    return body


def whole_number(value: str) -> int | None:
    """Return `value` as a whole number written in ASCII digits, or None."""
    return int(value) if _WHOLE.fullmatch(value) else None


def _units(body: dict[str, Any], form: Mapping[str, Any], problems: list[FieldProblem]) -> None:
    units = text(form, "units")
    if not units:
        return
    number = whole_number(units)
    if number is None:
        problems.append(FieldProblem("units", "must be a whole number of units, e.g. 8"))
    else:
        body["units"] = number


def _dates(body: dict[str, Any], form: Mapping[str, Any], *names: str) -> None:
    for name in names:
        value = text(form, name)
        if value:
            body[name] = value


def by_field(problems: Iterable[FieldProblem]) -> dict[str, list[str]]:
    """Group problems by form field: `diagnosis_codes[1]` belongs to `diagnosis_codes`."""
    grouped: dict[str, list[str]] = {}
    for problem in problems:
        name = _INDEX.sub("", problem.field) or "body"
        grouped.setdefault(name, []).append(problem.message)
    return grouped


def problems_of(error: DomainError) -> dict[str, list[str]]:
    """Return the error's problems by field; one without fields is shown above the form."""
    if error.fields:
        return by_field(error.fields)
    return {"body": [error.detail]}


def new_form_key() -> str:
    return secrets.token_urlsafe(24)


def _key_hash(user_id: int, key: str) -> str:
    return hashlib.sha256(f"{user_id}:{key}".encode()).hexdigest()


def already_taken(session: Session, user_id: int, key: str) -> str | None:
    """Return the pre-certification a post of this form already made (a double click)."""
    if not key:
        return None
    found = connection(session).execute(
        select(_SUBMISSIONS.c.precert_id).where(_SUBMISSIONS.c.key_hash == _key_hash(user_id, key))
    )
    return found.scalar_one_or_none()


def take(session: Session, user_id: int, key: str, precert_id: str, now: datetime) -> None:
    """Remember that this form made `precert_id`; a racing second post fails on the key."""
    if key:
        connection(session).execute(
            _SUBMISSIONS.insert().values(
                key_hash=_key_hash(user_id, key),
                user_id=user_id,
                precert_id=precert_id,
                created_at=now,
            )
        )
