"""Shared fixtures: databases built by running the migrations, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from precert.app import create_app
from precert.config import Settings
from precert.db import make_engine, make_sessionmaker, transaction
from precert.migrate import upgrade
from precert.models import EligibilitySpan, EnrollmentSpan, Participant, Provider
from precert.rules.codes import npi_with_check_digit
from precert.users.service import add_user

# Tests pin "today" in Missouri so that dates in them read plainly.
TODAY = date(2026, 3, 2)
POSTGRES_URL = os.environ.get("PRECERT_TEST_POSTGRES_URL")
POSTGRES_SKIP = "PostgreSQL tests need PRECERT_TEST_POSTGRES_URL (CI sets it; see .ci/run)"


def npi(n: int) -> str:
    """Return a valid NPI numbered `n`."""
    return npi_with_check_digit(f"{n:09d}")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    if not POSTGRES_URL:
        pytest.skip(POSTGRES_SKIP)
    name = f"precert_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _truncate(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "TRUNCATE fhir_deliveries, fhir_subscriptions, interop_messages, "
                "questionnaire_answers, claim_lines, access_log, form_submissions, web_sessions, "
                "precert_events, "
                "precerts, unit_ledgers, users, eligibility_spans, participants, enrollment_spans, "
                "providers "
                "RESTART IDENTITY CASCADE"
            )
        )
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Return the URL of an empty, migrated database (one per test)."""
    if request.param == "sqlite":
        path = tmp_path / "precert.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("postgres_database")
    _truncate(url)
    return url


@dataclass
class World:
    """A database with factories for rosters and users."""

    url: str

    def __post_init__(self) -> None:
        self.engine = make_engine(self.url)
        self.sessions = make_sessionmaker(self.engine)

    def participant(
        self,
        participant_id: str = "10000001",
        *,
        birth_date: date = date(1980, 1, 1),
        spans: tuple[tuple[date, date | None], ...] = ((date(2020, 1, 1), None),),
    ) -> str:
        with transaction(self.sessions) as s:
            s.add(
                Participant(
                    participant_id=participant_id,
                    first_name="Test",
                    last_name="Participant",
                    birth_date=birth_date,
                    eligibility=[EligibilitySpan(start_date=a, end_date=b) for a, b in spans],
                )
            )
        return participant_id

    def provider(
        self,
        number: int,
        provider_type: str,
        *,
        spans: tuple[tuple[date, date | None], ...] = ((date(2020, 1, 1), None),),
    ) -> str:
        value = npi(number)
        with transaction(self.sessions) as s:
            s.add(
                Provider(
                    npi=value,
                    name=f"Provider {number}",
                    provider_type=provider_type,
                    enrollment=[EnrollmentSpan(start_date=a, end_date=b) for a, b in spans],
                )
            )
        return value

    def user(self, role: str, npi_value: str | None = None) -> dict[str, str]:
        """Create a user; return the Authorization header of its token."""
        with transaction(self.sessions) as s:
            _, token = add_user(s, role=role, name=f"{role} {npi_value or ''}", npi=npi_value)
        return {"Authorization": f"Bearer {token}"}

    def close(self) -> None:
        self.engine.dispose()


@pytest.fixture
def world(database_url: str) -> Iterator[World]:
    w = World(database_url)
    yield w
    w.close()


@pytest.fixture
def client(database_url: str) -> Iterator[TestClient]:
    # No delivery worker: a test that needs one turns it on (tests/interop/subscriptions).
    app = create_app(Settings(database_url=database_url, today=TODAY, subscriptions_worker=False))
    with TestClient(app) as c:
        yield c
