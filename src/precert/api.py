"""What every JSON route depends on: one transaction per request and the signed-in actor."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from precert.common.actor import Actor
from precert.common.context import Context
from precert.common.parsing import NotJson
from precert.db import transaction
from precert.errors import unauthenticated
from precert.users.service import actor_for_token


async def db_session(request: Request) -> AsyncIterator[Session]:
    """Run the request in one transaction; writers take SQLite's lock at BEGIN.

    The routes are `async def` and talk to the database synchronously on the event loop: one
    worker serves one transaction at a time, so SQLite's write lock is never fought over by
    threads of the same process (other processes wait on BEGIN IMMEDIATE).
    """
    write = request.method not in ("GET", "HEAD", "OPTIONS")
    with transaction(request.app.state.sessions, write=write) as session:
        yield session


SessionDep = Annotated[Session, Depends(db_session)]


async def current_actor(request: Request, session: SessionDep) -> Actor:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise unauthenticated()
    actor = actor_for_token(session, token.strip())
    if actor is None:
        raise unauthenticated("The bearer token is not valid.")
    return actor


async def context(
    request: Request, session: SessionDep, actor: Annotated[Actor, Depends(current_actor)]
) -> Context:
    settings = request.app.state.settings
    return Context(
        session=session,
        actor=actor,
        policies=request.app.state.policies,
        today=settings.current_date(),
        now=datetime.now(UTC),
    )


ContextDep = Annotated[Context, Depends(context)]


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
