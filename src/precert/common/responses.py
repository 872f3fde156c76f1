"""A JSON response that writes dates as YYYY-MM-DD and times in ISO 8601."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from fastapi.responses import Response


def _default(value: Any) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def json_response(payload: Any, status: int = 200) -> Response:
    body = json.dumps(payload, default=_default, separators=(",", ":"), ensure_ascii=False)
    return Response(body.encode(), status_code=status, media_type="application/json")
