"""Claims-time checks through the API: the API tests' cast, a claims system, and claim lines.

`claims` wraps the `scenario` of tests/api (one participant, physicians, providers, staff) and
adds a `claims_system` token, a default claim line (physical therapy billed by `pt` on
2026-04-01), and calls of `POST /api/v1/claims/check` and `POST /api/v1/claims`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from httpx import Response
from sqlalchemy import text

from tests.api import conftest as api_conftest
from tests.api.conftest import CODES, PERFORMER, Scenario

# The API tests' cast, as a fixture here too.
scenario = api_conftest.scenario

SERVICE_DATE = "2026-04-01"
DIAGNOSIS = "M54.50"


@dataclass
class Claims:
    s: Scenario

    def line(
        self, claim_id: str = "CLM-1", therapy: str = "physical_therapy", **overrides: Any
    ) -> dict[str, Any]:
        """Return a claim line of `therapy` billed by the provider who performs it."""
        who = self.s.npis[PERFORMER[therapy]]
        body: dict[str, Any] = {
            "claim_id": claim_id,
            "line_number": 1,
            "participant_id": self.s.participant_id,
            "billing_npi": who,
            "rendering_npi": who,
            "procedure_code": CODES[therapy],
            "diagnosis_codes": [DIAGNOSIS],
            "date_of_service": SERVICE_DATE,
            "units": 4,
        }
        body.update(overrides)
        return body

    def void(self, claim_id: str, original: str, **overrides: Any) -> dict[str, Any]:
        return self.line(claim_id, frequency="void", original_claim_id=original, **overrides)

    def replacement(self, claim_id: str, original: str, **overrides: Any) -> dict[str, Any]:
        return self.line(claim_id, frequency="replacement", original_claim_id=original, **overrides)

    def post(self, path: str, body: Any, as_: str = "claims") -> Response:
        url = "/api/v1/claims" + path
        return self.s.client.post(url, headers=self.s.headers[as_], json=body)

    def _answers(self, path: str, lines: tuple[dict[str, Any], ...], as_: str) -> list[Any]:
        r = self.post(path, {"lines": list(lines)}, as_)
        assert r.status_code == 200, r.text
        answers: list[dict[str, Any]] = r.json()["lines"]
        assert len(answers) == len(lines)
        for answer, line in zip(answers, lines, strict=True):
            assert set(answer) == {
                "claim_id",
                "line_number",
                "outcome",
                "covered_units",
                "precert_id",
                "reasons",
            }, answer
            assert (answer["claim_id"], answer["line_number"]) == (
                line["claim_id"],
                line["line_number"],
            )
            for reason in answer["reasons"]:
                assert set(reason) == {"code", "message"} and reason["message"], reason
        return answers

    def record(self, *lines: dict[str, Any], as_: str = "claims") -> list[Any]:
        """POST /api/v1/claims; assert 200 and the answers' shape; return them."""
        return self._answers("", lines, as_)

    def check(self, *lines: dict[str, Any], as_: str = "claims") -> list[Any]:
        """POST /api/v1/claims/check; assert 200 and the answers' shape; return them."""
        return self._answers("/check", lines, as_)

    def count(self) -> int:
        """Return the number of rows in claim_lines."""
        with self.s.world.engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM claim_lines")).scalar_one())

    def precert(self, precert_id: str) -> dict[str, Any]:
        r = self.s.get(precert_id)
        assert r.status_code == 200, r.text
        found: dict[str, Any] = r.json()
        return found

    def used(self, precert_id: str) -> tuple[int, int | None]:
        """Return (used_units, units_remaining) of a pre-certification."""
        found = self.precert(precert_id)
        return found["used_units"], found["units_remaining"]


def codes(answer: dict[str, Any]) -> list[str]:
    return [r["code"] for r in answer["reasons"]]


def outcome(answer: dict[str, Any]) -> tuple[str, int, str | None]:
    return answer["outcome"], answer["covered_units"], answer["precert_id"]


@pytest.fixture
def claims(scenario: Scenario) -> Claims:
    scenario.headers["claims"] = scenario.world.user("claims_system")
    return Claims(scenario)
