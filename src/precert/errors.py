"""One family of errors; each surface renders it its own way."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class FieldProblem:
    field: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}


@dataclass
class DomainError(Exception):
    """An error a client caused or may see; never a 500."""

    status: int
    error: str
    detail: str
    fields: list[FieldProblem] = field(default_factory=list)

    def __str__(self) -> str:
        return f"{self.error}: {self.detail}"

    def as_dict(self) -> dict[str, object]:
        body: dict[str, object] = {"error": self.error, "detail": self.detail}
        if self.fields or self.error == "VALIDATION_ERROR":
            body["fields"] = [f.as_dict() for f in self.fields]
        return body


def validation_error(problems: list[FieldProblem], detail: str | None = None) -> DomainError:
    """Return a 422 naming every problem at once."""
    summary = detail or "; ".join(f"{p.field}: {p.message}" for p in problems)
    return DomainError(422, "VALIDATION_ERROR", summary, problems)


def unauthenticated(detail: str = "A valid bearer token is required.") -> DomainError:
    return DomainError(401, "UNAUTHENTICATED", detail)


def forbidden(detail: str) -> DomainError:
    return DomainError(403, "FORBIDDEN", detail)


def not_found(what: str) -> DomainError:
    return DomainError(404, "NOT_FOUND", f"{what} was not found.")


def conflict(error: str, detail: str) -> DomainError:
    return DomainError(409, error, detail)
