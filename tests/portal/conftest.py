"""Shared pieces of the portal tests: an app per client, signing in, reading forms and rows.

`portal` is the smallest world (one physician who signs in, `drtest`). `cast` is a ready-made
cast for the request pages: two participants, two physicians, three performing providers, a
staff member and an administrator, each with a username and the same password. The requests a
test needs but does not exercise are made through the JSON API with the users' tokens (fast);
what a test exercises goes through the pages.
"""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import func, select

from precert.app import create_app
from precert.config import Settings
from precert.db import transaction
from precert.models import (
    AccessEntry,
    EligibilitySpan,
    EnrollmentSpan,
    Participant,
    Precert,
    PrecertEvent,
    Provider,
    WebSession,
)
from precert.users.service import add_user
from tests.conftest import TODAY, World, npi

PASSWORD = "correct horse battery staple"
# argon2id with small costs. Sign-in checks it with the service's own verifier, which reads the
# costs from the hash: a few milliseconds instead of a tenth of a second per sign-in.
PASSWORD_HASH = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(PASSWORD)


@dataclass
class Portal:
    world: World
    url: str

    def client(
        self, base_url: str = "http://testserver", *, raises: bool = True, **settings: object
    ) -> TestClient:
        """Return a client of a new app; with `raises=False` a server error is a 500 answer."""
        app = create_app(Settings(database_url=self.url, today=TODAY, **settings))  # type: ignore[arg-type]
        return TestClient(
            app, base_url=base_url, follow_redirects=False, raise_server_exceptions=raises
        )

    def sessions_open(self) -> int:
        with transaction(self.world.sessions) as s:
            query = (
                select(func.count()).select_from(WebSession).where(WebSession.ended_at.is_(None))
            )
            return int(s.scalar(query) or 0)

    def count(self, model: type, *where: Any) -> int:
        with transaction(self.world.sessions) as s:
            return int(s.scalar(select(func.count()).select_from(model).where(*where)) or 0)


@pytest.fixture
def portal(world: World, database_url: str) -> Iterator[Portal]:
    doctor = world.provider(1, "physician")
    with transaction(world.sessions) as s:
        add_user(
            s,
            role="physician",
            name="Dr. Test",
            npi=doctor,
            username="drtest",
            password_hash=PASSWORD_HASH,
        )
    yield Portal(world, database_url)


# ---- reading pages ------------------------------------------------------------------------


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the form carries a CSRF token"
    return found.group(1)


def hidden(html: str, name: str) -> str:
    """Return the value of the hidden input `name` (e.g. the form's one-time `form_key`)."""
    found = re.search(rf'<input type="hidden" name="{name}" value="([^"]*)"', html)
    assert found, f"the form carries {name}"
    return found.group(1)


def sign_in(client: TestClient, password: str = PASSWORD, username: str = "drtest") -> Response:
    token = csrf_of(client.get("/login").text)
    answer: Response = client.post(
        "/login", data={"username": username, "password": password, "csrf_token": token}
    )
    return answer


def field_block(html: str, name: str) -> str:
    """Return the `<div class="field ...">` of the field labelled for `name`."""
    start = html.find(f'<label for="{name}">')
    assert start >= 0, f"the page has a field {name}"
    opened = html.rfind('<div class="field', 0, start)
    closed = html.find("</div>", start)
    assert 0 <= opened < start < closed
    return html[opened:closed]


def problem_next_to(html: str, name: str) -> str:
    """Assert the field `name` shows a problem inside its own block; return the message text.

    The message is an element with id `<name>-problem` in the field's own block (with its label
    and control), and the control points at it with aria-describedby and is aria-invalid.
    """
    block = field_block(html, name)
    found = re.search(rf'<p class="field-problem" id="{name}-problem">(.*?)</p>', block, re.S)
    assert found, f"no problem next to {name}: {block}"
    control = re.search(rf'<(?:input|textarea|select) id="{name}"[^>]*>', block)
    assert control, block
    assert f"{name}-problem" in control.group(0) and 'aria-invalid="true"' in control.group(0)
    return html_lib.unescape(re.sub(r"<[^>]+>", " ", found.group(1))).strip()


def typed(html: str, name: str) -> str:
    """Return what the input `name` shows (its value attribute), unescaped."""
    found = re.search(rf'<input id="{name}" name="{name}"[^>]*?value="([^"]*)"', html)
    assert found, f"the page has an input {name}"
    return html_lib.unescape(found.group(1))


def status_of(html: str) -> str:
    found = re.search(r'data-status="([a-z_]+)"', html)
    assert found, "the page shows a status"
    return found.group(1)


# ---- the cast -----------------------------------------------------------------------------

PARTICIPANT = "10000001"
OTHER_PARTICIPANT = "10000002"
# Distinctive names: they must never reach the access log.
FIRST_NAME, LAST_NAME = "Zelda", "Quixote"
PLAN = "2026-03-01"
START = TODAY.isoformat()  # 2026-03-02
PT_CODES = ("97161", "97162", "97163", "97110", "97530")

# key: (NPI number, roster type, role); the key is also the username.
CLINICIANS = {
    "doc_a": (1, "physician", "physician"),
    "doc_b": (2, "physician", "physician"),
    "pt": (11, "physical_therapist", "provider"),
    "pt2": (12, "physical_therapist", "provider"),
    "chiro": (13, "chiropractor", "provider"),
}


@dataclass
class Cast(Portal):
    npis: dict[str, str] = field(default_factory=dict)
    ids: dict[str, int] = field(default_factory=dict)
    tokens: dict[str, dict[str, str]] = field(default_factory=dict)

    @contextmanager
    def signed_in(self, who: str, *, raises: bool = True) -> Iterator[TestClient]:
        """Yield a client signed in to the portal as `who` (a username of the cast)."""
        with self.client(raises=raises) as client:
            answer = sign_in(client, username=who)
            assert answer.status_code == 303, answer.text
            yield client

    # -- requests made through the JSON API (set-up, not under test) -------------------------

    def api(self, method: str, path: str, who: str, body: Any = None) -> dict[str, Any]:
        with self.client() as client:
            r = client.request(method, f"/api/v1{path}", headers=self.tokens[who], json=body)
        assert r.status_code in (200, 201), r.text
        result: dict[str, Any] = r.json()
        return result

    def started(
        self,
        who: str = "doc_a",
        therapy: str = "physical_therapy",
        participant_id: str = PARTICIPANT,
        **overrides: Any,
    ) -> dict[str, Any]:
        body = {
            "participant_id": participant_id,
            "prescriber_npi": self.npis[who],
            "therapy": therapy,
            "diagnosis_codes": ["M54.50"],
            "plan_of_care_date": PLAN,
            "start_date": START,
            **overrides,
        }
        return self.api("POST", "/precerts", who, body)

    def completed(
        self, precert: dict[str, Any], who: str = "pt", units: int = 8, **overrides: Any
    ) -> dict[str, Any]:
        body = {
            "provider_npi": self.npis[who],
            "procedure_codes": ["97110"],
            "units": units,
            "start_date": precert["start_date"],
            **overrides,
        }
        return self.api("POST", f"/precerts/{precert['id']}/completion", who, body)

    def approved(self, units: int = 8, **step1: Any) -> dict[str, Any]:
        done = self.completed(self.started(**step1), units=units)
        assert done["status"] == "approved", done
        return done

    def pended(self, units: int = 8, priority: str = "standard") -> dict[str, Any]:
        """Return a request pended for review: it overlaps an approved one of the same therapy.

        Call `approved()` first; the overlap gives DUPLICATE_AUTHORIZATION, which pends.
        """
        second = self.started("doc_b", priority=priority)
        done = self.completed(second, "pt2", units=units)
        assert done["status"] == "pended", done
        return done

    # -- what is stored -------------------------------------------------------------------

    def precert(self, precert_id: str) -> Precert:
        with transaction(self.world.sessions) as s:
            found = s.get(Precert, precert_id)
            assert found is not None
            s.expunge(found)
            return found

    def events(self, precert_id: str) -> list[PrecertEvent]:
        with transaction(self.world.sessions) as s:
            query = (
                select(PrecertEvent)
                .where(PrecertEvent.precert_id == precert_id)
                .order_by(PrecertEvent.seq)
            )
            found = list(s.scalars(query))
            s.expunge_all()
            return found

    def access_entries(self) -> list[AccessEntry]:
        with transaction(self.world.sessions) as s:
            found = list(s.scalars(select(AccessEntry).order_by(AccessEntry.id)))
            s.expunge_all()
            return found


@pytest.fixture
def cast(world: World, database_url: str) -> Cast:
    """Participants 10000001 (Zelda Quixote) and 10000002; the users of CLINICIANS plus
    `staff` and `admin`; every user signs in with PASSWORD and holds an API token."""
    c = Cast(world, database_url)
    # One transaction for the whole cast: the fixture runs before every test, on two databases.
    with transaction(world.sessions) as session:
        for pid, first in ((PARTICIPANT, FIRST_NAME), (OTHER_PARTICIPANT, "Other")):
            session.add(
                Participant(
                    participant_id=pid,
                    first_name=first,
                    last_name=LAST_NAME if pid == PARTICIPANT else "Person",
                    birth_date=date(1980, 1, 1),
                    eligibility=[EligibilitySpan(start_date=date(2020, 1, 1), end_date=None)],
                )
            )
        for key, (number, kind, _) in CLINICIANS.items():
            c.npis[key] = npi(number)
            session.add(
                Provider(
                    npi=c.npis[key],
                    name=f"{key} ({kind})",
                    provider_type=kind,
                    enrollment=[EnrollmentSpan(start_date=date(2020, 1, 1), end_date=None)],
                )
            )
        users: list[tuple[str, str, str | None]] = [
            (key, role, c.npis[key]) for key, (_, _, role) in CLINICIANS.items()
        ]
        users += [("staff", "staff", None), ("admin", "admin", None)]
        for key, role, own_npi in users:
            user, token = add_user(
                session,
                role=role,
                name=f"User {key}",
                npi=own_npi,
                username=key,
                password_hash=PASSWORD_HASH,
            )
            c.ids[key] = user.id
            c.tokens[key] = {"Authorization": f"Bearer {token}"}
    return c
