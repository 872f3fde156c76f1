"""Routes of this interface: `/fhir/Subscription` (create, read, search, delete).

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
from precert.interop.fhir.outcome import FHIR_JSON, Invalid, error_response, fhir_json
from precert.interop.fhir.views import base_url, fhir_body
from precert.interop.subscriptions import delivery, service

router = APIRouter(prefix="/fhir/Subscription", tags=["FHIR: Subscriptions"])

_AUTH: dict[str, Any] = {"security": [{"bearer": []}]}
_BODY: dict[str, Any] = {
    "requestBody": {"required": True, "content": {FHIR_JSON: {"schema": {"type": "object"}}}},
    **_AUTH,
}


async def _unit(
    request: Request, work: Callable[[Context], Any], *, write: bool = True
) -> Any | Response:
    """Run `work` authenticated in one transaction; return its result or an OperationOutcome."""
    try:
        return await in_transaction(request, work, write=write)
    except (DomainError, Invalid) as exc:
        return error_response(exc)


@router.post(
    "",
    summary="Subscribe to PAS results about an organization (R4 backport, rest-hook)",
    status_code=201,
    openapi_extra=_BODY,
)
async def create(request: Request) -> Response:
    settings = request.app.state.settings
    base = base_url(request)
    payload_base = (settings.fhir_base_url or base).rstrip("/")
    try:
        body: Any = await fhir_body(request)
    except Invalid as invalid:
        body = invalid  # reported after the token is checked

    stored = await _unit(request, lambda ctx: service.create(ctx, body, payload_base=payload_base))
    if isinstance(stored, Response):
        return stored
    # The handshake is sent after the commit, outside any transaction.
    stored.status = await delivery.handshake(
        request.app.state.sessions,
        subscription_id=stored.id,
        endpoint=stored.endpoint,
        headers=list(stored.headers),
        base=payload_base,
        settings=settings,
    )
    response = fhir_json(service.as_resource(stored), 201)
    response.headers["Location"] = f"{base}/Subscription/{stored.id}"
    return response


@router.get("", summary="The caller's subscriptions (a searchset Bundle)", openapi_extra=_AUTH)
async def search(request: Request) -> Response:
    base = base_url(request)
    found = await _unit(request, lambda ctx: service.search(ctx, base=base), write=False)
    return found if isinstance(found, Response) else fhir_json(found)


@router.get("/{subscription_id}", summary="One of the caller's subscriptions", openapi_extra=_AUTH)
async def read(request: Request, subscription_id: str) -> Response:
    found = await _unit(
        request, lambda ctx: service.as_resource(service.read(ctx, subscription_id)), write=False
    )
    return found if isinstance(found, Response) else fhir_json(found)


@router.delete(
    "/{subscription_id}",
    summary="Turn one of the caller's subscriptions off",
    status_code=204,
    openapi_extra=_AUTH,
)
async def delete(request: Request, subscription_id: str) -> Response:
    done = await _unit(request, lambda ctx: service.delete(ctx, subscription_id))
    return done if isinstance(done, Response) else Response(status_code=204)
