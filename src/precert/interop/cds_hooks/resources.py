"""Check the FHIR resources a CDS Hooks request carries, reporting problems where they are."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fhir.resources.R4B import get_fhir_model_class
from pydantic import ValidationError

from precert.interop.cds_hooks.outcome import Issue, issue

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
    try:
        get_fhir_model_class(str(kind)).model_validate(value)
    except ValidationError as exc:
        issues.extend(validation_issues(exc, where))
        return None
    except (ValueError, TypeError, RecursionError) as exc:  # the library's own checks
        issues.append(issue("invalid", where, f"is not a valid FHIR {kind}: {exc}"[:300]))
        return None
    return dict(value)


def validation_issues(exc: ValidationError, where: str) -> list[Issue]:
    found = []
    for error in exc.errors()[:MOST_ISSUES]:
        path = where
        for part in error["loc"]:
            path += f"[{part}]" if isinstance(part, int) else f".{part}"
        missing = error["type"] == "missing"
        message = "is required" if missing else str(error["msg"])
        found.append(issue("required" if missing else "invalid", path, message))
    return found


def is_outcome(value: Any) -> bool:
    """Return whether a prefetch value is an OperationOutcome (the client's query failed)."""
    return isinstance(value, dict) and value.get("resourceType") == "OperationOutcome"
