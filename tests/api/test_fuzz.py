"""Schema-driven fuzzing of the API: whatever a client sends, the answer is never a 500."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from precert.app import create_app
from precert.config import Settings
from tests.conftest import TODAY, World


def test_no_input_gets_a_server_error(sqlite_template: Path, tmp_path: Path) -> None:
    path = tmp_path / "fuzz.db"
    shutil.copy(sqlite_template, path)
    url = f"sqlite:///{path}"
    world = World(url)
    world.participant("10000001")
    world.provider(1, "physician")
    headers = world.user("staff")
    world.close()
    app = create_app(Settings(database_url=url, today=TODAY))
    with TestClient(app):  # runs the lifespan: the engine exists while the cases run
        api = schemathesis.openapi.from_asgi("/openapi.json", app)
        operations = [result.ok() for result in api.get_all_operations()]
        assert len(operations) >= 8
        for operation in operations:

            @given(case=operation.as_strategy())
            @settings(
                max_examples=60,
                deadline=None,
                derandomize=True,
                suppress_health_check=list(HealthCheck),
            )
            def never_a_500(case: Any) -> None:
                case.call_and_validate(headers=headers, checks=[not_a_server_error])

            never_a_500()
