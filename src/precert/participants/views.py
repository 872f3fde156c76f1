"""JSON routes of participants."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from precert.api import in_transaction
from precert.common.actor import Role
from precert.common.context import Context
from precert.common.responses import json_response
from precert.participants import service
from precert.precerts.access import require_role

router = APIRouter(prefix="/api/v1/participants", tags=["participants"])
SECURED: dict[str, Any] = {"security": [{"bearer": []}]}


@router.get("/{participant_id}/units", openapi_extra=SECURED)
async def units(participant_id: str, request: Request, year: str | None = None) -> Response:
    """Return units authorized and remaining in a benefit year; any signed-in user may ask."""

    def work(ctx: Context) -> dict[str, Any]:
        return service.units(ctx, participant_id, year=year)

    return json_response(await in_transaction(request, work, write=False))


@router.get("/{participant_id}", openapi_extra=SECURED)
async def profile(participant_id: str, request: Request) -> Response:
    """Return the participant's name, age and eligibility (clinicians and staff)."""

    def work(ctx: Context) -> dict[str, Any]:
        require_role(ctx.actor, Role.PHYSICIAN, Role.PROVIDER, Role.STAFF)
        return service.profile(ctx, participant_id)

    return json_response(await in_transaction(request, work, write=False))
