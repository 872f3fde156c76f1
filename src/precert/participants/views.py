"""JSON routes of participants."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from precert.api import ContextDep
from precert.common.actor import Role
from precert.common.responses import json_response
from precert.participants import service
from precert.precerts.access import require_role

router = APIRouter(prefix="/api/v1/participants", tags=["participants"])


@router.get("/{participant_id}/units")
async def units(participant_id: str, ctx: ContextDep, year: str | None = None) -> Response:
    """Return units authorized and remaining in a benefit year; any signed-in user may ask."""
    return json_response(service.units(ctx, participant_id, year=year))


@router.get("/{participant_id}")
async def profile(participant_id: str, ctx: ContextDep) -> Response:
    """Return the participant's name, age and eligibility (clinicians and staff)."""
    require_role(ctx.actor, Role.PHYSICIAN, Role.PROVIDER, Role.STAFF)
    return json_response(service.profile(ctx, participant_id))
