"""Whatever an EHR sends to `$submit`, the answer is a PAS response or one OperationOutcome:
never a server error, never a half-written request."""

from __future__ import annotations

import copy
from typing import Any

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from precert.app import create_app
from precert.config import Settings
from tests.api.conftest import Scenario
from tests.conftest import TODAY
from tests.interop.fhir import pas

ODD = [None, "", 0, -1, 2.5, 10**20, True, [], {}, "x" * 300, "2026-02-30", "\u00e9\u0000", [{}]]


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path] if path else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*path, index))
    return found


def _spoiled(bundle: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(bundle)
    node = changed
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return changed


def test_a_spoiled_bundle_is_never_a_server_error(scenario: Scenario) -> None:
    s = scenario
    bundle = pas.request(requester=s.npis["doc_a"], performer=s.npis["pt"])
    paths = _paths(bundle)
    app = create_app(Settings(database_url=s.world.url, today=TODAY))
    with TestClient(app, raise_server_exceptions=False) as client:

        @given(st.sampled_from(paths), st.sampled_from(ODD))
        @settings(
            max_examples=150,
            deadline=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        def never_a_500(path: tuple[Any, ...], value: Any) -> None:
            r = client.post(
                "/fhir/Claim/$submit",
                json=_spoiled(bundle, path, value),
                headers=s.headers["staff"],
            )
            assert r.status_code < 500, (path, value, r.text)
            kind = r.json()["resourceType"]
            assert kind == ("Bundle" if r.status_code == 200 else "OperationOutcome")

        never_a_500()
