"""Concurrency through the HTTP API against a real server process with two workers.

One completion per request, and the 120-unit limit, must hold when requests race: on SQLite
(BEGIN IMMEDIATE) and on PostgreSQL (row locks).
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import THERAPIES, LiveServer

pytestmark = pytest.mark.server

START = "2026-03-10"
# Well under SQLite's 30 s busy timeout: a request stalled on a lock fails the test quickly.
TIMEOUT = httpx.Timeout(15.0)


def _client(server: LiveServer) -> httpx.Client:
    return httpx.Client(base_url=server.base_url, timeout=TIMEOUT, trust_env=False)


def _start(client: httpx.Client, server: LiveServer, participant_id: str, therapy: str) -> str:
    """Step 1 by the physician; return the new pre-certification's id."""
    r = client.post(
        "/api/v1/precerts",
        headers=server.roster.headers["physician"],
        json={
            "participant_id": participant_id,
            "prescriber_npi": server.roster.npis["physician"],
            "therapy": therapy,
            "diagnosis_codes": ["M54.50"],
            "plan_of_care_date": "2026-03-01",
            "start_date": START,
        },
    )
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "awaiting_provider", r.text
    precert_id: str = r.json()["id"]
    return precert_id


def _completion(server: LiveServer, therapy: str, units: int) -> tuple[dict[str, str], Any]:
    kind, code = THERAPIES[therapy]
    body = {
        "provider_npi": server.roster.npis[kind],
        "procedure_codes": [code],
        "units": units,
        "start_date": START,
    }
    return server.roster.headers[kind], body


def _race(server: LiveServer, calls: list[Callable[[httpx.Client], httpx.Response]]) -> list[Any]:
    """Run every call at once, each on its own connection; return (status, body) in order.

    Each thread opens its connection first (GET /healthz), then all wait on a barrier and send
    together, so the requests reach both workers at the same moment. A request left unanswered
    reads as status 0.
    """
    barrier = threading.Barrier(len(calls), timeout=30)

    def run(call: Callable[[httpx.Client], httpx.Response]) -> tuple[int, Any]:
        with _client(server) as client:
            client.get("/healthz").raise_for_status()
            barrier.wait()
            try:
                r = call(client)
            except httpx.TimeoutException:
                return 0, f"no answer within {TIMEOUT.read} s"
            try:
                return r.status_code, r.json()
            except ValueError:
                return r.status_code, r.text

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def _explain(results: list[Any], server: LiveServer) -> str:
    """Summarise a race for a failed assertion: statuses, the odd answers, the server's log."""
    statuses = Counter(status for status, _ in results)
    odd = {repr(payload)[:300] for status, payload in results if status not in (200, 409)}
    return (
        f"statuses {dict(statuses)}; other answers: {sorted(odd)}\n"
        f"server log ({server.backend}):\n{server.log_tail()}"
    )


def test_one_completion_wins(live_server: LiveServer) -> None:
    """20 simultaneous completions of one request: one 200, nineteen 409 PRECERT_NOT_OPEN."""
    server = live_server
    participant_id = server.roster.participants[0]
    with _client(server) as client:
        precert_id = _start(client, server, participant_id, "physical_therapy")
    headers, body = _completion(server, "physical_therapy", 50)
    url = f"/api/v1/precerts/{precert_id}/completion"

    results = _race(server, [lambda c: c.post(url, headers=headers, json=body)] * 20)

    statuses = Counter(status for status, _ in results)
    assert statuses == {200: 1, 409: 19}, _explain(results, server)
    (won,) = [payload for status, payload in results if status == 200]
    assert won["status"] == "approved" and won["approved_units"] == 50, won
    for status, payload in results:
        if status == 409:
            assert payload["error"] == "PRECERT_NOT_OPEN", payload

    with _client(server) as client:
        r = client.get(f"/api/v1/precerts/{precert_id}", headers=server.roster.headers["staff"])
        assert r.status_code == 200, r.text
        actions = [event["action"] for event in r.json()["history"]]
        assert actions == ["referral", "completion"], r.json()["history"]
        r = client.get(f"/api/v1/participants/{participant_id}/units", headers=headers)
        assert r.status_code == 200, r.text
        assert r.json()["authorized"] == 50, r.json()


def test_annual_limit_holds_across_therapies(live_server: LiveServer) -> None:
    """10 participants x 3 simultaneous completions of 50 units: each ends at exactly 120."""
    server = live_server
    participants = server.roster.participants[:10]
    with _client(server) as client:
        precerts = [
            (participant_id, therapy, _start(client, server, participant_id, therapy))
            for participant_id in participants
            for therapy in THERAPIES
        ]

    def call(therapy: str, precert_id: str) -> Callable[[httpx.Client], httpx.Response]:
        headers, body = _completion(server, therapy, 50)
        url = f"/api/v1/precerts/{precert_id}/completion"
        return lambda c: c.post(url, headers=headers, json=body)

    results = _race(server, [call(therapy, precert_id) for _, therapy, precert_id in precerts])

    problems = [(status, payload) for status, payload in results if status != 200]
    assert not problems, _explain(results, server)
    outcomes: dict[str, list[tuple[str, int]]] = {p: [] for p in participants}
    for (participant_id, _, _), (_, payload) in zip(precerts, results, strict=True):
        outcomes[participant_id].append((payload["status"], payload["approved_units"]))
        if payload["status"] == "partially_approved":
            codes = [reason["code"] for reason in payload["reasons"]]
            assert "UNITS_REDUCED_TO_LIMIT" in codes, payload
    expected = [("approved", 50), ("approved", 50), ("partially_approved", 20)]
    for participant_id, got in outcomes.items():
        assert sorted(got) == expected, (participant_id, got)

    with _client(server) as client:
        for participant_id in participants:
            r = client.get(
                f"/api/v1/participants/{participant_id}/units",
                headers=server.roster.headers["staff"],
            )
            assert r.status_code == 200, r.text
            units = r.json()
            assert (units["authorized"], units["remaining"]) == (120, 0), units
            assert sorted(units["by_therapy"].values()) == [20, 50, 50], units
