"""FHIR's renderer of the error family: exactly one OperationOutcome per failed request."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from fastapi.responses import Response

from precert.errors import DomainError

FHIR_JSON = "application/fhir+json"

# The OperationOutcome issue type of each status a DomainError carries.
_ISSUE_TYPE = {
    400: "invalid",
    401: "login",
    403: "forbidden",
    404: "not-found",
    409: "business-rule",
    422: "invalid",
}


@dataclass(frozen=True, slots=True)
class Issue:
    """One problem: where it is (a FHIRPath expression), what it is, and its issue type."""

    expression: str | None
    diagnostics: str
    code: str = "invalid"
    severity: str = "error"
    location: str | None = None  # where no FHIRPath applies (a line and column of the body)

    def as_dict(self) -> dict[str, Any]:
        issue: dict[str, Any] = {
            "severity": self.severity,
            "code": self.code,
            "details": {"text": self.diagnostics},
            "diagnostics": self.diagnostics,
        }
        if self.location:
            issue["location"] = [self.location]
        if self.expression:
            issue["expression"] = [self.expression]
        return issue


class Invalid(Exception):
    """A request that cannot be taken as sent, with every problem found in it."""

    def __init__(self, issues: list[Issue], status: int = 400) -> None:
        super().__init__("; ".join(i.diagnostics for i in issues))
        self.issues = issues
        self.status = status


def read_json(raw: bytes, *, what: str = "a FHIR resource") -> Any:
    """Return the JSON in a request body; raise `Invalid` (400) saying why it is not JSON."""
    if not raw.strip():
        raise Invalid([Issue(None, f"The body is empty; send {what}.", "required")])
    try:
        return json.loads(raw, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}"
        raise Invalid(
            [Issue(None, f"The body is not valid JSON: {exc.msg}.", "structure", location=where)]
        ) from None
    except (ValueError, UnicodeDecodeError) as exc:  # NaN, Infinity; bytes that are not UTF-8
        raise Invalid([Issue(None, f"The body is not valid JSON: {exc}.", "structure")]) from None
    except RecursionError:
        raise Invalid(
            [Issue(None, "The body is not valid JSON: nested too deeply.", "structure")]
        ) from None


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def operation_outcome(issues: list[Issue]) -> dict[str, Any]:
    return {"resourceType": "OperationOutcome", "issue": [i.as_dict() for i in issues]}


def issues_of(exc: DomainError) -> list[Issue]:
    """Return the OperationOutcome issues of a domain error: one per field, else one."""
    code = _ISSUE_TYPE.get(exc.status, "processing")
    if exc.fields:
        return [Issue(p.field, p.message, code) for p in exc.fields]
    return [Issue(None, exc.detail, code)]


def fhir_json(body: dict[str, Any], status: int = 200) -> Response:
    return Response(json.dumps(body, default=str), status_code=status, media_type=FHIR_JSON)


def outcome_response(issues: list[Issue], status: int) -> Response:
    return fhir_json(operation_outcome(issues), status)


def error_response(exc: DomainError | Invalid) -> Response:
    """Render an error as one OperationOutcome with the status it carries."""
    if isinstance(exc, Invalid):
        return outcome_response(exc.issues, exc.status)
    response = outcome_response(issues_of(exc), exc.status)
    if exc.status == 401:
        response.headers["WWW-Authenticate"] = "Bearer"
    return response
