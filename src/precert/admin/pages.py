"""Administration pages: users, roster upload, the policy in effect, the access log."""

from __future__ import annotations

from typing import Any, cast

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import Table, select
from starlette.datastructures import UploadFile

from precert.common.actor import Role
from precert.common.roster import RosterProblem
from precert.errors import DomainError, FieldProblem, validation_error
from precert.models import AccessEntry, User
from precert.participants.roster import load_participants
from precert.participants.service import BAD_ID
from precert.policy.lint import lint_policy
from precert.policy.show import render as render_policy
from precert.precerts import access
from precert.precerts.forms import problems_of, text, whole_number
from precert.providers.roster import load_providers
from precert.rules.codes import PARTICIPANT_ID_PATTERN
from precert.users import admin
from precert.web.portal import Finished, Page, form_of, signed_in

router = APIRouter(prefix="/admin", include_in_schema=False)

ROLES = ("physician", "provider", "staff", "admin")
ROSTERS = ("participants", "providers")
MAX_UPLOAD = 20 * 1024 * 1024
_LOG = cast(Table, AccessEntry.__table__)
_USERS = cast(Table, User.__table__)


def _admin(current: Page) -> None:
    access.require_role(current.ctx.actor, Role.ADMIN)


# ---- users --------------------------------------------------------------------------------


def _users_page(
    current: Page,
    *,
    form: Any = None,
    problems: dict[str, list[str]] | None = None,
    handed: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    _admin(current)
    context = {
        "users": admin.list_users(current.ctx.session),
        "roles": ROLES,
        "form": {k: text(form or {}, k) for k in ("name", "role", "npi", "username")},
        "problems": problems or {},
        "handed": handed,
    }
    return current.render("admin_users.html", context, status=status)


@router.get("/users")
async def users(request: Request) -> Response:
    return await signed_in(request, _users_page)


@router.post("/users")
async def create_user(request: Request) -> Response:
    form = await form_of(request)

    def work(current: Page) -> Response:
        _admin(current)
        user, token, password = admin.create(
            current.ctx.session,
            name=text(form, "name"),
            role=text(form, "role"),
            npi=text(form, "npi") or None,
            username=text(form, "username") or None,
            password=text(form, "password") or None,
        )
        handed = {"user": user, "token": token, "password": password, "what": "created"}
        return _users_page(current, handed=handed, status=201)

    def problem(current: Page, error: DomainError) -> Response:
        return _users_page(current, form=form, problems=problems_of(error), status=error.status)

    return await signed_in(request, work, form=form, on_problem=problem)


def _user_id(raw: str) -> int:
    number = whole_number(raw)
    if number is None:
        raise validation_error([FieldProblem("user", "is not a user number")])
    return number


@router.post("/users/{user_id}/active")
async def set_active(user_id: str, request: Request) -> Response:
    form = await form_of(request)

    def work(current: Page) -> Response:
        _admin(current)
        ctx = current.ctx
        active = text(form, "active") == "true"
        user = admin.set_active(
            ctx.session, _user_id(user_id), active=active, by=ctx.actor.user_id, now=ctx.now
        )
        handed = {"user": user, "what": "enabled" if active else "disabled"}
        return _users_page(current, handed=handed)

    def problem(current: Page, error: DomainError) -> Response:
        return _users_page(current, problems=problems_of(error), status=error.status)

    return await signed_in(request, work, form=form, on_problem=problem)


@router.post("/users/{user_id}/password")
async def reset_password(user_id: str, request: Request) -> Response:
    form = await form_of(request)

    def work(current: Page) -> Response:
        _admin(current)
        ctx = current.ctx
        user, password = admin.reset_password(ctx.session, _user_id(user_id), now=ctx.now)
        handed = {"user": user, "password": password, "what": "given a new password"}
        return _users_page(current, handed=handed)

    def problem(current: Page, error: DomainError) -> Response:
        return _users_page(current, problems=problems_of(error), status=error.status)

    return await signed_in(request, work, form=form, on_problem=problem)


# ---- roster upload ------------------------------------------------------------------------


def _roster_page(
    current: Page,
    *,
    kind: str = "",
    file_name: str = "",
    report: list[RosterProblem] | None = None,
    counts: dict[str, int] | None = None,
    problems: dict[str, list[str]] | None = None,
    status: int = 200,
) -> Response:
    _admin(current)
    context = {
        "rosters": ROSTERS,
        "kind": kind,
        "file_name": file_name,
        "report": report,
        "counts": counts,
        "problems": problems or {},
    }
    return current.render("admin_roster.html", context, status=status)


@router.get("/roster")
async def roster(request: Request) -> Response:
    return await signed_in(request, _roster_page)


@router.post("/roster")
async def upload_roster(request: Request) -> Response:
    form = await form_of(request)
    kind = text(form, "kind")
    upload = form.get("file")
    content: bytes | None = None
    name = ""
    if isinstance(upload, UploadFile):
        name = upload.filename or ""
        content = await upload.read(MAX_UPLOAD + 1)

    def work(current: Page) -> Response:
        _admin(current)
        problems: list[FieldProblem] = []
        if kind not in ROSTERS:
            problems.append(FieldProblem("kind", "choose participants or providers"))
        if not content:
            problems.append(FieldProblem("file", "choose a CSV file to upload"))
        elif len(content) > MAX_UPLOAD:
            problems.append(FieldProblem("file", "is larger than 20 MB"))
        if problems:
            raise validation_error(problems)
        assert content is not None
        try:
            csv_text = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise validation_error([FieldProblem("file", "is not UTF-8 text")]) from None
        session = current.ctx.session
        if kind == "participants":
            counts, report = load_participants(session, csv_text)
        else:
            kinds = current.ctx.current_policy().provider_types
            counts, report = load_providers(session, csv_text, provider_types=kinds)
        if report:  # all rows or none: nothing of this file is kept
            raise Finished(
                _roster_page(current, kind=kind, file_name=name, report=report, status=422)
            )
        return _roster_page(current, kind=kind, file_name=name, counts=counts)

    def problem(current: Page, error: DomainError) -> Response:
        return _roster_page(current, kind=kind, problems=problems_of(error), status=error.status)

    return await signed_in(request, work, form=form, on_problem=problem)


# ---- policy and access log ----------------------------------------------------------------


@router.get("/policy")
async def policy(request: Request) -> Response:
    def work(current: Page) -> Response:
        _admin(current)
        ctx = current.ctx
        in_effect = ctx.current_policy()
        context = {
            "policy": in_effect,
            "text": render_policy(in_effect, ctx.today),
            "warnings": lint_policy(in_effect, today=ctx.today),
            "versions": ctx.policies.policies,
        }
        return current.render("admin_policy.html", context)

    return await signed_in(request, work)


@router.get("/access-log")
async def access_log(request: Request) -> Response:
    participant_id = (request.query_params.get("participant_id") or "").strip()

    def work(current: Page) -> Response:
        _admin(current)
        problems: dict[str, list[str]] = {}
        query = (
            select(_LOG, _USERS.c.name, _USERS.c.username)
            .join(_USERS, _USERS.c.id == _LOG.c.user_id)
            .order_by(_LOG.c.id.desc())
            .limit(500)
        )
        if participant_id:
            if PARTICIPANT_ID_PATTERN.fullmatch(participant_id):
                query = query.where(_LOG.c.participant_id == participant_id)
            else:
                problems["participant_id"] = [BAD_ID]
        rows = [] if problems else list(current.ctx.session.execute(query).mappings())
        context = {"entries": rows, "participant_id": participant_id, "problems": problems}
        return current.render("admin_access.html", context, status=422 if problems else 200)

    return await signed_in(request, work)
