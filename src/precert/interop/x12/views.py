"""`POST /x12/278`: a 278 request in, a 278 response (or a 999) out.

Status codes: 200 with the 278 response, also when it carries AAA rejections (the 278 is the
answer); 400 with a 999 for envelope and syntax errors; 401 (JSON) without a valid bearer
token; 415 (JSON) for a body that is not `application/edi-x12`. Every answer is one unit of
work: a rejected request writes nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from precert.api import in_transaction
from precert.common.context import Context
from precert.interop.x12.service import Answer, Rejected, decide, read

router = APIRouter(include_in_schema=True)
MEDIA_TYPE = "application/edi-x12"


@router.post(
    "/x12/278",
    tags=["x12"],
    summary="Decide a 278 (005010X217) request",
    response_class=Response,
    responses={
        200: {"content": {MEDIA_TYPE: {}}, "description": "the 278 response"},
        400: {"content": {MEDIA_TYPE: {}}, "description": "a 999 rejecting the interchange"},
    },
)
async def x12_278(request: Request) -> Response:
    """Decide a 278 request through the same services as the REST API."""
    kind = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if kind != MEDIA_TYPE:
        return JSONResponse(
            {
                "error": "UNSUPPORTED_MEDIA_TYPE",
                "detail": f"Send the 278 as {MEDIA_TYPE}; the request was {kind or 'untyped'}.",
            },
            status_code=415,
        )
    raw = (await request.body()).decode("utf-8", errors="replace")
    parsed = read(raw, datetime.now(UTC))
    if isinstance(parsed, Answer):
        # Authenticate all the same: a 999 is only for a caller with a valid token.
        await in_transaction(request, lambda ctx: None, write=False)
        return Response(parsed.text, status_code=400, media_type=MEDIA_TYPE)

    def work(ctx: Context) -> Answer:
        return decide(ctx, parsed, raw)

    try:
        answer = await in_transaction(request, work)
    except Rejected as rejected:
        answer = rejected.answer
    return Response(answer.text, status_code=200, media_type=MEDIA_TYPE)
