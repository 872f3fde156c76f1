"""Claim lines racing through a real server (two workers), on SQLite and PostgreSQL.

Two claim lines arriving at the same moment never use the same units twice; a line retried at
the same moment is recorded once; a line voided twice at the same moment gives its units back
once.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.conftest import World
from tests.e2e.conftest import THERAPIES, LiveServer
from tests.e2e.test_concurrency import _client, _race

pytestmark = pytest.mark.server
# Lines sent beside the contested one in each racing request (see `_padding`).
PADDING = 150


def _claims_token(server: LiveServer) -> dict[str, str]:
    world = World(server.database_url)
    try:
        return world.user("claims_system")
    finally:
        world.close()


def _approved(
    client: httpx.Client,
    server: LiveServer,
    participant_id: str,
    therapy: str,
    units: int,
    start: str = "2026-03-10",
) -> str:
    """Run steps 1 and 2; return the id of the approved pre-certification."""
    roster = server.roster
    r = client.post(
        "/api/v1/precerts",
        headers=roster.headers["physician"],
        json={
            "participant_id": participant_id,
            "prescriber_npi": roster.npis["physician"],
            "therapy": therapy,
            "diagnosis_codes": ["M54.50"],
            "plan_of_care_date": "2026-03-01",
            "start_date": start,
        },
    )
    assert r.status_code == 201, r.text
    kind, code = THERAPIES[therapy]
    r = client.post(
        f"/api/v1/precerts/{r.json()['id']}/completion",
        headers=roster.headers[kind],
        json={
            "provider_npi": roster.npis[kind],
            "procedure_codes": [code],
            "units": units,
            "start_date": start,
        },
    )
    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["approved_units"]) == ("approved", units), r.text
    precert_id: str = r.json()["id"]
    return precert_id


def _line(
    server: LiveServer, claim_id: str, participant_id: str, units: int, **overrides: Any
) -> dict[str, Any]:
    therapy = overrides.pop("therapy", "physical_therapy")
    kind, code = THERAPIES[therapy]
    line = {
        "claim_id": claim_id,
        "line_number": 1,
        "participant_id": participant_id,
        "billing_npi": server.roster.npis[kind],
        "rendering_npi": server.roster.npis[kind],
        "procedure_code": code,
        "diagnosis_codes": ["M54.50"],
        "date_of_service": "2026-04-01",
        "units": units,
    }
    line.update(overrides)
    return line


def _post(headers: dict[str, str], *lines: dict[str, Any]) -> Callable[[httpx.Client], Any]:
    body = {"lines": list(lines)}
    return lambda c: c.post("/api/v1/claims", headers=headers, json=body)


def _explain(results: list[Any], server: LiveServer) -> str:
    statuses = Counter(status for status, _ in results)
    odd = {repr(payload)[:300] for status, payload in results if status != 200}
    return (
        f"statuses {dict(statuses)}; other answers: {sorted(odd)}\n"
        f"server log ({server.backend}):\n{server.log_tail()}"
    )


def _precert(client: httpx.Client, server: LiveServer, precert_id: str) -> dict[str, Any]:
    r = client.get(f"/api/v1/precerts/{precert_id}", headers=server.roster.headers["staff"])
    assert r.status_code == 200, r.text
    found: dict[str, Any] = r.json()
    return found


def _units(client: httpx.Client, server: LiveServer, participant_id: str, **params: str) -> Any:
    r = client.get(
        f"/api/v1/participants/{participant_id}/units",
        headers=server.roster.headers["staff"],
        params=params,
    )
    assert r.status_code == 200, r.text
    return r.json()


def test_concurrent_lines_never_use_the_same_units_twice(live_server: LiveServer) -> None:
    """20 lines of 2 units against a 20-unit period; 24 lines of 10 against one 2027 limit."""
    server = live_server
    headers = _claims_token(server)
    one, two = server.roster.participants[:2]
    with _client(server) as client:
        small = _approved(client, server, one, "physical_therapy", 20)
        # Two periods charged to two years, both running in early 2027: 240 units authorized,
        # 120 usable in 2027.
        pt = _approved(client, server, two, "physical_therapy", 120)
        chiro = _approved(client, server, two, "chiropractic", 120, start="2027-01-05")
    in_2027 = {"date_of_service": "2027-02-01"}
    calls = [_post(headers, _line(server, f"S-{i:02d}", one, 2)) for i in range(20)]
    calls += [
        _post(
            headers, _line(server, f"Y-{therapy[:2]}-{i:02d}", two, 10, therapy=therapy, **in_2027)
        )
        for i in range(12)
        for therapy in ("physical_therapy", "chiropractic")
    ]

    results = _race(server, calls)

    assert all(status == 200 for status, _ in results), _explain(results, server)
    answers = [payload["lines"][0] for _, payload in results]
    small_answers, year_answers = answers[:20], answers[20:]
    assert sum(a["covered_units"] for a in small_answers) == 20, small_answers
    assert Counter(a["outcome"] for a in small_answers) == {"covered": 10, "not_covered": 10}
    for a in small_answers:
        if a["outcome"] == "not_covered":
            assert [r["code"] for r in a["reasons"]] == ["PRECERT_UNITS_EXHAUSTED"], a
    assert sum(a["covered_units"] for a in year_answers) == 120, year_answers
    for a in year_answers:
        if a["outcome"] == "not_covered":
            assert [r["code"] for r in a["reasons"]] == ["ANNUAL_LIMIT_REACHED"], a
    with _client(server) as client:
        found = _precert(client, server, small)
        assert (found["used_units"], found["units_remaining"]) == (20, 0), found
        used_pt = _precert(client, server, pt)["used_units"]
        used_chiro = _precert(client, server, chiro)["used_units"]
        assert used_pt + used_chiro == 120, (used_pt, used_chiro)
        units = _units(client, server, two, year="2027")
        assert units["used"] == 120, units
        assert units["used_by_therapy"]["physical_therapy"] == used_pt, units
        assert _units(client, server, one)["used"] == 20


def _record(client: httpx.Client, headers: dict[str, str], *lines: dict[str, Any]) -> Any:
    r = client.post("/api/v1/claims", headers=headers, json={"lines": list(lines)})
    assert r.status_code == 200, r.text
    return r.json()["lines"]


def _padding(server: LiveServer, prefix: str) -> list[dict[str, Any]]:
    """Lines of a participant holding nothing, so that each request holds its locks a while."""
    other = server.roster.participants[-1]
    return [_line(server, f"{prefix}-{j:03d}", other, 1) for j in range(PADDING)]


def test_concurrent_retries_of_one_line_are_recorded_once(live_server: LiveServer) -> None:
    """One request sent 12 times at once: 12 times the same answers, units used once."""
    server = live_server
    headers = _claims_token(server)
    participant = server.roster.participants[0]
    with _client(server) as client:
        precert_id = _approved(client, server, participant, "physical_therapy", 20)
    line = _line(server, "RETRY-1", participant, 6)

    results = _race(server, [_post(headers, line, *_padding(server, "PAD"))] * 12)

    with _client(server) as client:
        used = _precert(client, server, precert_id)["used_units"]
    assert all(status == 200 for status, _ in results), _explain(results, server)
    answers = [payload["lines"][0] for _, payload in results]
    assert all(a == answers[0] for a in answers), answers
    assert (answers[0]["outcome"], answers[0]["covered_units"]) == ("covered", 6)
    assert used == 6


def test_concurrent_voids_of_one_line_give_its_units_back_once(live_server: LiveServer) -> None:
    """One line voided by 12 claims at once: one CLAIM_LINE_VOIDED, its units back once."""
    server = live_server
    headers = _claims_token(server)
    participant = server.roster.participants[0]
    with _client(server) as client:
        precert_id = _approved(client, server, participant, "physical_therapy", 20)
        # The line to void, and another that stays, so a double give-back shows.
        _record(
            client,
            headers,
            _line(server, "ORIGINAL-1", participant, 6),
            _line(server, "OTHER-1", participant, 4),
        )
    voids = [
        _post(
            headers,
            _line(
                server,
                f"VOID-{i:02d}",
                participant,
                6,
                frequency="void",
                original_claim_id="ORIGINAL-1",
            ),
            *_padding(server, f"PAD-{i:02d}"),
        )
        for i in range(12)
    ]

    results = _race(server, voids)

    assert all(status == 200 for status, _ in results), _explain(results, server)
    with _client(server) as client:
        found = _precert(client, server, precert_id)
        used = _units(client, server, participant)["used"]
    codes = Counter(payload["lines"][0]["reasons"][0]["code"] for _, payload in results)
    assert (codes, found["used_units"], found["units_remaining"], used) == (
        {"CLAIM_LINE_VOIDED": 1, "CLAIM_LINE_ALREADY_VOIDED": 11},
        4,
        16,
        4,
    )
