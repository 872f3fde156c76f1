"""JSON routes of participants."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse

from precert.api import ContextDep
from precert.common.actor import Role
from precert.participants import service
from precert.precerts.access import require_role

router = APIRouter(prefix="/api/v1/participants", tags=["participants"])


@router.get("/{participant_id}/units")
async def units(participant_id: str, ctx: ContextDep, year: str | None = None) -> JSONResponse:
    """Return units authorized and remaining in a benefit year; any signed-in user may ask."""
    return JSONResponse(jsonable_encoder(service.units(ctx, participant_id, year=year)))


@router.get("/{participant_id}")
async def profile(participant_id: str, ctx: ContextDep) -> JSONResponse:
    """Return the participant's name, age and eligibility (clinicians and staff)."""
    require_role(ctx.actor, Role.PHYSICIAN, Role.PROVIDER, Role.STAFF)
    return JSONResponse(jsonable_encoder(service.profile(ctx, participant_id)))
