"""Send due notifications to subscribers: in event order, retried with back-off, never dropped.

One round: a short transaction claims each subscription's oldest undelivered notification
that is due (moving its `next_attempt_at` past the attempt, so a second worker leaves it
alone); the POSTs run outside any transaction (SQLite has one writer: nobody waits on the
network while holding it); a second short transaction records each result. A 2xx is
delivered; anything else (another status, a refused connection, a timeout) counts an attempt,
keeps the error and waits `base * 2^(attempts-1)` seconds, at most `cap`. A subscription whose
oldest notification failed gets nothing newer until it goes through. Delivery is at least
once: if the process dies between a POST and its record, the notification is sent again after
its claim lapses (subscribers recognise repeats by event number).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, TypeVar

import httpx
from sqlalchemy.orm import Session, sessionmaker

from precert.config import Settings
from precert.db import transaction
from precert.interop.subscriptions import notification, repository
from precert.interop.subscriptions.repository import Due
from precert.interop.subscriptions.resource import FHIR_JSON, headers_of

log = logging.getLogger("precert.interop")

T = TypeVar("T")
BATCH = 50  # subscriptions served per round
CLAIM_MARGIN = timedelta(seconds=60)  # a claim lapses this long after the POST's timeout


@dataclass
class Sent:
    """What one call of `deliver_due` did."""

    delivered: int = 0
    failed: int = 0


def backoff(attempts: int, *, base: float, cap: float) -> timedelta:
    """Return the wait after the `attempts`-th failed attempt in a row."""
    return timedelta(seconds=min(cap, base * 2 ** max(0, attempts - 1)))


async def deliver_due(
    sessions: sessionmaker[Session],
    *,
    settings: Settings,
    client: httpx.AsyncClient | None = None,
    now: Callable[[], datetime] | None = None,
    stop: asyncio.Event | None = None,
) -> Sent:
    """Deliver every notification that is due, each subscription's in event order.

    `now` reads the clock (tests move it past a back-off); `stop` ends the call after the
    round under way.
    """
    clock = now or (lambda: datetime.now(UTC))
    sent = Sent()
    failed: set[str] = set()  # subscriptions that failed in this call wait for their back-off
    async with _client(client, settings) as http:
        while stop is None or not stop.is_set():
            moment = clock()
            seen = await _unit(
                sessions, partial(_due, now=moment, skip=frozenset(failed)), write=False
            )
            if not seen:  # an idle poll only reads
                break
            until = moment + timedelta(seconds=settings.subscriptions_timeout_seconds)
            heads = await _unit(sessions, partial(_claim, seen, now=moment, until=until))
            if not heads:
                break
            errors = await asyncio.gather(*(_post(http, due, settings) for due in heads))
            outcomes = list(zip(heads, errors, strict=True))
            await _unit(sessions, partial(_record, outcomes, settings=settings, at=clock()))
            for due, error in outcomes:
                if error is None:
                    sent.delivered += 1
                else:
                    sent.failed += 1
                    failed.add(due.subscription_id)
    return sent


def _due(session: Session, *, now: datetime, skip: frozenset[str]) -> list[Due]:
    return repository.due_heads(session, now=now, limit=BATCH, skip=skip)


def _claim(seen: list[Due], session: Session, *, now: datetime, until: datetime) -> list[Due]:
    """Return the deliveries of `seen` this worker took (another worker may have some)."""
    lapse = until + CLAIM_MARGIN
    return [d for d in seen if repository.claim(session, d.delivery_id, now=now, until=lapse)]


def _record(
    outcomes: list[tuple[Due, str | None]], session: Session, *, settings: Settings, at: datetime
) -> None:
    for due, error in outcomes:
        if error is None:
            repository.record_delivered(session, due, at=at)
            log.info(
                "subscription.delivered subscription_id=%s event=%s precert_id=%s attempts=%s",
                due.subscription_id,
                due.event_number,
                due.precert_id,
                due.attempts + 1,
            )
            continue
        attempts = due.attempts + 1
        retry_at = at + backoff(
            attempts,
            base=settings.subscriptions_backoff_seconds,
            cap=settings.subscriptions_backoff_cap_seconds,
        )
        repository.record_failed(session, due, error=error, retry_at=retry_at)
        log.warning(
            "subscription.delivery_failed subscription_id=%s event=%s precert_id=%s "
            "attempts=%s retry_at=%s error=%s",
            due.subscription_id,
            due.event_number,
            due.precert_id,
            attempts,
            retry_at.isoformat(),
            error,
        )


async def post(
    http: httpx.AsyncClient,
    endpoint: str,
    headers: list[str],
    payload: dict[str, Any],
    timeout: float,
) -> str | None:
    """POST `payload` to `endpoint`; return None when it answered 2xx, else what went wrong."""
    sent = {k: v for k, v in headers_of(headers).items() if k.lower() != "content-type"}
    sent["Content-Type"] = FHIR_JSON
    try:
        response = await http.post(
            endpoint, content=json.dumps(payload).encode(), headers=sent, timeout=timeout
        )
    except httpx.TimeoutException:
        return f"no answer within {timeout:g} s"
    except (httpx.HTTPError, httpx.InvalidURL, OSError) as exc:
        return f"{type(exc).__name__}: {exc}"[:500]
    if 200 <= response.status_code < 300:
        return None
    return f"HTTP {response.status_code}"


async def _post(http: httpx.AsyncClient, due: Due, settings: Settings) -> str | None:
    return await post(
        http, due.endpoint, due.headers, due.payload, settings.subscriptions_timeout_seconds
    )


def _client(client: httpx.AsyncClient | None, settings: Settings) -> Any:
    """Return a context manager yielding `client`, or a new client closed afterwards."""
    if client is not None:
        return _Borrowed(client)
    return httpx.AsyncClient(timeout=settings.subscriptions_timeout_seconds, follow_redirects=False)


class _Borrowed:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def __aenter__(self) -> httpx.AsyncClient:
        return self.client

    async def __aexit__(self, *_: object) -> None:
        return None


async def _unit(
    sessions: sessionmaker[Session], work: Callable[[Session], T], *, write: bool = True
) -> T:
    """Run `work` in one short transaction off the event loop."""

    def unit() -> T:
        with transaction(sessions, write=write) as session:
            return work(session)

    return await asyncio.to_thread(unit)


async def handshake(
    sessions: sessionmaker[Session],
    *,
    subscription_id: str,
    endpoint: str,
    headers: list[str],
    base: str,
    settings: Settings,
) -> str:
    """Send a new subscription's handshake; record and return its status (active or error).

    Sent once, after the subscription is stored: a subscriber that is down gets `error`, and
    its notifications wait for it all the same (the first one delivered makes it active).
    """
    payload = notification.handshake(
        base=base, subscription_id=subscription_id, at=datetime.now(UTC)
    )
    timeout = settings.subscriptions_timeout_seconds
    async with httpx.AsyncClient(timeout=timeout, follow_redirects=False) as http:
        error = await post(http, endpoint, headers, payload, timeout)
    status = "active" if error is None else "error"
    await _unit(sessions, lambda s: repository.set_status(s, subscription_id, status))
    log.info(
        "subscription.handshake subscription_id=%s status=%s error=%s",
        subscription_id,
        status,
        error or "-",
    )
    return status
