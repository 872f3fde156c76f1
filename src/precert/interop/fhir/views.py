"""Routes of Da Vinci PAS: `/fhir/metadata`, `/fhir/Claim/$submit`, `/fhir/Claim/$inquire`.

Every answer is FHIR JSON; every failure is exactly one OperationOutcome.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from precert.api import in_transaction
from precert.common.context import Context
from precert.errors import DomainError
from precert.interop.fhir import inquire, submit
from precert.interop.fhir.metadata import capability_statement
from precert.interop.fhir.outcome import FHIR_JSON, Invalid, error_response, fhir_json, read_json

router = APIRouter(prefix="/fhir", tags=["FHIR: Da Vinci PAS"])

_BODY = {
    "requestBody": {
        "required": True,
        "content": {FHIR_JSON: {"schema": {"type": "object"}}},
    },
    "security": [{"bearer": []}],
}


def base_url(request: Request) -> str:
    """Return the FHIR base this request reached (`http://host/fhir`)."""
    return str(request.base_url).rstrip("/") + "/fhir"


async def fhir_body(request: Request) -> Any:
    """Return the JSON body; raise `Invalid` when it is not JSON."""
    return read_json(await request.body())


async def run(
    request: Request, work: Callable[[Context, Any], dict[str, Any]], *, write: bool = True
) -> Response:
    """Authenticate, run `work` in one transaction, render its result or its OperationOutcome."""
    try:
        body = await fhir_body(request)
    except Invalid as invalid:
        body = invalid  # reported after the token is checked

    def unit(ctx: Context) -> dict[str, Any]:
        if isinstance(body, Invalid):
            raise body
        return work(ctx, body)

    try:
        result = await in_transaction(request, unit, write=write)
    except (DomainError, Invalid) as exc:
        return error_response(exc)
    return fhir_json(result)


@router.get("/metadata", summary="The CapabilityStatement")
async def metadata(request: Request) -> Response:
    settings = request.app.state.settings
    return fhir_json(
        capability_statement(
            base_url(request), today=settings.current_date(), version=request.app.version
        )
    )


@router.post(
    "/Claim/$submit",
    summary="PAS: submit a prior-authorization request Bundle",
    openapi_extra=_BODY,
)
async def claim_submit(request: Request) -> Response:
    base = base_url(request)
    return await run(request, lambda ctx, body: submit.submit(ctx, body, base=base))


@router.post(
    "/Claim/$inquire",
    summary="PAS: inquire about prior-authorization requests",
    openapi_extra=_BODY,
)
async def claim_inquire(request: Request) -> Response:
    base = base_url(request)
    return await run(request, lambda ctx, body: inquire.inquire(ctx, body, base=base), write=False)
