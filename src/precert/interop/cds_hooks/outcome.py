"""CDS Hooks errors: FHIR's renderer (one OperationOutcome naming each problem where it is)."""

from __future__ import annotations

from precert.interop.fhir.outcome import Invalid, Issue, error_response, fhir_json

__all__ = ["Invalid", "Issue", "error_response", "fhir_json", "hook_error", "issue"]


def issue(code: str, location: str, message: str) -> Issue:
    """Return one problem: its FHIR issue type, where it is in the call ("" for the call)."""
    return Issue(location or None, message, code)


def hook_error(status: int, issues: list[Issue]) -> Invalid:
    """Return a call that cannot be answered: 400 malformed, 412 prefetch missing, 404 ..."""
    return Invalid(issues, status)
