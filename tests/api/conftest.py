"""A ready-made cast for API tests: one participant, two physicians, three kinds of provider.

`scenario.start(...)` and `scenario.complete(...)` drive step 1 and step 2 and assert the
status code they expect; `scenario.later(day)` opens a second client on the same database
with "today" pinned to a later day (for expiry).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from precert.app import create_app
from precert.config import Settings
from precert.db import transaction
from precert.models import EnrollmentSpan, Provider
from precert.users.service import add_user
from tests.conftest import TODAY, World, npi

PARTICIPANT = "10000001"
START = "2026-03-10"
PLAN = "2026-03-01"
CODES = {"physical_therapy": "97110", "chiropractic": "98940", "acupuncture": "97810"}
PERFORMER = {"physical_therapy": "pt", "chiropractic": "chiro", "acupuncture": "acu"}
# A valid NPI that is on no roster: staff may enter it and the rules deny it.
UNROSTERED = npi(999)


def assert_error(response: Response, status: int, error: str) -> dict[str, Any]:
    """Assert the documented error shape and return the body."""
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["error"] == error, body
    assert isinstance(body["detail"], str) and body["detail"]
    if status == 422:
        assert set(body) == {"error", "detail", "fields"}, body
        for problem in body["fields"]:
            assert set(problem) == {"field", "message"}, problem
            assert problem["message"]
    else:
        assert set(body) == {"error", "detail"}, body
    return body


def fields_of(response: Response) -> set[str]:
    """Return the field names a 422 names."""
    assert response.status_code == 422, response.text
    return {p["field"] for p in response.json()["fields"]}


def codes_of(precert: dict[str, Any]) -> list[str]:
    return [r["code"] for r in precert["reasons"]]


@dataclass
class Scenario:
    world: World
    client: TestClient
    participant_id: str = PARTICIPANT
    npis: dict[str, str] = field(default_factory=dict)
    headers: dict[str, dict[str, str]] = field(default_factory=dict)

    # -- step 1 and step 2 ------------------------------------------------------------------

    def referral(self, therapy: str = "physical_therapy", **overrides: Any) -> dict[str, Any]:
        """Return a valid step-1 body from physician A, with `overrides` applied."""
        body: dict[str, Any] = {
            "participant_id": self.participant_id,
            "prescriber_npi": self.npis["doc_a"],
            "therapy": therapy,
            "diagnosis_codes": ["M54.50"],
            "plan_of_care_date": PLAN,
            "start_date": START,
        }
        body.update(overrides)
        return body

    def post_start(self, body: Any, as_: str = "doc_a", **kwargs: Any) -> Response:
        return self.client.post("/api/v1/precerts", headers=self.headers[as_], json=body, **kwargs)

    def start(
        self,
        therapy: str = "physical_therapy",
        *,
        as_: str = "doc_a",
        expect: int = 201,
        **overrides: Any,
    ) -> dict[str, Any]:
        """Run step 1 and return the pre-certification."""
        if as_ == "doc_b" and "prescriber_npi" not in overrides:
            overrides["prescriber_npi"] = self.npis["doc_b"]
        r = self.post_start(self.referral(therapy, **overrides), as_=as_)
        assert r.status_code == expect, r.text
        result: dict[str, Any] = r.json()
        return result

    def completion(self, therapy: str = "physical_therapy", **overrides: Any) -> dict[str, Any]:
        """Return a valid step-2 body from the provider who performs `therapy`."""
        body: dict[str, Any] = {
            "provider_npi": self.npis[PERFORMER[therapy]],
            "procedure_codes": [CODES[therapy]],
            "units": 10,
            "start_date": START,
        }
        body.update(overrides)
        return body

    def post_complete(
        self, precert_id: str, body: Any, as_: str = "pt", client: TestClient | None = None
    ) -> Response:
        return (client or self.client).post(
            f"/api/v1/precerts/{precert_id}/completion", headers=self.headers[as_], json=body
        )

    def complete(
        self,
        precert: dict[str, Any],
        *,
        as_: str | None = None,
        expect: int = 200,
        client: TestClient | None = None,
        **overrides: Any,
    ) -> dict[str, Any]:
        """Run step 2 on `precert` (by default as the provider who performs its therapy)."""
        therapy = precert["therapy"]
        who = as_ or PERFORMER[therapy]
        if who in ("pt", "pt2", "chiro", "acu") and "provider_npi" not in overrides:
            overrides["provider_npi"] = self.npis[who]
        r = self.post_complete(precert["id"], self.completion(therapy, **overrides), who, client)
        assert r.status_code == expect, r.text
        result: dict[str, Any] = r.json()
        return result

    def approved(self, therapy: str = "physical_therapy", units: int = 10, **kw: Any) -> dict:
        """Run both steps; return the completed pre-certification."""
        return self.complete(self.start(therapy), units=units, **kw)

    # -- the other endpoints ----------------------------------------------------------------

    def post(self, path: str, body: Any, as_: str = "staff") -> Response:
        return self.client.post(f"/api/v1/precerts/{path}", headers=self.headers[as_], json=body)

    def review(self, precert_id: str, body: Any, as_: str = "staff") -> Response:
        return self.post(f"{precert_id}/review", body, as_)

    def cancel(self, precert_id: str, body: Any = None, as_: str = "staff") -> Response:
        return self.post(f"{precert_id}/cancellation", body or {"note": "no longer needed"}, as_)

    def get(self, precert_id: str, as_: str = "staff", client: TestClient | None = None) -> Any:
        return (client or self.client).get(
            f"/api/v1/precerts/{precert_id}", headers=self.headers[as_]
        )

    def find(self, as_: str = "staff", client: TestClient | None = None, **params: Any) -> Any:
        r = (client or self.client).get(
            "/api/v1/precerts", headers=self.headers[as_], params=params
        )
        assert r.status_code == 200, r.text
        return r.json()

    def ids(self, as_: str = "staff", **params: Any) -> set[str]:
        return {item["id"] for item in self.find(as_, **params)["items"]}

    def units(self, participant_id: str | None = None, as_: str = "staff", **params: Any) -> Any:
        r = self.client.get(
            f"/api/v1/participants/{participant_id or self.participant_id}/units",
            headers=self.headers[as_],
            params=params,
        )
        assert r.status_code == 200, r.text
        return r.json()

    @contextmanager
    def later(self, today: date) -> Iterator[TestClient]:
        """Yield a client of a second app on the same database whose "today" is `today`."""
        app = create_app(Settings(database_url=self.world.url, today=today))
        with TestClient(app) as other:
            yield other


@pytest.fixture
def scenario(world: World, client: TestClient) -> Scenario:
    """One participant (born 1980, eligible since 2020) and a cast of users.

    Users: doc_a and doc_b (physicians), pt and pt2 (physical therapists), chiro, acu, np
    (a nurse practitioner holding a physician token), staff and admin.
    """
    world.participant(PARTICIPANT)
    s = Scenario(world=world, client=client)
    roster = {
        "doc_a": (1, "physician", "physician"),
        "doc_b": (2, "physician", "physician"),
        "pt": (11, "physical_therapist", "provider"),
        "pt2": (12, "physical_therapist", "provider"),
        "chiro": (13, "chiropractor", "provider"),
        "acu": (14, "acupuncturist", "provider"),
        "np": (15, "nurse_practitioner", "physician"),
    }
    # One transaction for the whole cast: the fixture runs before every test, on two databases.
    with transaction(world.sessions) as session:
        for key, (number, kind, _) in roster.items():
            s.npis[key] = npi(number)
            session.add(
                Provider(
                    npi=s.npis[key],
                    name=f"{key} ({kind})",
                    provider_type=kind,
                    enrollment=[EnrollmentSpan(start_date=date(2020, 1, 1), end_date=None)],
                )
            )
        for key, (_, _, role) in roster.items():
            _, token = add_user(session, role=role, name=key, npi=s.npis[key])
            s.headers[key] = {"Authorization": f"Bearer {token}"}
        for role in ("staff", "admin"):
            _, token = add_user(session, role=role, name=role)
            s.headers[role] = {"Authorization": f"Bearer {token}"}
    s.headers["nobody"] = {}
    s.headers["bad_token"] = {"Authorization": "Bearer pct_not-a-real-token"}
    return s


__all__ = [
    "CODES",
    "PARTICIPANT",
    "PLAN",
    "START",
    "TODAY",
    "UNROSTERED",
    "Scenario",
    "assert_error",
    "codes_of",
    "fields_of",
]
