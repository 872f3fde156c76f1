"""Jinja2 templates and the page-level pieces every portal route shares."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

HERE = Path(__file__).parent
TEMPLATES = Jinja2Templates(directory=HERE / "templates")
STATIC_DIR = HERE / "static"

# The links each role sees in the navigation (label, path); the names are a contract.
NAVIGATION: dict[str, list[tuple[str, str]]] = {
    "physician": [],
    "provider": [],
    "staff": [],
    "admin": [],
}


def page(
    request: Request, template: str, context: dict[str, Any], *, status: int = 200
) -> HTMLResponse:
    """Render `template`; pages are never cached, since they carry participant data."""
    response = TEMPLATES.TemplateResponse(request, template, context, status_code=status)
    response.headers["Cache-Control"] = "no-store"
    return response
