"""Reading a FHIR Bundle as JSON: its entries, references between them, and FHIRPath names."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from precert.interop.fhir.outcome import Invalid, Issue


@dataclass(frozen=True, slots=True)
class Entry:
    index: int
    full_url: str
    resource: dict[str, Any]
    path: str  # FHIRPath of the resource, e.g. Bundle.entry[3].resource

    @property
    def type(self) -> str:
        return str(self.resource.get("resourceType", ""))


class Entries:
    """A Bundle's entries, found by fullUrl or by a relative reference (`Patient/123`)."""

    def __init__(self, bundle: dict[str, Any], root: str) -> None:
        self.root = root
        self.items: list[Entry] = []
        for index, raw in enumerate(bundle.get("entry") or []):
            if isinstance(raw, dict) and isinstance(raw.get("resource"), dict):
                path = f"{root}.entry[{index}].resource"
                self.items.append(
                    Entry(index, str(raw.get("fullUrl") or ""), raw["resource"], path)
                )

    def resolve(self, reference: str) -> Entry | None:
        """Return the entry `reference` names: a fullUrl, or `Type/id` (absolute or relative)."""
        for entry in self.items:
            if entry.full_url and entry.full_url == reference:
                return entry
        parts = reference.rstrip("/").split("/")
        if len(parts) < 2:
            return None
        kind, ident = parts[-2], parts[-1]
        if "_history" in parts[-3:-1] and len(parts) >= 4:
            kind, ident = parts[-4], parts[-3]
        for entry in self.items:
            if entry.type == kind and entry.resource.get("id") == ident:
                return entry
        for entry in self.items:
            if entry.type == kind and entry.full_url.endswith(f"/{kind}/{ident}"):
                return entry
        return None

    def follow(self, owner: Entry, value: Any) -> Entry | None:
        """Return the entry a Reference (a dict with `reference`) points at, if inside."""
        if isinstance(value, dict) and isinstance(value.get("reference"), str):
            return self.resolve(value["reference"])
        return None

    def of_type(self, kind: str) -> list[Entry]:
        return [e for e in self.items if e.type == kind]


def references(value: Any, path: str) -> Iterator[tuple[str, str]]:
    """Yield (FHIRPath, reference) for every literal reference inside `value`."""
    if isinstance(value, dict):
        ref = value.get("reference")
        if isinstance(ref, str):
            yield f"{path}.reference", ref
        for key, item in value.items():
            if key in ("contained", "text"):
                continue
            yield from references(item, f"{path}.{key}" if key != "reference" else path)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from references(item, f"{path}[{index}]")


def check_closure(entries: Entries) -> list[Issue]:
    """Return an issue for every reference to a resource the Bundle does not hold."""
    issues = []
    for entry in entries.items:
        for path, ref in references(entry.resource, entry.path):
            if ref.startswith("#"):
                continue  # a contained resource
            if entries.resolve(ref) is None:
                issues.append(
                    Issue(path, f"{ref} is not in the Bundle: every resource referenced must be")
                )
    return issues


def fhirpath(root: str, loc: tuple[int | str, ...]) -> str:
    """Return the FHIRPath of a pydantic error location under `root`."""
    path = root
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part not in ("function-after", "function-before", "function-plain"):
            path += f".{part}"
    return path


def model_issues(model: Any, data: Any, root: str, *, most: int = 50) -> list[Issue]:
    """Return what the R4B `model` refuses in `data`, each at its FHIRPath under `root`."""
    try:
        model.model_validate(data)
    except ValidationError as exc:
        found = []
        for error in exc.errors()[:most]:
            missing = error["type"] == "missing"
            message = "is required" if missing else str(error["msg"])
            found.append(
                Issue(
                    fhirpath(root, tuple(error["loc"])),
                    message,
                    "required" if missing else "structure",
                )
            )
        return found
    except Exception as exc:  # the library's own failures: an unknown resourceType is a
        # KeyError, a number where a URL belongs an AttributeError
        return [Issue(root, f"not a valid FHIR R4 resource: {exc!r}"[:300], "structure")]
    return []


def validated(model: Any, data: dict[str, Any], root: str) -> None:
    """Check `data` against an R4B model; raise `Invalid` naming every element that fails."""
    issues = model_issues(model, data, root)
    if issues:
        raise Invalid(issues)


def text_at(value: Any, *keys: str | int) -> str | None:
    """Return the string at `keys` inside nested dicts and lists, or None."""
    for key in keys:
        if isinstance(key, int):
            if not isinstance(value, list) or len(value) <= key:
                return None
        elif not isinstance(value, dict):
            return None
        value = value[key] if isinstance(key, int) else value.get(key)
    return value if isinstance(value, str) else None


def codings(concept: Any) -> list[dict[str, Any]]:
    """Return the codings of a CodeableConcept."""
    if not isinstance(concept, dict):
        return []
    return [c for c in concept.get("coding") or [] if isinstance(c, dict)]


def has_code(concept: Any, system: str | None, *codes: str) -> bool:
    return any(
        (system is None or c.get("system") == system) and c.get("code") in codes
        for c in codings(concept)
    )
