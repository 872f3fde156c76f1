"""The R4 backport notification Bundles: a handshake, and an event carrying a PAS response.

Every notification is a `history` Bundle whose first entry is the SubscriptionStatus, written
in R4 as a `Parameters` resource (backport-subscription-status-r4). An event notification
then carries the full PAS response Bundle, the event's focus, as the official PAS example
`Bundle-PASSubscriptionNotification` does (the topic's notification shape is a Bundle).
History Bundles need `request` and `response` on every entry (bdl-3, bdl-4): the status
entry reads as a `$status` call, the response Bundle as a read of itself.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from precert.interop.subscriptions.resource import BACKPORT, TOPIC

NOTIFICATION_R4 = BACKPORT + "backport-subscription-notification-r4"
STATUS_R4 = BACKPORT + "backport-subscription-status-r4"


def handshake(*, base: str, subscription_id: str, at: datetime) -> dict[str, Any]:
    """Return the handshake sent to a new subscription's endpoint."""
    status = _status(
        base=base,
        subscription_id=subscription_id,
        status="requested",
        kind="handshake",
        events=0,
    )
    return _bundle(base, subscription_id, status, at, [])


def event_notification(
    *,
    base: str,
    subscription_id: str,
    event_number: int,
    at: datetime,
    response: dict[str, Any],
) -> dict[str, Any]:
    """Return event `event_number` of a subscription, carrying the PAS `response` Bundle."""
    focus = f"{base}/Bundle/{response['id']}"
    status = _status(
        base=base,
        subscription_id=subscription_id,
        # Delivered only after the handshake or an earlier event got through: active by then.
        status="active",
        kind="event-notification",
        events=event_number,
    )
    status["parameter"].append(
        {
            "name": "notification-event",
            "part": [
                {"name": "event-number", "valueString": str(event_number)},
                {"name": "timestamp", "valueInstant": instant(at)},
                {"name": "focus", "valueReference": {"reference": focus}},
            ],
        }
    )
    entry = {
        "fullUrl": focus,
        "resource": response,
        "request": {"method": "GET", "url": focus},
        "response": {"status": "200"},
    }
    return _bundle(base, subscription_id, status, at, [entry])


def _status(
    *, base: str, subscription_id: str, status: str, kind: str, events: int
) -> dict[str, Any]:
    return {
        "resourceType": "Parameters",
        "id": str(uuid.uuid4()),
        "meta": {"profile": [STATUS_R4]},
        "parameter": [
            {
                "name": "subscription",
                "valueReference": {"reference": f"{base}/Subscription/{subscription_id}"},
            },
            {"name": "topic", "valueCanonical": TOPIC},
            {"name": "status", "valueCode": status},
            {"name": "type", "valueCode": kind},
            # R4 has no integer64: the backport writes counts as strings.
            {"name": "events-since-subscription-start", "valueString": str(events)},
        ],
    }


def _bundle(
    base: str,
    subscription_id: str,
    status: dict[str, Any],
    at: datetime,
    entries: list[dict[str, Any]],
) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "id": str(uuid.uuid4()),
        "meta": {"profile": [NOTIFICATION_R4]},
        "type": "history",
        "timestamp": instant(at),
        "entry": [
            {
                "fullUrl": f"urn:uuid:{status['id']}",
                "resource": status,
                "request": {
                    "method": "GET",
                    "url": f"{base}/Subscription/{subscription_id}/$status",
                },
                "response": {"status": "200"},
            },
            *entries,
        ],
    }


def instant(at: datetime) -> str:
    """Return `at` as a FHIR instant in UTC."""
    moment = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
