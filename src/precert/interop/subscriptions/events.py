"""Queue a notification for every subscriber to a pre-certification's result.

Called from `precerts.transitions.record` in the transaction that records the decision, so a
notification exists exactly when the decision does; the delivery worker sends it after the
commit. A subscription hears of results where its NPI is the prescribing physician or the
performing provider.
"""

from __future__ import annotations

import logging
from typing import Any

from precert.common.context import Context
from precert.interop.subscriptions import repository
from precert.interop.subscriptions.notification import event_notification
from precert.interop.subscriptions.service import payload_base
from precert.models.interop import Delivery

log = logging.getLogger("precert.interop")


def notify(ctx: Context, precert: dict[str, Any]) -> None:
    """Queue event notifications of `precert` (as `present` shows it) for its subscribers."""
    npis = {n for n in (precert["prescriber_npi"], precert["provider_npi"]) if n}
    subscribers = repository.listening(ctx.session, npis)
    if not subscribers:
        return
    # Imported here: the PAS response is written through the same services that call us.
    from precert.interop.fhir.current import response_for

    responses: dict[str, dict[str, Any]] = {}
    for subscription in subscribers:
        base = payload_base(subscription)
        if base not in responses:
            responses[base] = response_for(ctx.session, precert, base=base, now=ctx.now)
        subscription.events += 1
        repository.add_delivery(
            ctx.session,
            Delivery(
                subscription_id=subscription.id,
                precert_id=precert["id"],
                event_number=subscription.events,
                payload=event_notification(
                    base=base,
                    subscription_id=subscription.id,
                    event_number=subscription.events,
                    at=ctx.now,
                    response=responses[base],
                ),
                attempts=0,
                next_attempt_at=ctx.now,  # due at once
                created_at=ctx.now,
            ),
        )
        log.info(
            "subscription.queued subscription_id=%s event=%s precert_id=%s",
            subscription.id,
            subscription.events,
            precert["id"],
        )
