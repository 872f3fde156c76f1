"""Check a QuestionnaireResponse against our Questionnaire: the resource, canonical, answers.

Every problem is named by FHIRPath from the resource's root (`QuestionnaireResponse.item[2]...`).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from precert.errors import FieldProblem
from precert.interop.dtr import QUESTIONNAIRE_URL, QUESTIONNAIRE_VERSION
from precert.interop.dtr.questionnaire import Item, is_ours, item_index, items
from precert.interop.fhir.bundle import model_issues

ROOT = "QuestionnaireResponse"
OURS = f"{QUESTIONNAIRE_URL}|{QUESTIONNAIRE_VERSION}"
# A response sent with a request is finished; a draft or one entered in error is not kept.
KEPT_STATUSES = ("completed", "amended")
# The answer element each item type takes.
VALUE_OF_TYPE = {
    "integer": "valueInteger",
    "boolean": "valueBoolean",
    "date": "valueDate",
    "string": "valueString",
    "text": "valueString",
    "choice": "valueCoding",
}


def check(resource: Any) -> list[FieldProblem]:
    """Return every problem of `resource` as a response to our Questionnaire (none: it is one)."""
    if not isinstance(resource, dict) or resource.get("resourceType") != ROOT:
        kind = resource.get("resourceType") if isinstance(resource, dict) else None
        got = f"got {kind}" if kind else "got no resourceType"
        return [FieldProblem(ROOT, f"must be a QuestionnaireResponse resource; {got}")]
    nul = _nul(resource, ROOT)
    if nul:
        return [FieldProblem(name, "must not contain a NUL character") for name in nul]
    refused = model_issues(QuestionnaireResponse, resource, ROOT)
    if refused:
        return [FieldProblem(i.expression or ROOT, i.diagnostics) for i in refused]
    canonical = resource.get("questionnaire")
    if not canonical:
        return [FieldProblem(f"{ROOT}.questionnaire", f"is required: it must name {OURS}")]
    if not is_ours(str(canonical)):
        return [
            FieldProblem(
                f"{ROOT}.questionnaire",
                f"answers {canonical}; the program's documentation questionnaire is {OURS}",
            )
        ]
    problems: list[FieldProblem] = []
    if resource.get("status") not in KEPT_STATUSES:
        problems.append(
            FieldProblem(
                f"{ROOT}.status",
                f"is {resource.get('status')}; a response sent with a request must be completed",
            )
        )
    given: dict[str, list[Any]] = {}
    _check_items(resource.get("item") or [], f"{ROOT}.item", given, problems)
    for item in items():
        missing = item.required and not item.is_group and item.link_id not in given
        if missing and _enabled(item, given):
            problems.append(
                FieldProblem(
                    f"{ROOT}.item",
                    f"question {item.link_id} ({item.text}) is required and has no answer",
                )
            )
    return problems


def _check_items(
    raws: list[dict[str, Any]],
    where: str,
    given: dict[str, list[Any]],
    problems: list[FieldProblem],
) -> None:
    index = item_index()
    for n, raw in enumerate(raws):
        here = f"{where}[{n}]"
        link_id = str(raw.get("linkId"))
        item = index.get(link_id)
        if item is None:
            problems.append(
                FieldProblem(f"{here}.linkId", f"{link_id} is not a question of {OURS}")
            )
            continue
        answers = raw.get("answer") or []
        if item.is_group and answers:
            problems.append(FieldProblem(f"{here}.answer", f"{link_id} is a group: no answer"))
            answers = []
        if link_id in given:
            problems.append(FieldProblem(f"{here}.linkId", f"{link_id} is answered twice"))
        elif answers:
            given[link_id] = []
        if len(answers) > 1 and not item.repeats:
            problems.append(FieldProblem(f"{here}.answer", f"{link_id} takes one answer"))
        for m, answer in enumerate(answers):
            _check_answer(item, answer, f"{here}.answer[{m}]", given, problems)
        _check_items(raw.get("item") or [], f"{here}.item", given, problems)


def _check_answer(
    item: Item,
    answer: dict[str, Any],
    where: str,
    given: dict[str, list[Any]],
    problems: list[FieldProblem],
) -> None:
    element = VALUE_OF_TYPE.get(item.type, "no answer")
    raw = answer.get(element)
    if not _is_kind(item.type, raw):
        problems.append(
            FieldProblem(where, f"{item.link_id} is answered with {element} ({item.type})")
        )
        return
    value = value_of(answer)
    if item.type == "choice":
        codes = [code for code, _ in item.options]
        system = raw.get("system") if isinstance(raw, dict) else None
        if value not in codes or system not in (None, item.system):
            problems.append(
                FieldProblem(
                    f"{where}.valueCoding",
                    f"{item.link_id} is answered with a code of {item.system}: {', '.join(codes)}",
                )
            )
            return
    if isinstance(value, int) and not isinstance(value, bool):
        low = item.minimum if item.minimum is not None else value
        high = item.maximum if item.maximum is not None else value
        if not low <= value <= high:
            problems.append(
                FieldProblem(
                    f"{where}.valueInteger",
                    f"{item.link_id} is answered from {item.minimum} to {item.maximum}; "
                    f"got {value}",
                )
            )
            return
    given[item.link_id].append(value)


def _is_kind(item_type: str, raw: object) -> bool:
    """Return whether `raw` is a value of the JSON kind an item of `item_type` takes."""
    if item_type == "integer":
        return isinstance(raw, int) and not isinstance(raw, bool)
    if item_type == "boolean":
        return isinstance(raw, bool)
    if item_type == "choice":
        return isinstance(raw, dict)
    return isinstance(raw, str) and bool(raw.strip())


def _enabled(item: Item, given: dict[str, list[Any]]) -> bool:
    if item.enabled_by is None:
        return True
    question, answer = item.enabled_by
    return answer in given.get(question, [])


def value_of(answer: dict[str, Any]) -> object:
    """Return an answer's value: int, bool, str, date or a choice's code."""
    for element in ("valueInteger", "valueBoolean", "valueString", "valueDecimal"):
        if element in answer:
            found: object = answer[element]
            return found
    if "valueDate" in answer:
        try:
            return date.fromisoformat(str(answer["valueDate"]))
        except ValueError:
            return str(answer["valueDate"])  # a partial date (2026-03) stays as sent
    coding = answer.get("valueCoding")
    if isinstance(coding, dict):
        return str(coding.get("code"))
    return None


def _nul(value: Any, path: str) -> list[str]:
    """Return where a string holds a NUL character, which PostgreSQL's JSON cannot store."""
    if isinstance(value, str):
        return [path] if "\x00" in value else []
    if isinstance(value, dict):
        return [p for key, item in value.items() for p in _nul(item, f"{path}.{key}")]
    if isinstance(value, list):
        return [p for n, item in enumerate(value) for p in _nul(item, f"{path}[{n}]")]
    return []
