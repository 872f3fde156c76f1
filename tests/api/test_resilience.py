"""A server keeps answering after PostgreSQL drops its pooled connections."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from precert.app import create_app
from precert.config import Settings
from tests.conftest import TODAY, World, _truncate


@pytest.mark.postgres
def test_request_after_postgres_drops_pooled_connections_is_answered(
    postgres_database: str,
) -> None:
    _truncate(postgres_database)
    world = World(postgres_database)
    participant = world.participant()
    staff = world.user("staff")
    world.close()
    app = create_app(Settings(database_url=postgres_database, today=TODAY))
    with TestClient(app) as client:
        url = f"/api/v1/participants/{participant}/units"
        assert client.get(url, headers=staff).status_code == 200
        killer = create_engine(postgres_database, isolation_level="AUTOCOMMIT")
        with killer.connect() as conn:
            killed = conn.execute(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            ).scalar()
        killer.dispose()
        assert killed and killed >= 1
        answer = client.get(url, headers=staff)
        assert answer.status_code == 200, answer.text
        assert answer.json()["remaining"] == 120
