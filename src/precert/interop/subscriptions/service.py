"""Subscriptions to PAS results: create, read, list and turn off (`/fhir/Subscription`).

A physician or a performing provider subscribes to results about their own NPI; staff of the
Pre-Certification Unit to any. A new subscription is `requested` until its endpoint accepts
the handshake (sent after the subscription is stored; see `delivery.handshake`).
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from precert.common.actor import Role
from precert.common.context import Context
from precert.errors import DomainError, forbidden, not_found
from precert.interop.fhir.outcome import Invalid
from precert.interop.subscriptions import repository
from precert.interop.subscriptions.resource import read_subscription
from precert.models.interop import Subscription
from precert.precerts import access

log = logging.getLogger("precert.interop")

REQUESTED = "requested"


def create(ctx: Context, body: Any, *, payload_base: str) -> Subscription:
    """Store the subscription `body` asks for; its notifications name `payload_base`.

    `body` may be the `Invalid` of a body that was not JSON: reported after the role check.
    """
    actor = ctx.actor
    access.require_role(actor, Role.PHYSICIAN, Role.PROVIDER, Role.STAFF)
    if isinstance(body, Invalid):
        raise body
    requested = read_subscription(body)
    if not actor.is_staff and requested.npi != actor.npi:
        raise forbidden(
            f"You may subscribe to results about your own NPI ({actor.npi}) only; the filter "
            f"names {requested.npi}."
        )
    resource = requested.resource
    # Where the notifications' URLs point (the public FHIR base), kept with the subscription.
    resource.setdefault("meta", {})["source"] = payload_base
    subscription = Subscription(
        id=str(uuid.uuid4()),
        user_id=actor.user_id,
        npi=requested.npi,
        endpoint=requested.endpoint,
        headers=requested.headers,
        status=REQUESTED,
        events=0,
        resource=resource,
        created_at=ctx.now,
    )
    repository.add(ctx.session, subscription)
    log.info(
        "subscription.created subscription_id=%s user_id=%s npi=%s",
        subscription.id,
        actor.user_id,
        subscription.npi,
    )
    return subscription


def read(ctx: Context, subscription_id: str) -> Subscription:
    """Return one of the caller's subscriptions (404 for anyone else's, 410 once off)."""
    subscription = repository.get(ctx.session, subscription_id)
    if subscription is None or subscription.user_id != ctx.actor.user_id:
        raise not_found(f"Subscription {subscription_id}")
    if subscription.status == repository.OFF:
        raise DomainError(410, "GONE", f"Subscription {subscription_id} was deleted.")
    return subscription


def search(ctx: Context, *, base: str) -> dict[str, Any]:
    """Return the caller's subscriptions as a searchset Bundle."""
    found = repository.of_user(ctx.session, ctx.actor.user_id)
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": len(found),
        "link": [{"relation": "self", "url": f"{base}/Subscription"}],
        "entry": [
            {
                "fullUrl": f"{base}/Subscription/{s.id}",
                "resource": as_resource(s),
                "search": {"mode": "match"},
            }
            for s in found
        ],
    }


def delete(ctx: Context, subscription_id: str) -> None:
    """Turn one of the caller's subscriptions off; its undelivered notifications stay unsent."""
    subscription = repository.get(ctx.session, subscription_id)
    if subscription is None or subscription.user_id != ctx.actor.user_id:
        raise not_found(f"Subscription {subscription_id}")
    if subscription.status != repository.OFF:
        repository.set_status(ctx.session, subscription_id, repository.OFF)
        log.info("subscription.off subscription_id=%s", subscription_id)


def as_resource(subscription: Subscription) -> dict[str, Any]:
    """Return the stored Subscription resource with its id and current status."""
    resource = subscription.resource
    return {
        "resourceType": "Subscription",
        "id": subscription.id,
        **{k: v for k, v in resource.items() if k not in ("resourceType", "id", "status")},
        "status": subscription.status,
    }


def payload_base(subscription: Subscription) -> str:
    """Return the FHIR base a subscription's notifications name."""
    source = (subscription.resource.get("meta") or {}).get("source")
    return str(source).rstrip("/")
