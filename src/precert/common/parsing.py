"""Parse a request body into a schema, collecting every problem at once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from precert.common.fields import problems_of
from precert.errors import FieldProblem, validation_error

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class NotJson:
    """A request body that could not be read as JSON, and why."""

    problem: str


def parse(model: type[M], body: Any, problems: list[FieldProblem]) -> M | None:
    """Return `body` parsed as `model`, or None after adding its problems to `problems`."""
    if isinstance(body, NotJson):
        problems.append(FieldProblem("body", body.problem))
        return None
    if not isinstance(body, dict):
        problems.append(FieldProblem("body", "must be a JSON object"))
        return None
    nul = [FieldProblem(name, "must not contain a NUL character") for name in _nul_fields(body)]
    if nul:
        problems.extend(nul)
        return None
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        problems.extend(problems_of(exc))
        return None


def _nul_fields(value: Any, name: str = "") -> list[str]:
    """Return the fields whose text holds a NUL, which no database stores."""
    if isinstance(value, str):
        return [name or "body"] if "\x00" in value else []
    if isinstance(value, dict):
        found = []
        for key, item in value.items():
            label = f"{name}.{key}" if name else str(key)
            if "\x00" in str(key):
                found.append(label)
            else:
                found += _nul_fields(item, label)
        return found
    if isinstance(value, list):
        return [f for i, item in enumerate(value) for f in _nul_fields(item, f"{name}[{i}]")]
    return []


def check_at_most(
    body: Any, field: str, most: int, problems: list[FieldProblem], *, what: str
) -> None:
    """Note `field` when it holds more than `most` (units, or items of a list) in the raw body."""
    value = body.get(field) if isinstance(body, dict) else None
    size = len(value) if isinstance(value, list) else value
    if isinstance(size, int) and not isinstance(size, bool) and size > most:
        problems.append(FieldProblem(field, f"must be at most {most} {what}"))


def raise_if(problems: list[FieldProblem]) -> None:
    if problems:
        raise validation_error(problems)
