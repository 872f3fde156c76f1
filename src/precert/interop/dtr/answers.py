"""Answers to the documentation Questionnaire: kept with a pre-certification, shown, read back.

PAS's $submit calls `keep` for a QuestionnaireResponse found in the request Bundle's
`supportingInfo`. Problems are `FieldProblem`s named by FHIRPath from the resource's root,
`QuestionnaireResponse...`: replace that root with the resource's place in the Bundle
(`Bundle.entry[3].resource...`) to report them against the message.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from precert.errors import FieldProblem, not_found, validation_error
from precert.interop.dtr.questionnaire import item_index, items
from precert.interop.dtr.responses import check, value_of
from precert.models.interop import QuestionnaireAnswers
from precert.models.precert import Precert

log = logging.getLogger("precert.dtr")


def keep(session: Session, *, precert_id: str, resource: dict[str, Any], at: datetime) -> None:
    """Store `resource`, a QuestionnaireResponse to our Questionnaire, with `precert_id`.

    Raises a validation error (422) naming every problem when it is not one.
    """
    problems: list[FieldProblem] = check(resource)
    if problems:
        raise validation_error(problems)
    if session.get(Precert, precert_id) is None:
        raise not_found(f"Pre-certification {precert_id}")
    canonical = str(resource["questionnaire"]).strip()
    session.add(
        QuestionnaireAnswers(
            precert_id=precert_id, questionnaire=canonical[:300], resource=resource, created_at=at
        )
    )
    session.flush()
    log.info("dtr.answers.kept precert_id=%s questionnaire=%s", precert_id, canonical)


# ---- reading them back --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Answered:
    """One question (or a group's heading) with its answers as a person reads them."""

    link_id: str
    question: str
    answers: tuple[str, ...]
    depth: int
    is_group: bool = False


@dataclass(frozen=True, slots=True)
class Documentation:
    """One QuestionnaireResponse kept with a pre-certification, for display."""

    received_at: datetime
    questionnaire: str
    items: tuple[Answered, ...]

    @property
    def sections(self) -> list[tuple[Answered | None, list[Answered]]]:
        """Return the answers in runs: top-level questions, or a group's heading and its own."""
        runs: list[tuple[Answered | None, list[Answered]]] = []
        for row in self.items:
            if row.is_group:
                runs.append((row, []))
            elif not runs or (row.depth == 0 and runs[-1][0] is not None):
                runs.append((None, [row]))
            else:
                runs[-1][1].append(row)
        return runs


def _stored(session: Session, precert_id: str) -> list[QuestionnaireAnswers]:
    query = (
        select(QuestionnaireAnswers)
        .where(QuestionnaireAnswers.precert_id == precert_id)
        .order_by(QuestionnaireAnswers.id)
    )
    return list(session.execute(query).scalars())


def answers_of(session: Session, precert_id: str) -> list[Documentation]:
    """Return the responses kept with `precert_id`, oldest first: questions in the
    Questionnaire's order, each with its answers; questions left unanswered are left out."""
    return [
        Documentation(_utc(row.created_at), row.questionnaire, shown(row.resource))
        for row in _stored(session, precert_id)
    ]


def _utc(moment: datetime) -> datetime:
    """Return a stored time as UTC (SQLite gives it back without its zone)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def shown(resource: Mapping[str, Any]) -> tuple[Answered, ...]:
    """Return the answered questions of `resource` in the Questionnaire's order."""
    given = _answers_by_link_id(resource.get("item") or [])
    rows: list[Answered] = []
    heading: Answered | None = None  # a group's heading, shown before its first answer
    for item in items():
        if item.is_group:
            heading = Answered(item.link_id, item.text, (), item.depth, is_group=True)
            continue
        if item.depth == 0:
            heading = None
        texts = tuple(_text(item.link_id, a) for a in given.get(item.link_id, []))
        if not texts:
            continue
        if heading is not None:
            rows.append(heading)
            heading = None
        rows.append(Answered(item.link_id, item.text, texts, item.depth))
    return tuple(rows)


def values_of(resource: Mapping[str, Any]) -> dict[str, object]:
    """Return linkId -> value (int, bool, str, date, or a choice's code); a tuple of them
    for a question that repeats. What `precert.rules.documentation` reads."""
    given = _answers_by_link_id(resource.get("item") or [])
    index = item_index()
    values: dict[str, object] = {}
    for link_id, answers in given.items():
        found = [value_of(a) for a in answers]
        item = index.get(link_id)
        values[link_id] = tuple(found) if item is not None and item.repeats else found[0]
    return values


def latest(session: Session, precert_id: str) -> tuple[str, dict[str, object]] | None:
    """Return the questionnaire and the values of the last response kept with `precert_id`."""
    stored = _stored(session, precert_id)
    if not stored:
        return None
    return stored[-1].questionnaire, values_of(stored[-1].resource)


def _answers_by_link_id(raw_items: list[Any]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for raw in raw_items:
        if not isinstance(raw, dict):
            continue
        answers = [a for a in raw.get("answer") or [] if isinstance(a, dict)]
        if answers:
            found.setdefault(str(raw.get("linkId")), []).extend(answers)
        found.update(_answers_by_link_id(raw.get("item") or []))
        for answer in answers:
            found.update(_answers_by_link_id(answer.get("item") or []))
    return found


def _text(link_id: str, answer: dict[str, Any]) -> str:
    """Return an answer as a person reads it (a choice by our own label, not the sender's)."""
    value = value_of(answer)
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, date):
        return value.isoformat()
    if link_id == "pain-duration-months" and isinstance(value, int):
        return f"{value} month" if value == 1 else f"{value} months"
    coding = answer.get("valueCoding")
    if isinstance(coding, dict):
        item = item_index().get(link_id)
        labels = dict(item.options) if item is not None else {}
        return labels.get(str(value), str(coding.get("display") or value))
    return str(value)
