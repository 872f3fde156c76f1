"""Portal pages of signing in and out, and the signed-in home page."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from precert.api import run_unit
from precert.precerts.dashboard import home_page
from precert.users.sign_in import (
    PortalUser,
    SignIn,
    end_session,
    portal_user,
    same_token,
    sign_in,
)
from precert.web.portal import SESSION_COOKIE, refused, signed_in
from precert.web.templating import page

router = APIRouter(include_in_schema=False)

LOGIN_CSRF_COOKIE = "precert_login_csrf"


def _cookie(response: Response, request: Request, name: str, value: str) -> None:
    response.set_cookie(
        name,
        value,
        httponly=True,
        samesite="lax",
        secure=request.app.state.settings.secure_cookies,
        path="/",
    )


def _login_page(
    request: Request,
    *,
    problem: str | None = None,
    notice: str | None = None,
    username: str = "",
    status: int = 200,
) -> Response:
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(32)
    context = {
        "user": None,
        "login_csrf": token,
        "problem": problem,
        "notice": notice,
        "username": username,
    }
    response = page(request, "login.html", context, status=status)
    _cookie(response, request, LOGIN_CSRF_COOKIE, token)
    return response


def _signed_in(request: Request, session: Session) -> PortalUser | None:
    """Return who holds this request's session cookie, if the session is still open."""
    key = request.cookies.get(SESSION_COOKIE)
    if not key:
        return None
    return portal_user(session, key, now=datetime.now(UTC), settings=request.app.state.settings)


@router.get("/login")
async def login_form(request: Request) -> Response:
    notice = (
        "Your session ended; please sign in again." if request.query_params.get("ended") else None
    )
    return _login_page(request, notice=notice)


@router.post("/login")
async def login(request: Request) -> Response:
    form = await request.form()
    given = form.get("csrf_token")
    expected = request.cookies.get(LOGIN_CSRF_COOKIE)
    if not expected or not same_token(expected, given if isinstance(given, str) else None):
        return refused(request, back="/login")
    username = str(form.get("username") or "").strip()
    password = str(form.get("password") or "")
    settings = request.app.state.settings

    def attempt(session: Session) -> SignIn:
        return sign_in(
            session,
            username=username,
            password=password,
            now=datetime.now(UTC),
            settings=settings,
        )

    outcome = await run_unit(request, attempt, write=True)
    if outcome.session_key is None:
        return _login_page(request, problem=outcome.problem, username=username, status=401)
    response = RedirectResponse("/", status_code=303)
    _cookie(response, request, SESSION_COOKIE, outcome.session_key)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/")
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    form = await request.form()
    key = request.cookies.get(SESSION_COOKIE)
    given = form.get("csrf_token")

    def end(session: Session) -> bool:
        user = _signed_in(request, session)
        if user is None or key is None:
            return True  # already ended: nothing to sign out of
        if not same_token(user.csrf_token, given if isinstance(given, str) else None):
            return False
        end_session(session, key, now=datetime.now(UTC))
        return True

    if not await run_unit(request, end, write=True):
        return refused(request, back="/")
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/")
async def home(request: Request) -> Response:
    return await signed_in(request, home_page)
