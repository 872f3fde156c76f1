"""What every signed-in portal page runs through: session, CSRF, one transaction, error pages.

A page handler gives `signed_in` a function of a `Page` (the use-case `Context` with the signed-in
actor, plus what the templates need). It runs in one unit of work, like an API request, so a
page reads and writes through the same services, rules and transactions as the JSON API.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from precert.api import run_unit
from precert.common.actor import Role
from precert.common.context import Context
from precert.errors import DomainError
from precert.models import AccessEntry
from precert.users.sign_in import PortalUser, portal_user, same_token
from precert.web.templating import NAVIGATION, page

SESSION_COOKIE = "precert_session"


@dataclass(frozen=True, slots=True)
class Page:
    """One signed-in page request: the use-case context and what every template needs."""

    request: Request
    ctx: Context
    csrf_token: str

    @property
    def role(self) -> Role:
        return self.ctx.actor.role

    def render(self, template: str, context: Mapping[str, Any], *, status: int = 200) -> Response:
        base = {
            "user": self.ctx.actor,
            "csrf_token": self.csrf_token,
            "navigation": NAVIGATION.get(self.role.value, []),
            "today": self.ctx.today,
            "now": self.ctx.now,
            "timezone": self.request.app.state.settings.timezone,
        }
        return page(self.request, template, {**base, **context}, status=status)

    def viewed(
        self, what: str, *, participant_id: str | None = None, precert_id: str | None = None
    ) -> None:
        """Write the access entry of a page that shows participant data (who, what, when)."""
        self.ctx.session.add(
            AccessEntry(
                at=self.ctx.now,
                user_id=self.ctx.actor.user_id,
                role=self.role.value,
                page=what,
                participant_id=participant_id,
                precert_id=precert_id,
            )
        )


class Finished(Exception):
    """Roll the unit back and answer with `response` (a form shown again with its problems)."""

    def __init__(self, response: Response) -> None:
        self.response = response


class _Refused(Exception):
    pass


Problem = Callable[[Page, DomainError], Response]


async def signed_in(
    request: Request,
    work: Callable[[Page], Response],
    *,
    form: Mapping[str, Any] | None = None,
    on_problem: Problem | None = None,
) -> Response:
    """Run `work` for the signed-in user in one transaction; sign-in page when signed out.

    With `form`, the form's `csrf_token` must be the session's (403 and nothing changes
    otherwise). A `DomainError` is shown by `on_problem` (a form with its problems), or as an
    error page; either way the transaction is rolled back.
    """
    state = request.app.state
    key = request.cookies.get(SESSION_COOKIE)

    def unit(session: Session) -> Response | None:
        now = datetime.now(UTC)
        user: PortalUser | None = None
        if key:
            user = portal_user(session, key, now=now, settings=state.settings)
        if user is None:
            return None  # committed: a timed-out session is ended for good
        if form is not None:
            given = form.get("csrf_token")
            if not same_token(user.csrf_token, given if isinstance(given, str) else None):
                raise _Refused
        ctx = Context(
            session=session,
            actor=user.actor,
            policies=state.policies,
            today=state.settings.current_date(),
            now=now,
        )
        current = Page(request, ctx, user.csrf_token)
        try:
            return work(current)
        except DomainError as error:
            raise Finished(_shown(current, error, on_problem)) from error

    try:
        try:
            response = await run_unit(request, unit, write=True)
        except IntegrityError:
            # Two posts of one form raced (a double click on PostgreSQL): the loser's unit
            # is run once more, and now finds the winner's result.
            response = await run_unit(request, unit, write=True)
    except Finished as finished:
        return finished.response
    except _Refused:
        return refused(request, back=request.url.path)
    if response is None:
        response = RedirectResponse("/login?ended=1" if key else "/login", status_code=303)
        if key:
            response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def _shown(current: Page, error: DomainError, on_problem: Problem | None) -> Response:
    """Return the form again with the problems of a 409 or 422, else an error page."""
    if on_problem is not None and error.status in (409, 422):
        try:
            return on_problem(current, error)
        except DomainError as shown_error:  # e.g. the form's request is not the user's to see
            return error_page(current, shown_error)
    return error_page(current, error)


def error_page(current: Page, error: DomainError) -> Response:
    titles = {403: "Not available to you", 404: "Not found", 409: "Not possible now"}
    return current.render(
        "error.html",
        {"title": titles.get(error.status, "That did not work"), "error": error},
        status=error.status,
    )


def refused(request: Request, *, back: str) -> Response:
    problem = "The form had expired or did not come from this site. Nothing was changed."
    return page(
        request, "refused.html", {"user": None, "problem": problem, "back": back}, status=403
    )


def redirect(path: str) -> Response:
    return RedirectResponse(path, status_code=303)


async def form_of(request: Request) -> FormData:
    """Return the posted form, read before the unit of work begins (no await inside it)."""
    return await request.form()
