"""Route of DTR: `POST /fhir/Questionnaire/$questionnaire-package`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from precert.api import in_transaction
from precert.common.actor import Role
from precert.common.context import Context
from precert.errors import DomainError
from precert.interop.dtr import package
from precert.interop.fhir.outcome import Invalid, error_response, fhir_json
from precert.precerts import access

router = APIRouter(include_in_schema=True)


@router.post("/fhir/Questionnaire/$questionnaire-package", tags=["DTR"])
async def questionnaire_package(request: Request) -> Response:
    """Return the chronic-pain documentation Questionnaire's package (DTR 2.0.1)."""
    raw = await request.body()

    def work(ctx: Context) -> dict[str, Any]:
        access.require_role(ctx.actor, Role.PHYSICIAN, Role.PROVIDER, Role.STAFF)
        asked = package.read_request(raw)
        return package.package(asked, policy=ctx.current_policy(), now=ctx.now)

    try:
        return fhir_json(await in_transaction(request, work, write=False))
    except (Invalid, DomainError) as error:
        return error_response(error)
