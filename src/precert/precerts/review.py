"""Staff review of pended requests, and cancellation."""

from __future__ import annotations

import logging
from typing import Any

from precert.common.actor import Role
from precert.common.context import Context
from precert.common.parsing import parse, raise_if
from precert.errors import FieldProblem, conflict, forbidden
from precert.precerts import access, repository
from precert.precerts.ledger import lock_and_gather
from precert.precerts.present import effective_status, present
from precert.precerts.schemas import CancellationIn, ReviewIn
from precert.precerts.service import open_therapies
from precert.rules.decision import Status
from precert.rules.reasons import Finding, Reason
from precert.rules.review import decide_review

log = logging.getLogger("precert.decisions")


def review(ctx: Context, precert_id: str, body: Any) -> dict[str, Any]:
    """Record a staff decision on a pended request; the annual limit is checked again."""
    actor = ctx.actor
    access.require_role(actor, Role.STAFF)
    precert = access.ensure_visible(
        actor,
        repository.get(ctx.session, precert_id, for_update=True),
        open_therapies=[],
        today=ctx.today,
    )
    problems: list[FieldProblem] = []
    request = parse(ReviewIn, body, problems)
    requested = precert.requested_units
    units = request.units if request else None
    if units is not None and requested is not None and units > requested:
        problems.append(
            FieldProblem("units", f"cannot approve more than the {requested} units requested")
        )
    raise_if(problems)
    assert request is not None
    if precert.status != Status.PENDED.value:
        raise conflict(
            "PRECERT_NOT_PENDED",
            f"Pre-certification {precert.id} is {effective_status(precert, ctx.today)}, "
            "not pended for review.",
        )
    assert precert.end_date is not None and precert.requested_units is not None
    policy = ctx.policies.by_version(precert.policy_version) or ctx.policies.in_effect(
        precert.start_date
    )
    events = repository.history(ctx.session, [precert.id])[precert.id]
    key, held = lock_and_gather(
        ctx.session, participant_id=precert.participant_id, policy=policy, on=precert.start_date
    )
    decision = decide_review(
        approve=request.decision == "approve",
        requested_units=precert.requested_units,
        reviewer_units=request.units,
        procedure_codes=tuple(precert.procedure_codes),
        start_date=precert.start_date,
        end_date=precert.end_date,
        authorizations=[a for a in held if a.precert_id != precert.id],
        policy=policy,
    )
    before = precert.status
    reasons = [*precert.reasons, *(f.as_dict() for f in decision.findings)]
    precert.status = decision.status.value
    precert.approved_units = decision.approved_units
    precert.procedure_codes = list(decision.procedure_codes)
    precert.ledger_key = key
    precert.reasons = reasons
    precert.updated_at = ctx.now
    if decision.status.holds_units and decision.approved_units:
        repository.add_to_ledger(ctx.session, precert.participant_id, key, decision.approved_units)
    repository.add_event(
        ctx.session,
        precert=precert,
        action="review",
        from_status=before,
        at=ctx.now,
        actor_user_id=actor.user_id,
        actor_role=actor.role.value,
        channel=actor.channel.value,
        inputs=request.model_dump(mode="json"),
        reasons=[f.as_dict() for f in decision.findings],
        note=request.note,
        history=events,
    )
    ctx.session.flush()
    log.info("review.made precert_id=%s outcome=%s", precert.id, precert.status)
    return present(precert, events, today=ctx.today, policies=ctx.policies)


def cancel(ctx: Context, precert_id: str, body: Any) -> dict[str, Any]:
    """Cancel a request; an approved one gives its units back to the year's ledger."""
    actor = ctx.actor
    access.require_role(actor, Role.PHYSICIAN, Role.PROVIDER, Role.STAFF)
    precert = access.ensure_visible(
        actor,
        repository.get(ctx.session, precert_id, for_update=True),
        open_therapies=open_therapies(ctx),
        today=ctx.today,
    )
    status = effective_status(precert, ctx.today)
    closed = Status(status).closed
    if not closed:
        _may_cancel(ctx, precert.prescriber_npi, precert.provider_npi, Status(status))
    problems: list[FieldProblem] = []
    request = parse(CancellationIn, body, problems)
    raise_if(problems)
    assert request is not None
    if closed:
        raise conflict("PRECERT_CLOSED", f"Pre-certification {precert.id} is already {status}.")
    events = repository.history(ctx.session, [precert.id])[precert.id]
    before = precert.status
    if Status(before).holds_units and precert.approved_units and precert.ledger_key:
        repository.lock_ledger(ctx.session, precert.participant_id, precert.ledger_key)
        repository.add_to_ledger(
            ctx.session, precert.participant_id, precert.ledger_key, -precert.approved_units
        )
    finding = Finding.of(Reason.CANCELLED).as_dict()
    precert.status = Status.CANCELLED.value
    precert.reasons = [*precert.reasons, finding]
    precert.updated_at = ctx.now
    repository.add_event(
        ctx.session,
        precert=precert,
        action="cancellation",
        from_status=before,
        at=ctx.now,
        actor_user_id=actor.user_id,
        actor_role=actor.role.value,
        channel=actor.channel.value,
        inputs=request.model_dump(mode="json"),
        reasons=[finding],
        note=request.note,
        history=events,
    )
    ctx.session.flush()
    log.info("precert.cancelled precert_id=%s from=%s", precert.id, before)
    return present(precert, events, today=ctx.today, policies=ctx.policies)


def _may_cancel(ctx: Context, prescriber: str, holder: str | None, status: Status) -> None:
    actor = ctx.actor
    if actor.role is Role.STAFF:
        return
    if actor.role is Role.PHYSICIAN and actor.npi == prescriber:
        if status is Status.AWAITING_PROVIDER:
            return
        raise forbidden("A physician may cancel a request only while it awaits a provider.")
    if actor.role is Role.PROVIDER and holder is not None and actor.npi == holder:
        if status.holds_units:
            return
        raise forbidden("A provider may cancel only an approved pre-certification it holds.")
    raise forbidden("Only the Pre-Certification Unit may cancel this request.")
