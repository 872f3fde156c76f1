"""A small profile checker: cardinalities and fixed values as a package's StructureDefinition
(snapshot) states them.

It checks, for every element of the snapshot that is not inside a slice: an element with
min >= 1 is present under every parent that is present; max "0" is absent; max "1" is not
repeated; fixed[x] values are equal and pattern[x] values are contained. Slices (`:name`) and
value sets are left to the tests that care (it is not a full validator).
"""

from __future__ import annotations

from typing import Any


def problems(resource: dict[str, Any], definition: dict[str, Any]) -> list[str]:
    """Return what `resource` breaks in `definition` (empty when it conforms)."""
    found: list[str] = []
    root = definition["type"]
    for element in definition["snapshot"]["element"]:
        if ":" in element["id"]:
            continue  # inside a slice
        path: str = element["path"]
        parts = path.split(".")[1:]
        if not parts:
            continue
        parents = _nodes(resource, parts[:-1])
        for parent in parents:
            if not isinstance(parent, dict):
                continue
            values = _children(parent, parts[-1])
            where = f"{root}.{'.'.join(parts)}"
            minimum = int(element.get("min", 0))
            maximum = element.get("max", "*")
            if len(values) < minimum:
                found.append(f"{where}: {len(values)} present, at least {minimum} required")
            if maximum == "0" and values:
                found.append(f"{where}: must be absent")
            if maximum == "1" and len(values) > 1:
                found.append(f"{where}: {len(values)} present, at most 1 allowed")
            for key, expected in element.items():
                for value in values:
                    if key.startswith("fixed") and value != expected:
                        found.append(f"{where}: {value!r} is not the fixed {expected!r}")
                    if key.startswith("pattern") and not _contains(value, expected):
                        found.append(f"{where}: {value!r} does not match {expected!r}")
    return found


def _nodes(value: Any, parts: list[str]) -> list[Any]:
    nodes = [value]
    for part in parts:
        nodes = [
            child for node in nodes if isinstance(node, dict) for child in _children(node, part)
        ]
    return nodes


def _children(node: dict[str, Any], name: str) -> list[Any]:
    if name.endswith("[x]"):
        stem = name[:-3]
        keys = [k for k in node if k.startswith(stem) and k[len(stem) : len(stem) + 1].isupper()]
    else:
        keys = [name] if name in node else []
    values: list[Any] = []
    for key in keys:
        value = node[key]
        values += value if isinstance(value, list) else [value]
    return values


def _contains(value: Any, pattern: Any) -> bool:
    """Return whether `value` holds everything `pattern` states (FHIR pattern[x] semantics)."""
    if isinstance(pattern, dict):
        return isinstance(value, dict) and all(
            _contains(value.get(k), v) for k, v in pattern.items()
        )
    if isinstance(pattern, list):
        return isinstance(value, list) and all(
            any(_contains(item, p) for item in value) for p in pattern
        )
    return bool(value == pattern)
