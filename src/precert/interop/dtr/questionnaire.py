"""The chronic-pain documentation Questionnaire, shipped as data, and its items in order."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from precert.interop.dtr import QUESTIONNAIRE_URL, QUESTIONNAIRE_VERSION

DATA = Path(__file__).with_name("data") / "chronic-pain-questionnaire.json"


@cache
def _loaded() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DATA.read_text(encoding="utf-8"))
    return data


def questionnaire() -> dict[str, Any]:
    """Return the Questionnaire resource (a copy: callers may change it)."""
    return copy.deepcopy(_loaded())


def split_canonical(canonical: str) -> tuple[str, str | None]:
    """Return the URL and the version of `url|version` (None when no version is given)."""
    url, bar, version = canonical.strip().partition("|")
    return url, (version if bar else None)


def is_ours(canonical: str) -> bool:
    """Return whether `canonical` names our Questionnaire, with or without our version."""
    url, version = split_canonical(canonical)
    return url == QUESTIONNAIRE_URL and version in (None, QUESTIONNAIRE_VERSION)


@dataclass(frozen=True, slots=True)
class Item:
    """One item of the Questionnaire, as an answer is checked and shown against it."""

    link_id: str
    text: str
    type: str
    required: bool
    repeats: bool
    depth: int  # 0 at the top, 1 inside a group
    minimum: int | None
    maximum: int | None
    options: tuple[tuple[str, str], ...]  # (code, display) of a choice item
    system: str | None  # the code system of those options
    # enableWhen (one condition at most here): the question and the answer that enables it.
    enabled_by: tuple[str, object] | None

    @property
    def is_group(self) -> bool:
        return self.type == "group"


def _bound(raw: dict[str, Any], name: str) -> int | None:
    for extension in raw.get("extension", []):
        if extension["url"] == f"http://hl7.org/fhir/StructureDefinition/{name}":
            value: int = extension["valueInteger"]
            return value
    return None


def _enabled_by(raw: dict[str, Any]) -> tuple[str, object] | None:
    conditions = raw.get("enableWhen") or []
    if not conditions:
        return None
    condition = conditions[0]
    if "answerBoolean" in condition:
        return condition["question"], condition["answerBoolean"]
    return condition["question"], condition["answerCoding"]["code"]


def _walk(raws: list[dict[str, Any]], depth: int) -> Iterator[Item]:
    for raw in raws:
        yield Item(
            link_id=raw["linkId"],
            text=raw["text"],
            type=raw["type"],
            required=bool(raw.get("required")),
            repeats=bool(raw.get("repeats")),
            depth=depth,
            minimum=_bound(raw, "minValue"),
            maximum=_bound(raw, "maxValue"),
            options=tuple(
                (o["valueCoding"]["code"], o["valueCoding"]["display"])
                for o in raw.get("answerOption", [])
            ),
            system=next((o["valueCoding"]["system"] for o in raw.get("answerOption", [])), None),
            enabled_by=_enabled_by(raw),
        )
        yield from _walk(raw.get("item", []), depth + 1)


@cache
def items() -> tuple[Item, ...]:
    """Return every item, groups included, in the Questionnaire's order."""
    return tuple(_walk(_loaded()["item"], 0))


@cache
def item_index() -> dict[str, Item]:
    return {item.link_id: item for item in items()}
