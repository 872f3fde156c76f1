"""Check the FHIR resources a CDS Hooks request carries, reporting problems where they are."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fhir.resources.R4B import get_fhir_model_class

from precert.interop.cds_hooks.outcome import Issue, issue
from precert.interop.fhir.bundle import model_issues

MOST_ISSUES = 20


def checked(
    value: Any, where: str, types: Sequence[str], issues: list[Issue], *, required: bool = False
) -> dict[str, Any] | None:
    """Return `value` if it is a valid FHIR resource of one of `types`, else note why not."""
    if value is None:
        if required:
            issues.append(issue("required", where, f"is required: a FHIR {' or '.join(types)}"))
        return None
    kind = value.get("resourceType") if isinstance(value, dict) else None
    if kind not in types:
        issues.append(issue("invalid", where, f"must be a FHIR {' or '.join(types)}"))
        return None
    problems = model_issues(get_fhir_model_class(str(kind)), value, where, most=MOST_ISSUES)
    if problems:
        issues.extend(problems)
        return None
    return dict(value)


def is_outcome(value: Any) -> bool:
    """Return whether a prefetch value is an OperationOutcome (the client's query failed)."""
    return isinstance(value, dict) and value.get("resourceType") == "OperationOutcome"
