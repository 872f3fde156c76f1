"""The signed-in home page: each role's own list of work."""

from __future__ import annotations

from fastapi.responses import Response

from precert.common.actor import Role
from precert.participants import repository as participants
from precert.precerts import service
from precert.precerts.queue import work_queue
from precert.web.portal import Page


def home_page(current: Page) -> Response:
    """Physicians see their requests, providers the ones they completed, staff the work queue."""
    ctx = current.ctx
    role = current.role
    context: dict[str, object] = {}
    if role in (Role.PHYSICIAN, Role.PROVIDER):
        found = service.find(
            ctx, participant_id=None, status=None, therapy=None, limit=200, offset=0
        )
        context["requests"] = found["items"]
        context["total"] = found["total"]
        context["names"] = participants.names(
            ctx.session, sorted({p["participant_id"] for p in found["items"]})
        )
        current.viewed("dashboard")
    elif role is Role.STAFF:
        queue = work_queue(ctx)
        context["queue"] = queue
        context["names"] = participants.names(
            ctx.session, sorted({w.precert["participant_id"] for w in queue})
        )
        current.viewed("work queue")
    return current.render("home.html", context)
