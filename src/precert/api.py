"""What every JSON route runs through: one transaction per request, with the signed-in actor."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from fastapi import Request
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from precert.common.actor import Actor
from precert.common.context import Context
from precert.common.parsing import NotJson
from precert.db import transaction
from precert.errors import unauthenticated
from precert.users.service import actor_for_token

T = TypeVar("T")


async def run_unit(request: Request, work: Callable[[Session], T], *, write: bool) -> T:
    """Run `work` in one transaction: commit on success, roll back on error.

    The body must already be read: no `await` comes between BEGIN and COMMIT, so no request
    holds SQLite's write lock while it waits on the network. On SQLite the unit runs on the
    event loop (one writer per process; other processes wait on BEGIN IMMEDIATE). On
    PostgreSQL it runs in a worker thread, so concurrent requests overlap their round trips.
    """
    state = request.app.state

    def unit() -> T:
        with transaction(state.sessions, write=write) as session:
            return work(session)

    def once_more_if_disconnected() -> T:
        try:
            return unit()
        except DBAPIError as exc:
            if not exc.connection_invalidated:
                raise
            return unit()  # the pool dropped a dead connection; nothing was written

    if state.engine.dialect.name == "sqlite":
        return unit()
    return await run_in_threadpool(once_more_if_disconnected)


async def in_transaction(
    request: Request, work: Callable[[Context], T], *, write: bool = True
) -> T:
    """Authenticate the bearer token and run `work` in one unit of work (see `run_unit`)."""
    state = request.app.state
    header = request.headers.get("authorization", "")

    def with_actor(session: Session) -> T:
        return work(
            Context(
                session=session,
                actor=authenticate(session, header),
                policies=state.policies,
                today=state.settings.current_date(),
                now=datetime.now(UTC),
            )
        )

    return await run_unit(request, with_actor, write=write)


def authenticate(session: Session, header: str) -> Actor:
    """Return the actor holding the bearer token in `header`; 401 without a valid one."""
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise unauthenticated()
    actor = actor_for_token(session, token.strip())
    if actor is None:
        raise unauthenticated("The bearer token is not valid.")
    return actor


async def json_body(request: Request) -> Any:
    """Return the parsed JSON body, or `NotJson` for the service to report after access checks."""
    raw = await request.body()
    if not raw:
        return NotJson("is empty; send a JSON object")
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        return NotJson(f"is not valid JSON: {exc}")
    except RecursionError:
        return NotJson("is nested too deeply")
