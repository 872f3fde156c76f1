"""Send 278 requests to the API as one of the scenario's users, and read what is stored."""

from __future__ import annotations

from typing import Any

from httpx import Response
from sqlalchemy import func, select

from precert.models.interop import InteropMessage
from tests.api.conftest import Scenario
from tests.interop.x12.reading import Loops, check_278_response, find
from tests.interop.x12.writer import request_278

MEDIA = "application/edi-x12"


def post(s: Scenario, body: str, as_: str = "staff", media: str = MEDIA) -> Response:
    return s.client.post(
        "/x12/278", content=body, headers={**s.headers[as_], "content-type": media}
    )


def decided(s: Scenario, as_: str = "staff", **kwargs: Any) -> Loops:
    """Send a 278 request; assert a well-formed 278 response and return its loops."""
    kwargs.setdefault("physician_npi", s.npis["doc_a"])
    r = post(s, request_278(**kwargs), as_)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith(MEDIA)
    return check_278_response(r.text)


def hcr(loop: list[list[str]]) -> list[str]:
    found = find(loop, "HCR")
    assert len(found) == 1, loop
    return found[0] + [""] * (4 - len(found[0]))


def stored(s: Scenario) -> tuple[int, int]:
    """Return the number of pre-certifications and of 278 messages in the database."""
    precerts = s.find("staff")["total"]
    with s.world.sessions() as session:
        messages = session.execute(select(func.count()).select_from(InteropMessage)).scalar_one()
    return precerts, messages
