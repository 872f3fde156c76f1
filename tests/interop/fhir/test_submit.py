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
    assert {
        "url": pas.PAS + "extension-administrationReferenceNumber",
        "valueString": precert["id"],
    } in item["extension"]
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


def test_staff_send_both_steps_at_once_and_the_items_are_certified(scenario: Scenario) -> None:
    s = scenario
    bundle = pas.request(
        requester=s.npis["doc_a"], physician=s.npis["doc_a"], performer=s.npis["pt"]
    )
    answer = pas.submit(s, bundle, "staff")
    assert pas.actions(answer) == ["A1"]
    response = pas.claim_response(answer)
    item = response["item"][0]
    period = next(e for e in item["extension"] if e["url"].endswith("itemPreAuthPeriod"))
    assert period["valuePeriod"] == {"start": "2026-03-10", "end": "2027-03-09"}
    review = item["adjudication"][0]["extension"][0]["extension"]
    assert {"url": "number", "valueString": response["preAuthRef"]} in review
    precert = s.get(response["preAuthRef"]).json()
    assert precert["status"] == "approved" and precert["approved_units"] == 8
    assert [e["action"] for e in precert["history"]] == ["referral", "completion"]


def test_a_diagnosis_not_on_the_list_is_not_certified_with_our_reason_beside_x12s(
    scenario: Scenario,
) -> None:
    s = scenario
    bundle = pas.request(requester=s.npis["doc_a"], diagnoses=("J45.909",))
    answer = pas.submit(s, bundle, "doc_a")
    assert pas.actions(answer) == ["A3"]
    assert pas.notes(answer) == ["DIAGNOSIS_NOT_APPROVED"]
    response = pas.claim_response(answer)
    assert response["item"][0]["noteNumber"] == [1]
    assert "J45.909" in response["processNote"][0]["text"]
    assert s.get(response["preAuthRef"]).json()["status"] == "denied"


def test_fewer_units_than_asked_are_a6_with_what_was_authorized_in_add_item(
    scenario: Scenario,
) -> None:
    s = scenario
    s.approved("chiropractic", units=100)  # 20 of the 120 units of 2026 are left
    bundle = pas.request(
        requester=s.npis["doc_a"],
        physician=s.npis["doc_a"],
        performer=s.npis["pt"],
        items=[("97110", 8, "2026-03-10"), ("97530", 16, "2026-03-10")],
    )
    answer = pas.submit(s, bundle, "staff")
    assert pas.actions(answer) == ["A1", "A6"]
    response = pas.claim_response(answer)
    [added] = response["addItem"]
    assert added["itemSequence"] == [2]
    assert added["quantity"]["value"] == 12
    assert added["productOrService"]["coding"][0]["code"] == "97530"
    assert "UNITS_REDUCED_TO_LIMIT" in pas.notes(answer)
    precert = s.get(response["preAuthRef"]).json()
    assert precert["status"] == "partially_approved" and precert["approved_units"] == 20


def test_an_overlapping_approval_pends_the_request_as_a4(scenario: Scenario) -> None:
    s = scenario
    s.approved("physical_therapy", units=10)
    bundle = pas.request(
        requester=s.npis["doc_b"], physician=s.npis["doc_b"], performer=s.npis["pt2"]
    )
    answer = pas.submit(s, bundle, "staff")
    assert pas.actions(answer) == ["A4"]
    assert pas.notes(answer) == ["DUPLICATE_AUTHORIZATION"]
    response = pas.claim_response(answer)
    assert s.get(response["preAuthRef"]).json()["status"] == "pended"
    assert response["outcome"] == "complete"


def test_the_performer_completes_by_a_new_claim_naming_the_physician(scenario: Scenario) -> None:
    s = scenario
    started = s.start()
    bundle = pas.request(requester=s.npis["pt"], physician=s.npis["doc_a"], identifier="T-9")
    answer = pas.submit(s, bundle, "pt")
    assert pas.claim_response(answer)["preAuthRef"] == started["id"]
    assert pas.actions(answer) == ["A1"]


def test_a_claim_update_may_name_our_pre_certification_id(scenario: Scenario) -> None:
    s = scenario
    started = s.start()
    bundle = pas.request(requester=s.npis["pt"], prior=started["id"], identifier="T-10")
    answer = pas.submit(s, bundle, "pt")
    assert pas.claim_response(answer)["preAuthRef"] == started["id"]
    assert s.get(started["id"]).json()["status"] == "approved"


def test_a_provider_without_an_open_step_1_is_told_so_at_the_claim(scenario: Scenario) -> None:
    s = scenario
    bundle = pas.request(requester=s.npis["pt"], physician=s.npis["doc_a"])
    r = pas.post(s, "/fhir/Claim/$submit", bundle, "pt")
    assert r.status_code == 422
    [issue] = pas.issues(r)
    assert issue["expression"] == ["Bundle.entry[0].resource.related"]
    assert "step 1" in issue["diagnostics"]
    assert s.find()["total"] == 0


def test_a_physicians_token_cannot_name_another_physician(scenario: Scenario) -> None:
    s = scenario
    bundle = pas.request(requester=s.npis["doc_b"])
    r = pas.post(s, "/fhir/Claim/$submit", bundle, "doc_a")
    assert r.status_code == 403
    [issue] = pas.issues(r)
    assert issue["code"] == "forbidden"
    assert s.find()["total"] == 0


def test_a_physician_cannot_complete_a_request(scenario: Scenario) -> None:
    s = scenario
    started = s.start()
    bundle = pas.request(requester=s.npis["doc_a"], prior=started["id"])
    r = pas.post(s, "/fhir/Claim/$submit", bundle, "doc_a")
    assert r.status_code == 422
    assert pas.issues(r)[0]["expression"] == ["Bundle.entry[0].resource.related"]
    assert s.get(started["id"]).json()["status"] == "awaiting_provider"


def test_an_unknown_member_and_a_contradicting_birth_date_are_named(scenario: Scenario) -> None:
    s = scenario
    r = pas.post(
        s,
        "/fhir/Claim/$submit",
        pas.request(requester=s.npis["doc_a"], member="19999999"),
        "doc_a",
    )
    assert r.status_code == 422
    [issue] = pas.issues(r)
    assert issue["expression"] == ["Bundle.entry[2].resource.identifier[0].value"]
    assert "19999999" in issue["diagnostics"]
    r = pas.post(
        s,
        "/fhir/Claim/$submit",
        pas.request(requester=s.npis["doc_a"], birth_date="1981-01-01"),
        "doc_a",
    )
    assert r.status_code == 422
    [issue] = pas.issues(r)
    assert issue["expression"] == ["Bundle.entry[1].resource.birthDate"]
    assert "1981-01-01" in issue["diagnostics"] and "1980" not in issue["diagnostics"]
    assert s.find()["total"] == 0


def test_a_request_wrapped_in_parameters_is_taken(scenario: Scenario) -> None:
    s = scenario
    bundle = pas.request(requester=s.npis["doc_a"])
    wrapped = {"resourceType": "Parameters", "parameter": [{"name": "bundle", "resource": bundle}]}
    answer = pas.submit(s, wrapped, "doc_a")
    assert pas.actions(answer) == ["A4"]


def test_without_a_token_the_answer_is_one_operation_outcome(scenario: Scenario) -> None:
    s = scenario
    r = pas.post(s, "/fhir/Claim/$submit", pas.request(requester=s.npis["doc_a"]), None)
    assert r.status_code == 401
    assert [i["code"] for i in pas.issues(r)] == ["login"]


def test_a_request_sent_again_is_answered_again_not_decided_twice(scenario: Scenario) -> None:
    s = scenario
    bundle = pas.request(requester=s.npis["doc_a"])
    first = pas.claim_response(pas.submit(s, bundle, "doc_a"))
    again = pas.claim_response(pas.submit(s, bundle, "doc_a"))
    assert again["preAuthRef"] == first["preAuthRef"]
    assert s.find()["total"] == 1
    changed = pas.request(requester=s.npis["doc_a"], diagnoses=("M54.6",))
    r = pas.post(s, "/fhir/Claim/$submit", changed, "doc_a")
    assert r.status_code == 422
    [issue] = pas.issues(r)
    assert issue["code"] == "duplicate"
    assert issue["expression"] == ["Bundle.entry[0].resource.identifier"]
    assert s.find()["total"] == 1
