"""Jinja2 templates and the page-level pieces every portal route shares."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

HERE = Path(__file__).parent
TEMPLATES = Jinja2Templates(directory=HERE / "templates")
STATIC_DIR = HERE / "static"

# The links each role sees in the navigation (label, path); the names are a contract.
NAVIGATION: dict[str, list[tuple[str, str]]] = {
    "physician": [("New request", "/precerts/new")],
    "provider": [("Find requests", "/precerts/find")],
    "staff": [
        ("Participants", "/participants"),
        ("New request", "/precerts/new"),
        ("Find requests", "/precerts/find"),
    ],
    "admin": [
        ("Users", "/admin/users"),
        ("Roster upload", "/admin/roster"),
        ("Policy", "/admin/policy"),
        ("Access log", "/admin/access-log"),
    ],
    "claims_system": [],
}

STATUS_LABELS = {
    "awaiting_provider": "Awaiting provider",
    "approved": "Approved",
    "partially_approved": "Partially approved",
    "denied": "Denied",
    "pended": "Pended for review",
    "cancelled": "Cancelled",
    "expired": "Expired",
}


def status_label(status: str) -> str:
    return STATUS_LABELS.get(status, status.replace("_", " ").capitalize())


def units_text(units: int | None, minutes_per_unit: int) -> str:
    """Return units with their minutes, e.g. `8 units (120 minutes)`."""
    if units is None:
        return "not decided yet"
    noun = "unit" if units == 1 else "units"
    return f"{units} {noun} ({units * minutes_per_unit} minutes)"


def time_left(left: timedelta) -> str:
    """Return `2 days 5 hours left` or `overdue by 3 hours`."""
    seconds = abs(int(left.total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    parts = []
    if days:
        parts.append(f"{days} day{'s' if days != 1 else ''}")
    if hours or days:
        parts.append(f"{hours} hour{'s' if hours != 1 else ''}")
    if not days:
        parts.append(f"{minutes} minute{'s' if minutes != 1 else ''}")
    text = " ".join(parts)
    return f"{text} left" if left >= timedelta(0) else f"overdue by {text}"


def local_time(moment: datetime, zone: str) -> str:
    """Return a stored UTC time on the program's wall clock (`timezone` setting)."""
    return moment.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M %Z")


TEMPLATES.env.filters.update(
    status_label=status_label, units_text=units_text, time_left=time_left, local_time=local_time
)


def page(
    request: Request, template: str, context: dict[str, Any], *, status: int = 200
) -> HTMLResponse:
    """Render `template`; pages are never cached, since they carry participant data."""
    response = TEMPLATES.TemplateResponse(request, template, context, status_code=status)
    response.headers["Cache-Control"] = "no-store"
    return response
