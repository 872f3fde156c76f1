"""Answer a 278 request: a 999 for envelope and syntax errors, else a 278 response.

`read` is pure (no database). `decide` runs the request through `authorization.submit` (the
same services as the REST API) and answers with the review actions of `actions.determine`. A
problem the services report is answered with AAA segments; it is raised as `Rejected` so that
the unit of work rolls back and nothing is written.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from precert.common.context import Context
from precert.errors import DomainError
from precert.interop.actions import determine
from precert.interop.authorization import Message, submit
from precert.interop.x12 import envelope as envelopes
from precert.interop.x12.ack999 import write_999
from precert.interop.x12.mapping import to_authorization
from precert.interop.x12.rejections import rejections
from precert.interop.x12.request import Request278, read_request
from precert.interop.x12.response import Outcome278, write_278
from precert.interop.x12.tokens import X12SyntaxError

log = logging.getLogger("precert.x12")
STANDARD = "x12-278"


@dataclass(frozen=True, slots=True)
class Answer:
    kind: str  # "278" or "999"
    text: str
    problems: tuple[str, ...] = ()  # plain words: the 999's problems, or the AAA rejections
    precert_id: str | None = None


class Rejected(Exception):
    """A 278 answered with AAA rejections; raised out of the unit of work so it rolls back."""

    def __init__(self, answer: Answer) -> None:
        super().__init__("; ".join(answer.problems))
        self.answer = answer


def read(text: str, now: datetime) -> Request278 | Answer:
    """Return the request, or the 999 rejecting it."""
    envelope = None
    try:
        envelope = envelopes.read(text)
        return read_request(envelope)
    except envelopes.EnvelopeError as exc:
        problems, envelope = exc.problems, exc.envelope
    except X12SyntaxError as exc:
        problems = exc.problems
    log.info("x12.rejected kind=999 problems=%d", len(problems))
    return Answer("999", write_999(problems, envelope, now), tuple(p.detail for p in problems))


def decide(ctx: Context, request: Request278, raw: str) -> Answer:
    """Decide `request` (received as `raw`) through the services; raise Rejected on a problem."""
    authorization = to_authorization(request)
    message = Message(
        standard=STANDARD,
        source_system=_source_system(request),
        source_id=request.source_id,
        body={"x12": raw},
    )
    try:
        outcome = submit(ctx, authorization, message)
    except DomainError as exc:
        found = rejections(exc, dict(authorization.where), len(request.lines))
        text = write_278(request, Outcome278(rejections=tuple(found)), ctx.now)
        log.info("x12.rejected kind=AAA status=%s problems=%d", exc.status, len(found))
        raise Rejected(
            Answer("278", text, tuple(f"{r.where}: {r.message} (AAA {r.reason})" for r in found))
        ) from None
    determination = determine(outcome.precert, authorization.services)
    text = write_278(request, Outcome278(determination=determination), ctx.now)
    log.info(
        "x12.decided precert_id=%s step=%s action=%s",
        determination.precert_id,
        outcome.step,
        determination.action.value,
    )
    return Answer("278", text, precert_id=determination.precert_id)


def _source_system(request: Request278) -> str:
    """The sender: its interchange ID and application code (ISA06/GS02)."""
    envelope = request.envelope
    return f"{envelope.sender[1]}/{envelope.group_sender}"
