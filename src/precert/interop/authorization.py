"""A prior-authorization request as PAS and X12 278 carry it, decided as step 1, step 2 or both.

The standards send one message where the program has two steps: the prescribing physician's
referral (participant, therapy, diagnoses) and the performing provider's completion (codes,
units, start date). `submit` decides which steps a message is, from who sends it and what it
names, and runs them through the same services as the REST API, so the rules, reasons and
ledger are the same. Problems are reported against the sender's own locations (a FHIRPath, an
X12 segment) through `AuthorizationRequest.where`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from precert.common.actor import Role
from precert.common.context import Context
from precert.errors import DomainError, FieldProblem, validation_error
from precert.interop import repository as messages
from precert.interop.dtr.answers import keep
from precert.participants import repository as participants
from precert.precerts import access, completion, service
from precert.precerts import repository as precerts
from precert.rules.codes import PARTICIPANT_ID_PATTERN
from precert.rules.decision import Status


@dataclass(frozen=True, slots=True)
class Service:
    """One requested service line: a CPT code, its units (15 minutes each) and when."""

    code: str
    units: int
    start: date
    end: date | None = None


@dataclass(frozen=True, slots=True)
class Message:
    """The message a request came in, kept with the pre-certification it reached."""

    standard: str  # "pas" or "x12-278"
    source_system: str
    source_id: str
    body: dict[str, Any]


@dataclass(frozen=True, slots=True)
class AuthorizationRequest:
    member_id: str
    birth_date: date | None
    physician_npi: str | None
    performer_npi: str | None
    services: tuple[Service, ...]
    diagnosis_codes: tuple[str, ...]
    plan_of_care_date: date
    priority: str = "standard"
    # The pre-certification this message completes (a PAS claim update, a 278 naming it).
    prior_id: str | None = None
    # DTR QuestionnaireResponses sent along: kept with the pre-certification before step 2
    # is decided (a policy may let the answers count; see precert.rules.documentation).
    documentation: tuple[dict[str, Any], ...] = ()
    # Where each field is in the sender's message; keys are the REST API's field names
    # (participant_id, prescriber_npi, provider_npi, therapy, diagnosis_codes, procedure_codes,
    # units, start_date, plan_of_care_date, birth_date, prior) and "*" for the message itself.
    where: Mapping[str, str] = field(default_factory=dict)

    @property
    def start_date(self) -> date:
        return min(s.start for s in self.services)

    @property
    def codes(self) -> list[str]:
        return list(dict.fromkeys(s.code for s in self.services))

    @property
    def units(self) -> int:
        return sum(s.units for s in self.services)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a message did: the steps it ran and the pre-certification as it now stands."""

    step: str  # "1", "2" or "1+2"
    precert: dict[str, Any]


def submit(ctx: Context, request: AuthorizationRequest, message: Message) -> Outcome:
    """Run the steps `request` is for; keep `message` with the pre-certification."""
    try:
        return _submit(ctx, request, message)
    except DomainError as exc:
        raise located(exc, request.where) from None


def _submit(ctx: Context, request: AuthorizationRequest, message: Message) -> Outcome:
    actor = ctx.actor
    access.require_role(actor, Role.PHYSICIAN, Role.PROVIDER, Role.STAFF)
    problems: list[FieldProblem] = []
    _check_member(ctx, request, problems)
    if not request.services:
        problems.append(FieldProblem("procedure_codes", "at least one service is required"))
        raise validation_error(problems)
    prior = _prior(ctx, request, problems)
    therapy = prior["therapy"] if prior else _therapy_of(ctx, request, problems)
    if actor.role is Role.PHYSICIAN and request.prior_id is not None:
        problems.append(
            FieldProblem(
                "prior",
                "a physician's request starts a new pre-certification; only the performing "
                "provider (or the Pre-Certification Unit) completes an open one",
            )
        )
    if actor.role is Role.PHYSICIAN or (actor.is_staff and not request.performer_npi):
        _require(request.physician_npi, "prescriber_npi", "a prescribing physician", problems)
        _raise(problems)
        started = _step1(ctx, request, therapy)
        _attach(ctx, request, message, started["id"], "1")
        return Outcome("1", started)
    _require(request.performer_npi, "provider_npi", "a performing provider", problems)
    if prior is None and therapy is not None and not problems:
        prior = _open_referral(ctx, request, therapy)
        if prior is None and not actor.is_staff:
            problems.append(_no_open_referral(request, therapy))
    _raise(problems)
    if prior is not None:
        _attach(ctx, request, message, prior["id"], "2")
        return Outcome("2", _step2(ctx, request, prior["id"]))
    # Staff with both the physician and the performer, and no open step 1: both at once.
    _require(request.physician_npi, "prescriber_npi", "a prescribing physician", problems)
    _raise(problems)
    started = _step1(ctx, request, therapy)
    if started["status"] != Status.AWAITING_PROVIDER.value:
        _attach(ctx, request, message, started["id"], "1")
        return Outcome("1", started)  # denied at step 1: there is nothing to complete
    _attach(ctx, request, message, started["id"], "1+2")
    return Outcome("1+2", _step2(ctx, request, started["id"]))


def _attach(
    ctx: Context, request: AuthorizationRequest, message: Message, precert_id: str, step: str
) -> None:
    """Keep the message and its documentation with the pre-certification before step 2 is
    decided: the documentation may count, and a notification of step 2 echoes the message."""
    messages.add(
        ctx.session,
        precert_id=precert_id,
        standard=message.standard,
        source_system=message.source_system,
        source_id=message.source_id,
        step=step,
        body=message.body,
        user_id=ctx.actor.user_id,
        at=ctx.now,
    )
    for resource in request.documentation:
        keep(ctx.session, precert_id=precert_id, resource=resource, at=ctx.now)


def _step1(ctx: Context, request: AuthorizationRequest, therapy: str | None) -> dict[str, Any]:
    body = {
        "participant_id": request.member_id,
        "prescriber_npi": request.physician_npi,
        "therapy": therapy,
        "diagnosis_codes": list(request.diagnosis_codes),
        "plan_of_care_date": request.plan_of_care_date.isoformat(),
        "start_date": request.start_date.isoformat(),
        "priority": request.priority,
    }
    return service.start_referral(ctx, body)


def _step2(ctx: Context, request: AuthorizationRequest, precert_id: str) -> dict[str, Any]:
    body = {
        "provider_npi": request.performer_npi,
        "procedure_codes": request.codes,
        "units": request.units,
        "start_date": request.start_date.isoformat(),
    }
    return completion.complete_referral(ctx, precert_id, body)


def _check_member(
    ctx: Context, request: AuthorizationRequest, problems: list[FieldProblem]
) -> None:
    member = request.member_id
    if not PARTICIPANT_ID_PATTERN.fullmatch(member):
        problems.append(
            FieldProblem("participant_id", f"{member!r} is not an 8-digit MO HealthNet ID")
        )
        return
    found = participants.get(ctx.session, member)
    if found is None:
        problems.append(
            FieldProblem("participant_id", f"no MO HealthNet participant has ID {member}")
        )
    elif request.birth_date is not None and request.birth_date != found.birth_date:
        # The roster's birth date is not told: the sender learns only that theirs is wrong.
        problems.append(
            FieldProblem(
                "birth_date",
                f"the birth date {request.birth_date} does not match participant {member}'s record",
            )
        )


def _therapy_of(
    ctx: Context, request: AuthorizationRequest, problems: list[FieldProblem]
) -> str | None:
    """Return the one therapy whose codes the request names; note it when there is not one."""
    policy = ctx.policy_on(request.start_date, "start_date", problems)
    if policy is None:
        return None
    named = (policy.therapy_for_procedure(code) for code in request.codes)
    found = {t.key: t for t in named if t is not None}
    if len(found) == 1:
        return next(iter(found))
    if found:
        names = " and ".join(t.label for t in found.values())
        message = f"the codes are of {names}: send one request per therapy"
    else:
        labels = ", ".join(f"{t.label} ({', '.join(sorted(t.codes))})" for t in policy.therapies)
        message = (
            f"none of the codes ({', '.join(request.codes)}) is a code of this program's "
            f"therapies: {labels}"
        )
    problems.append(FieldProblem("procedure_codes", message))
    return None


def _prior(
    ctx: Context, request: AuthorizationRequest, problems: list[FieldProblem]
) -> dict[str, Any] | None:
    """Return the pre-certification the message says it completes, if it names one."""
    if request.prior_id is None:
        return None
    found = precerts.get(ctx.session, request.prior_id)
    visible = found is not None and access.can_see(
        ctx.actor, found, open_therapies=service.open_therapies(ctx), today=ctx.today
    )
    if not visible:
        problems.append(
            FieldProblem("prior", f"no pre-certification {request.prior_id} is open to you")
        )
        return None
    return found


def _open_referral(
    ctx: Context, request: AuthorizationRequest, therapy: str
) -> dict[str, Any] | None:
    """Return the newest open step 1 of this physician for this participant and therapy."""
    visible = access.visible_condition(
        ctx.actor,
        open_therapies=service.open_therapies(ctx),
        today=ctx.today,
        participant_id=request.member_id,
    )
    rows, _ = precerts.search(
        ctx.session,
        visible=visible,
        participant_id=request.member_id,
        status=Status.AWAITING_PROVIDER.value,
        therapy=therapy,
        today=ctx.today,
        limit=50,
        offset=0,
    )
    mine = [r for r in rows if r["prescriber_npi"] == request.physician_npi]
    return mine[0] if mine else None


def _no_open_referral(request: AuthorizationRequest, therapy: str) -> FieldProblem:
    who = f"physician {request.physician_npi}" if request.physician_npi else "a physician"
    return FieldProblem(
        "prior",
        f"no open {therapy.replace('_', ' ')} request of {who} for participant "
        f"{request.member_id} awaits a performing provider; the prescribing physician starts "
        "the request (step 1) before the performing provider completes it",
    )


def _require(value: str | None, name: str, what: str, problems: list[FieldProblem]) -> None:
    if not value:
        problems.append(FieldProblem(name, f"the request names no {what}"))


def _raise(problems: list[FieldProblem]) -> None:
    if problems:
        raise validation_error(problems)


_INDEX = re.compile(r"\[(\d+)\]$")


def located(exc: DomainError, where: Mapping[str, str]) -> DomainError:
    """Return `exc` with its fields named where the sender's message holds them."""
    if not exc.fields:
        return exc
    problems = [FieldProblem(locate(p.field, where), p.message) for p in exc.fields]
    detail = "; ".join(f"{p.field}: {p.message}" for p in problems)
    return DomainError(exc.status, exc.error, detail, problems)


def locate(name: str, where: Mapping[str, str]) -> str:
    """Return the location of REST field `name` (`diagnosis_codes[1]` too) in the message."""
    if name in where:
        return where[name]
    base = _INDEX.sub("", name)
    index = _INDEX.search(name)
    if index and f"{base}[]" in where:
        return where[f"{base}[]"].replace("[]", f"[{index.group(1)}]")
    return where.get(base, where.get("*", name))
