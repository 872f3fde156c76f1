"""Append a transition to a pre-certification's history and return what the reader sees."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from precert.common.actor import Actor, Role
from precert.common.context import Context
from precert.interop.subscriptions.events import notify
from precert.precerts import repository
from precert.precerts.present import present
from precert.precerts.repository import Record


def channel_for(actor: Actor, requested: str | None) -> str:
    """Return the channel to record; only staff say a request came by phone."""
    if requested and actor.role is Role.STAFF:
        return requested
    return actor.channel.value


def record(
    ctx: Context,
    precert: Record,
    *,
    action: str,
    before: str | None,
    request: BaseModel,
    reasons: list[dict[str, str]],
    note: str | None = None,
) -> dict[str, Any]:
    """Store who did what, when, by which channel, with which inputs and reasons."""
    history = repository.history(ctx.session, [precert["id"]])[precert["id"]] if before else []
    repository.add_event(
        ctx.session,
        precert=precert,
        action=action,
        from_status=before,
        at=ctx.now,
        actor_user_id=ctx.actor.user_id,
        actor_role=ctx.actor.role.value,
        channel=channel_for(ctx.actor, getattr(request, "channel", None)),
        inputs=request.model_dump(mode="json", exclude={"channel"}),
        reasons=reasons,
        history=history,
        note=note,
    )
    presented = present(precert, history, today=ctx.today, policies=ctx.policies)
    # Da Vinci PAS subscribers (FHIR Subscriptions) hear of a result when step 2 is completed
    # or staff decide a pended request. The notification is queued here, in the decision's own
    # transaction, so it exists exactly when the decision does; the delivery worker sends it
    # after the commit (docs/subscriptions.md).
    if action in ("completion", "review"):
        notify(ctx, presented)
    return presented
