"""Answer a CDS Hooks call: read it, gather the participant's facts, assess each order."""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from precert.common.actor import Role
from precert.common.context import Context
from precert.interop.cds_hooks import repository
from precert.interop.cds_hooks.assessment import assess, program_code
from precert.interop.cds_hooks.member import Candidate, Member
from precert.interop.cds_hooks.request import DraftOrder, read
from precert.interop.cds_hooks.response import (
    card,
    coverage_information,
    system_action,
    unknown_member_card,
)
from precert.interop.cds_hooks.services import HookService
from precert.participants import repository as participants
from precert.policy.loader import NoPolicyInEffect
from precert.policy.models import Policy
from precert.precerts import access
from precert.rules.codes import PARTICIPANT_ID_PATTERN

log = logging.getLogger("precert.crd")


def answer(ctx: Context, service: HookService, body: Any) -> dict[str, Any]:
    """Return the cards and system actions for a call of `service` (CDS Hooks response).

    Only orders carrying one of the program's CPT codes get an answer; others are not this
    program's to speak about. The answer is read-only: nothing is requested or stored.
    """
    access.require_role(ctx.actor, Role.PHYSICIAN, Role.PROVIDER, Role.STAFF)
    request = read(service, body)
    ours = [
        (draft, on, policy)
        for draft in request.orders
        if (policy := _policy(ctx, on := draft.order.on or ctx.today)) is not None
        and program_code(policy, draft.order.procedure_codes) is not None
    ]
    cards: list[dict[str, Any]] = []
    actions: list[dict[str, Any]] = []
    missing = request.member.missing() if ours else None
    if missing is not None:
        raise missing
    member = _known(ctx, request.member) if ours else None
    if ours and member is None:
        first = request.member.candidates[0].member_id if request.member.candidates else None
        cards.append(unknown_member_card(first))
    if ours and member is not None:
        cards, actions = _assessed(ctx, member, ours)
    log.info(
        "crd.answered service=%s hook_instance=%s participant_id=%s orders=%d answered=%d",
        service.id,
        request.hook_instance,
        member.member_id if member else "-",
        len(request.orders),
        len(actions),
    )
    return {"cards": cards, "systemActions": actions}


def _policy(ctx: Context, on: date) -> Policy | None:
    try:
        return ctx.policies.in_effect(on)
    except NoPolicyInEffect:
        return None  # the program does not exist on that date


def _known(ctx: Context, member: Member) -> Candidate | None:
    """Return the first member ID the request carries that is on the roster."""
    for candidate in member.candidates:
        if PARTICIPANT_ID_PATTERN.fullmatch(candidate.member_id) and participants.exists(
            ctx.session, candidate.member_id
        ):
            return candidate
    return None


def _assessed(
    ctx: Context, member: Candidate, ours: list[tuple[DraftOrder, date, Policy]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    participant = participants.facts_of(ctx.session, member.member_id)
    if participant is None:  # pragma: no cover - checked by _known in the same transaction
        return [unknown_member_card(member.member_id)], []
    days = [on for _, on, _ in ours]
    held = repository.held(ctx.session, member.member_id, earliest=min(days), latest=max(days))
    cards, actions = [], []
    for draft, on, policy in ours:
        found = assess(
            policy=policy,
            participant=participant,
            approved=held,
            order=draft.order,
            on=on,
        )
        if found is None:  # pragma: no cover - `ours` holds program orders only
            continue
        extension = coverage_information(found, member.coverage, ctx.today)
        cards.append(card(found))
        actions.append(system_action(draft.resource, draft.order.reference, extension))
    return cards, actions
