"""JSON routes of claims-time checks."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.exc import IntegrityError

from precert.api import in_transaction, json_body
from precert.claims import service
from precert.claims.schemas import ClaimLinesIn, ClaimLinesOut
from precert.common.context import Context
from precert.common.responses import json_response

router = APIRouter(prefix="/api/v1/claims", tags=["claims"])

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "No or invalid bearer token"},
    403: {"description": "Wrong role, or a provider checking lines billed under another NPI"},
    422: {"description": "A malformed line: `fields` names the line index and field"},
}
BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": ClaimLinesIn.model_json_schema()}},
    },
    "security": [{"bearer": []}],
}


@router.post(
    "/check",
    response_model=ClaimLinesOut,
    responses=ERRORS,
    openapi_extra=BODY,
    summary="Decide claim lines without recording them (will this pay?)",
)
async def check(request: Request) -> Response:
    body = await json_body(request)
    return json_response(
        await in_transaction(request, lambda ctx: service.check(ctx, body), write=False)
    )


@router.post(
    "",
    response_model=ClaimLinesOut,
    responses=ERRORS,
    openapi_extra=BODY,
    summary="Decide and record claim lines (the claims system)",
)
async def record(request: Request) -> Response:
    body = await json_body(request)

    def work(ctx: Context) -> dict[str, Any]:
        return service.record(ctx, body)

    try:
        answer = await in_transaction(request, work)
    except IntegrityError:
        # The same (claim_id, line_number) came in at once under another participant's locks:
        # run again, and this time find the stored answer.
        answer = await in_transaction(request, work)
    return json_response(answer)
