"""JSON routes of the pre-certification."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from precert.api import in_transaction, json_body
from precert.common.responses import json_response
from precert.precerts import completion, review, service
from precert.precerts.schemas import (
    CancellationIn,
    CompletionIn,
    PrecertList,
    PrecertOut,
    ReferralIn,
    ReviewIn,
)

router = APIRouter(prefix="/api/v1/precerts", tags=["pre-certifications"])

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "No or invalid bearer token"},
    403: {"description": "Wrong role, or someone else's NPI in the body"},
    404: {"description": "Not found, or not yours to see"},
    422: {"description": "Bad input: every problem is listed in `fields`"},
}


def _body(model: type[Any]) -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": model.model_json_schema()}},
        },
        "security": [{"bearer": []}],
    }


@router.post(
    "",
    status_code=201,
    response_model=PrecertOut,
    responses=ERRORS,
    openapi_extra=_body(ReferralIn),
    summary="Step 1: the prescribing physician starts a request",
)
async def start(request: Request) -> Response:
    body = await json_body(request)
    found = await in_transaction(request, lambda ctx: service.start_referral(ctx, body))
    return json_response(found, 201)


@router.post(
    "/{precert_id}/completion",
    response_model=PrecertOut,
    responses={**ERRORS, 409: {"description": "PRECERT_NOT_OPEN or PRECERT_EXPIRED"}},
    openapi_extra=_body(CompletionIn),
    summary="Step 2: the performing provider completes the request",
)
async def complete(precert_id: str, request: Request) -> Response:
    body = await json_body(request)
    return json_response(
        await in_transaction(
            request, lambda ctx: completion.complete_referral(ctx, precert_id, body)
        )
    )


@router.post(
    "/{precert_id}/review",
    response_model=PrecertOut,
    responses={**ERRORS, 409: {"description": "PRECERT_NOT_PENDED"}},
    openapi_extra=_body(ReviewIn),
    summary="Staff decide a pended request",
)
async def decide(precert_id: str, request: Request) -> Response:
    body = await json_body(request)
    return json_response(
        await in_transaction(request, lambda ctx: review.review(ctx, precert_id, body))
    )


@router.post(
    "/{precert_id}/cancellation",
    response_model=PrecertOut,
    responses={**ERRORS, 409: {"description": "PRECERT_CLOSED"}},
    openapi_extra=_body(CancellationIn),
    summary="Cancel a request; an approved one releases its units",
)
async def cancel(precert_id: str, request: Request) -> Response:
    body = await json_body(request)
    return json_response(
        await in_transaction(request, lambda ctx: review.cancel(ctx, precert_id, body))
    )


@router.get(
    "/{precert_id}",
    response_model=PrecertOut,
    responses=ERRORS,
    openapi_extra={"security": [{"bearer": []}]},
)
async def read(precert_id: str, request: Request) -> Response:
    return json_response(
        await in_transaction(request, lambda ctx: service.read(ctx, precert_id), write=False)
    )


@router.get(
    "",
    response_model=PrecertList,
    responses=ERRORS,
    openapi_extra={"security": [{"bearer": []}]},
)
async def find(
    request: Request,
    participant_id: str | None = None,
    status: str | None = None,
    therapy: str | None = None,
    limit: int = Query(100, ge=1, le=500),
    offset: int = Query(0, ge=0, le=1_000_000),
) -> Response:
    def work(ctx: Any) -> dict[str, Any]:
        return service.find(
            ctx,
            participant_id=participant_id,
            status=status,
            therapy=therapy,
            limit=limit,
            offset=offset,
        )

    return json_response(await in_transaction(request, work, write=False))
