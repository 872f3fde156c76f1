"""DTR's problems: FHIR's renderer (one OperationOutcome naming each problem where it is)."""

from __future__ import annotations

from collections.abc import Iterable

from precert.interop.fhir.outcome import Invalid, Issue, operation_outcome

__all__ = ["Invalid", "Issue", "issue", "operation_outcome", "problem"]


def issue(
    severity: str,
    code: str,
    diagnostics: str,
    expression: str | None = None,
    location: str | None = None,
) -> Issue:
    """Return one OperationOutcome issue: how bad, its issue type, what and where."""
    return Issue(expression, diagnostics, code, severity, location)


def problem(status: int, issues: Iterable[Issue]) -> Invalid:
    """Return a request the operation cannot answer, with its status."""
    return Invalid(list(issues), status)
