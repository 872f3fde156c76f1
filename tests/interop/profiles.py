"""A small profile checker: cardinalities and fixed/pattern values as a package's
StructureDefinition (snapshot) states them.

For every element of the profile's snapshot: wherever its parent is present, at least `min`
and at most `max` occurrences (so `max = '0'` means absent); every occurrence equals its fixed
value and matches its pattern. Slices are told apart by their discriminator (a fixed or
pattern value at the discriminator's path, or an extension's profile URL). Recursive elements
(`contentReference`, e.g. Questionnaire.item.item) are followed. Invariants (FHIRPath
constraints), bindings and types are not checked: the R4B models check types.
"""

from __future__ import annotations

from typing import Any

Node = tuple[str, Any]  # (FHIRPath, JSON value)


class Checker:
    def __init__(self, structure_definition: dict[str, Any]) -> None:
        self.elements: dict[str, dict[str, Any]] = {
            e["id"]: e for e in structure_definition["snapshot"]["element"]
        }
        self.root = structure_definition["type"]

    def problems(self, resource: dict[str, Any]) -> list[str]:
        """Return every departure of `resource` from the profile (none: it conforms)."""
        found: list[str] = []
        for element_id, element in self.elements.items():
            if element_id == self.root:
                continue
            parent_id, segment = element_id.rsplit(".", 1)
            for path, parent in self._nodes(parent_id, resource):
                if not isinstance(parent, dict):
                    continue  # a primitive's own extensions: not walked here
                kids = self._children(parent_id, segment, path, parent)
                found += self._check(element_id, element, path, kids)
        return found

    def _check(
        self, element_id: str, element: dict[str, Any], path: str, kids: list[Node]
    ) -> list[str]:
        found = []
        least = int(element.get("min", 0))
        most = element.get("max", "*")
        if len(kids) < least:
            found.append(f"{path}: {element_id} is required ({least}..{most}), found {len(kids)}")
        if most != "*" and len(kids) > int(most):
            found.append(f"{path}: {element_id} allows at most {most}, found {len(kids)}")
        for key, expected in element.items():
            if key.startswith("fixed"):
                found += [f"{p}: must be {expected!r}" for p, v in kids if v != expected]
            elif key.startswith("pattern"):
                found += [
                    f"{p}: must match {expected!r}" for p, v in kids if not _matches(v, expected)
                ]
        return found

    def _nodes(self, element_id: str, resource: dict[str, Any]) -> list[Node]:
        """Return every occurrence of `element_id` in `resource` (slices told apart)."""
        if element_id == self.root:
            return [(self.root, resource)]
        parent_id, segment = element_id.rsplit(".", 1)
        found: list[Node] = []
        for path, parent in self._nodes(parent_id, resource):
            if isinstance(parent, dict):
                found += self._children(parent_id, segment, path, parent)
        return found

    def _children(
        self, parent_id: str, segment: str, path: str, parent: dict[str, Any]
    ) -> list[Node]:
        name, _, slice_name = segment.partition(":")
        found = _named(parent, name, path)
        # Recursive definitions: Questionnaire.item.item is another Questionnaire.item.
        own = f"{_unsliced(parent_id)}.{name}"
        if self._refers_to_itself(own):
            queue = list(found)
            while queue:
                here, value = queue.pop()
                if isinstance(value, dict):
                    nested = _named(value, name, here)
                    found += nested
                    queue += nested
        if slice_name:
            found = [(p, v) for p, v in found if self._in_slice(f"{parent_id}.{segment}", v)]
        return found

    def _refers_to_itself(self, element_id: str) -> bool:
        child = self.elements.get(f"{element_id}.{element_id.rsplit('.', 1)[1]}")
        reference = (child or {}).get("contentReference", "")
        return bool(reference) and reference.rpartition("#")[2] == element_id

    def _in_slice(self, slice_id: str, value: Any) -> bool:
        base = self.elements.get(_unsliced(slice_id), {})
        discriminators = base.get("slicing", {}).get("discriminator", [])
        if not discriminators or not isinstance(value, dict):
            return False
        for discriminator in discriminators:
            at = discriminator["path"]
            element = self.elements.get(f"{slice_id}.{at}", {})
            if discriminator.get("type") == "type":  # e.g. Bundle.entry sliced by resource type
                kinds = {t.get("code") for t in element.get("type", [])}
                inner = value.get(at)
                if not isinstance(inner, dict) or inner.get("resourceType") not in kinds:
                    return False
                continue
            expected = next(
                (v for k, v in element.items() if k.startswith(("fixed", "pattern"))), None
            )
            if expected is None and at == "url":
                profiles = self.elements[slice_id].get("type", [{}])[0].get("profile", [])
                expected = profiles[0] if profiles else None
            if expected is None or not _matches(value.get(at), expected):
                return False
        return True


def _unsliced(element_id: str) -> str:
    return ".".join(part.partition(":")[0] for part in element_id.split("."))


def _named(parent: dict[str, Any], name: str, path: str) -> list[Node]:
    if name.endswith("[x]"):
        keys = [k for k in parent if k.startswith(name[:-3]) and k[len(name) - 3 :][:1].isupper()]
    else:
        keys = [name] if name in parent else []
    found: list[Node] = []
    for key in keys:
        value = parent[key]
        if isinstance(value, list):
            found += [(f"{path}.{key}[{i}]", v) for i, v in enumerate(value)]
        else:
            found.append((f"{path}.{key}", value))
    return found


def _matches(value: Any, pattern: Any) -> bool:
    """Return whether `value` holds `pattern` (FHIR pattern[x]: every given part present)."""
    if isinstance(pattern, dict):
        return isinstance(value, dict) and all(
            _matches(value.get(k), v) for k, v in pattern.items()
        )
    if isinstance(pattern, list):
        return isinstance(value, list) and all(any(_matches(v, p) for v in value) for p in pattern)
    return bool(value == pattern)


def problems(resource: dict[str, Any], definition: dict[str, Any]) -> list[str]:
    """Return what `resource` breaks in `definition` (empty when it conforms)."""
    return Checker(definition).problems(resource)
