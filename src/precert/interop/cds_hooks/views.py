"""Routes of this interface: CDS Hooks discovery and the three CRD services."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from precert.api import in_transaction, json_body
from precert.common.responses import json_response
from precert.errors import DomainError
from precert.interop.cds_hooks import service, services
from precert.interop.cds_hooks.outcome import Invalid, error_response, hook_error, issue

router = APIRouter(include_in_schema=True, tags=["CRD (CDS Hooks)"])


@router.get("/cds-services", summary="CDS Hooks discovery: the CRD services offered (public)")
async def discovery() -> Response:
    return json_response(services.discovery())


@router.post(
    "/cds-services/{service_id}",
    summary="Call a CRD service (order-sign, order-select, appointment-book)",
    openapi_extra={"security": [{"bearer": []}]},
    responses={
        400: {"description": "Malformed request: an OperationOutcome names each problem"},
        401: {"description": "No or invalid bearer token"},
        403: {"description": "Not a physician, provider or staff token"},
        404: {"description": "No such service"},
        412: {"description": "The coverage prefetch is missing (this service never queries)"},
    },
)
async def call(service_id: str, request: Request) -> Response:
    found = services.by_id(service_id)
    if found is None:
        problem = issue(
            "not-found", "", f"no CDS service {service_id!r}; GET /cds-services lists them"
        )
        return error_response(hook_error(404, [problem]))
    body = await json_body(request)
    try:
        answer = await in_transaction(
            request, lambda ctx: service.answer(ctx, found, body), write=False
        )
    except (Invalid, DomainError) as exc:
        return error_response(exc)
    return json_response(answer)
