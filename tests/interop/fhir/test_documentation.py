"""DTR answers sent in a PAS Bundle's supportingInfo: checked, and counted only when the
policy file says so (kept and shown in the portal: test_portal_round_trips)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from fastapi.testclient import TestClient

from precert.app import create_app
from precert.config import Settings
from precert.policy.loader import DATA_DIR
from tests.api.conftest import Scenario
from tests.conftest import TODAY
from tests.interop.dtr import samples
from tests.interop.fhir import pas


def with_answers(answers: dict[str, Any], **kw: Any) -> dict[str, Any]:
    entry = {"fullUrl": f"{pas.BASE}/QuestionnaireResponse/answers", "resource": answers}
    answers["id"] = "answers"
    info = {
        "sequence": 1,
        "category": {
            "coding": [
                {
                    "system": "http://hl7.org/fhir/us/davinci-pas/CodeSystem/PASTempCodes",
                    "code": "additionalInformation",
                }
            ]
        },
        "valueReference": {"reference": "QuestionnaireResponse/answers"},
    }
    return pas.request(extra=[entry], supporting=[info], **kw)


def test_answers_that_do_not_fit_the_questionnaire_are_named_in_the_bundle(
    scenario: Scenario,
) -> None:
    s = scenario
    bad = samples.without(samples.response(), "pain-duration-months")
    bundle = with_answers(bad, requester=s.npis["doc_a"])
    r = pas.post(s, "/fhir/Claim/$submit", bundle, "doc_a")
    assert r.status_code == 422
    [index] = [
        n
        for n, e in enumerate(bundle["entry"])
        if e["resource"]["resourceType"] == "QuestionnaireResponse"
    ]
    paths = [i["expression"][0] for i in pas.issues(r)]
    assert paths == [f"Bundle.entry[{index}].resource.item"], paths
    assert s.find()["total"] == 0


def _policy_counting_answers(tmp_path: Path) -> Path:
    [source] = sorted(DATA_DIR.glob("*.yaml"))
    raw = yaml.safe_load(source.read_text(encoding="utf-8"))
    raw["documentation"] = {**raw["documentation"], "affects_decision": True}
    folder = tmp_path / "policy"
    folder.mkdir()
    (folder / source.name).write_text(yaml.safe_dump(raw), encoding="utf-8")
    return folder


def test_with_the_setting_on_short_pain_sends_the_request_to_the_unit(
    scenario: Scenario, tmp_path: Path
) -> None:
    s = scenario
    settings = Settings(
        database_url=s.world.url, today=TODAY, policy_dir=_policy_counting_answers(tmp_path)
    )
    with TestClient(create_app(settings)) as client:
        s.client = client
        short = with_answers(
            samples.response(months=1),
            requester=s.npis["doc_a"],
            performer=s.npis["pt"],
            identifier="D-1",
        )
        answer = pas.submit(s, short, "staff")
        assert pas.actions(answer) == ["A4"]
        assert pas.notes(answer) == ["DOCUMENTATION_NOT_CHRONIC"]
        long = with_answers(
            samples.response(months=14),
            requester=s.npis["doc_b"],
            performer=s.npis["chiro"],
            items=[("98940", 4, "2026-03-10")],
            identifier="D-2",
        )
        assert pas.actions(pas.submit(s, long, "staff")) == ["A1"]
