"""PAS `Claim/$submit`: each outcome (A1, A3, A4, A6), both steps, and who may send what."""

from __future__ import annotations

from tests.api.conftest import Scenario
from tests.interop.fhir import pas


def test_a_physicians_claim_is_step_1_and_waits_for_the_performer(scenario: Scenario) -> None:
    s = scenario
    bundle = pas.request(requester=s.npis["doc_a"], performer=s.npis["pt"])
    answer = pas.submit(s, bundle, "doc_a")
    response = pas.claim_response(answer)
    assert pas.actions(answer) == ["A4"]
    precert = s.get(response["preAuthRef"]).json()
    assert precert["status"] == "awaiting_provider"
    assert precert["prescriber_npi"] == s.npis["doc_a"]
    assert precert["therapy"] == "physical_therapy"
    assert precert["diagnosis_codes"] == ["M54.50"]
    assert precert["plan_of_care_date"] == "2026-03-01"
    assert response["outcome"] == "complete"
    item = response["item"][0]
    assert {"url": pas.PAS + "extension-administrationReferenceNumber",
            "valueString": precert["id"]} in item["extension"]
    # The request's resources come back with the same fullUrls.
    assert [e["fullUrl"] for e in answer["entry"][1:]] == [e["fullUrl"] for e in bundle["entry"]]
    assert answer["identifier"] == bundle["identifier"]


def test_the_performers_claim_update_completes_step_1_and_is_certified(
    scenario: Scenario,
) -> None:
    s = scenario
    first = pas.submit(s, pas.request(requester=s.npis["doc_a"]), "doc_a")
    precert_id = pas.claim_response(first)["preAuthRef"]
    update = pas.request(
        requester=s.npis["pt"],
        physician=s.npis["doc_a"],
        identifier="TRN-0002",
        prior="TRN-0001",
        items=[("97110", 8, "2026-03-10"), ("97530", 4, "2026-03-10")],
    )
    answer = pas.submit(s, update, "pt")
    response = pas.claim_response(answer)
    assert response["preAuthRef"] == precert_id
    assert pas.actions(answer) == ["A1", "A1"]
    assert response["preAuthPeriod"] == {"start": "2026-03-10", "end": "2027-03-09"}
    precert = s.get(precert_id).json()
    assert precert["status"] == "approved"
    assert precert["approved_units"] == 12
    assert precert["provider_npi"] == s.npis["pt"]
