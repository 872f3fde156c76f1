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
from precert.precerts.present import effective_status
from precert.precerts.repository import Record
from precert.precerts.schemas import CancellationIn, ReviewIn
from precert.precerts.service import open_therapies
from precert.precerts.transitions import record
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
    requested = precert["requested_units"]
    units = request.units if request else None
    if units is not None and requested is not None and units > requested:
        problems.append(
            FieldProblem("units", f"cannot approve more than the {requested} units requested")
        )
    raise_if(problems)
    assert request is not None
    if precert["status"] != Status.PENDED.value:
        raise conflict(
            "PRECERT_NOT_PENDED",
            f"Pre-certification {precert_id} is {effective_status(precert, ctx.today)}, "
            "not pended for review.",
        )
    start, end = precert["start_date"], precert["end_date"]
    assert end is not None and requested is not None
    policy = ctx.policies.by_version(precert["policy_version"]) or ctx.nearest_policy(start)
    key, held = lock_and_gather(
        ctx.session, participant_id=precert["participant_id"], policy=policy, on=start
    )
    decision = decide_review(
        approve=request.decision == "approve",
        requested_units=requested,
        reviewer_units=request.units,
        procedure_codes=tuple(precert["procedure_codes"]),
        start_date=start,
        end_date=end,
        authorizations=[a for a in held if a.precert_id != precert_id],
        policy=policy,
    )
    before = precert["status"]
    findings = [f.as_dict() for f in decision.findings]
    repository.save(
        ctx.session,
        precert,
        {
            "status": decision.status.value,
            "approved_units": decision.approved_units,
            "procedure_codes": list(decision.procedure_codes),
            "ledger_key": key,
            "reasons": [*precert["reasons"], *findings],
            "updated_at": ctx.now,
        },
    )
    if decision.status.holds_units and decision.approved_units:
        repository.add_to_ledger(
            ctx.session, precert["participant_id"], key, decision.approved_units
        )
    log.info("precert.review precert_id=%s outcome=%s", precert_id, precert["status"])
    return record(
        ctx,
        precert,
        action="review",
        before=before,
        request=request,
        reasons=findings,
        note=request.note,
    )


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
    status = Status(effective_status(precert, ctx.today))
    if not status.closed:
        _may_cancel(ctx, precert, status)
    problems: list[FieldProblem] = []
    request = parse(CancellationIn, body, problems)
    raise_if(problems)
    assert request is not None
    if status.closed:
        raise conflict("PRECERT_CLOSED", f"Pre-certification {precert_id} is already {status}.")
    before = precert["status"]
    units, key = precert["approved_units"], precert["ledger_key"]
    if Status(before).holds_units and units and key:
        repository.lock_ledger(ctx.session, precert["participant_id"], key)
        repository.add_to_ledger(ctx.session, precert["participant_id"], key, -units)
    finding = Finding.of(Reason.CANCELLED).as_dict()
    repository.save(
        ctx.session,
        precert,
        {
            "status": Status.CANCELLED.value,
            "reasons": [*precert["reasons"], finding],
            "updated_at": ctx.now,
        },
    )
    log.info("precert.cancelled precert_id=%s from=%s", precert_id, before)
    return record(
        ctx,
        precert,
        action="cancellation",
        before=before,
        request=request,
        reasons=[finding],
        note=request.note,
    )


def _may_cancel(ctx: Context, precert: Record, status: Status) -> None:
    actor = ctx.actor
    if actor.role is Role.STAFF:
        return
    if actor.role is Role.PHYSICIAN and actor.npi == precert["prescriber_npi"]:
        if status is Status.AWAITING_PROVIDER:
            return
        raise forbidden("A physician may cancel a request only while it awaits a provider.")
    if actor.role is Role.PROVIDER and actor.npi == precert["provider_npi"]:
        if status.holds_units:
            return
        raise forbidden("A provider may cancel only an approved pre-certification it holds.")
    raise forbidden("Only the Pre-Certification Unit may cancel this request.")
