"""CRD order-sign: one answer per situation a clinician meets, each said plainly."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient

from precert.interop.dtr import QUESTIONNAIRE_URL, QUESTIONNAIRE_VERSION
from tests.conftest import World
from tests.interop.cds_hooks.conftest import (
    Crd,
    coverage_info,
    hook_request,
    service_request,
    value,
)


def only(answer: dict) -> tuple[dict, dict]:
    """Return the one card and the coverage information of the one system action."""
    assert len(answer["cards"]) == 1, answer
    assert len(answer["systemActions"]) == 1, answer
    return answer["cards"][0], coverage_info(answer["systemActions"][0])


def test_pre_certification_required_with_the_units_left_in_the_year(crd: Crd) -> None:
    crd.approve(units=36, therapy="acupuncture")
    card, info = only(crd.answer(hook_request(orders=[service_request(cpt="97110")])))
    assert card["summary"] == "Pre-certification required - 84 of 120 units left in 2026"
    assert card["indicator"] == "warning"
    assert card["source"]["label"] == "MO HealthNet"
    assert value(info, "covered") == "covered"
    assert value(info, "pa-needed") == "auth-needed"
    assert value(info, "doc-needed") == "clinical"
    assert value(info, "questionnaire") == f"{QUESTIONNAIRE_URL}|{QUESTIONNAIRE_VERSION}"
    assert value(info, "billingCode") == {
        "system": "http://www.ama-assn.org/go/cpt",
        "code": "97110",
    }
    assert value(info, "coverage") == {"reference": "http://ehr.example.org/fhir/Coverage/cov-1"}
    assert value(info, "date") == "2026-03-02"
    assert "satisfied-pa-id" not in info
    (detail,) = info["detail"]
    quantity = {p["url"]: p for p in detail["extension"]}
    assert quantity["code"]["valueCodeableConcept"]["coding"][0]["code"] == "allowed-quantity"
    assert quantity["value"]["valueQuantity"]["value"] == 84
    assert "2026-01-01 to 2026-12-31" in quantity["qualification"]["valueString"]


def test_the_system_action_returns_the_order_as_sent_with_the_extension(crd: Crd) -> None:
    order = service_request("sr-42")
    action = crd.answer(hook_request(orders=[order]))["systemActions"][0]
    assert action["type"] == "update"
    resource = action["resource"]
    assert {k: v for k, v in resource.items() if k != "extension"} == order
    assert action["description"].endswith("ServiceRequest/sr-42.")


def test_an_approved_pre_certification_satisfies_the_order(crd: Crd) -> None:
    precert = crd.approve(units=30, start="2026-03-01")
    card, info = only(crd.answer(hook_request(orders=[service_request(on="2026-06-15")])))
    assert card["summary"] == (
        f"Covered by approved pre-certification {precert['id']} - 30 of 30 units left on it"
    )
    assert card["indicator"] == "info"
    assert "2026-03-01 to 2027-02-28" in card["detail"]
    assert value(info, "covered") == "covered"
    assert value(info, "pa-needed") == "satisfied"
    assert value(info, "satisfied-pa-id") == precert["id"]
    assert "doc-needed" not in info and "questionnaire" not in info


def test_a_pre_certification_of_another_therapy_does_not_satisfy(crd: Crd) -> None:
    crd.approve(units=30, therapy="acupuncture")
    _, info = only(crd.answer(hook_request(orders=[service_request(cpt="97110")])))
    assert value(info, "pa-needed") == "auth-needed"


def test_an_order_after_the_approved_period_needs_a_new_one(crd: Crd) -> None:
    crd.approve(units=30, start="2026-03-01")
    card, info = only(crd.answer(hook_request(orders=[service_request(on="2027-03-01")])))
    assert value(info, "pa-needed") == "auth-needed"
    assert card["summary"] == "Pre-certification required - 120 of 120 units left in 2027"


def test_diagnosis_not_approved_is_not_covered(crd: Crd) -> None:
    order = service_request(diagnoses=["Z00.00", "R51.9"])
    card, info = only(crd.answer(hook_request(orders=[order])))
    assert card["summary"] == (
        "Not covered for these diagnoses - none is on the approved chronic-pain list"
    )
    assert "None of the diagnoses (Z00.00, R51.9) is on the approved list" in card["detail"]
    assert value(info, "covered") == "not-covered"
    assert "pa-needed" not in info
    reason = info["reason"][0]["valueCodeableConcept"]
    assert reason["coding"][0]["code"] == "DIAGNOSIS_NOT_APPROVED"


def test_an_order_naming_no_diagnosis_is_conditional(crd: Crd) -> None:
    card, info = only(crd.answer(hook_request(orders=[service_request(diagnoses=())])))
    assert value(info, "covered") == "conditional"
    assert value(info, "pa-needed") == "auth-needed"
    assert card["summary"].startswith("Pre-certification required")
    assert "names no diagnosis" in card["detail"]


def test_participant_under_21_on_the_order_date_is_not_covered(
    world: World, client: TestClient
) -> None:
    crd = Crd(world, client)
    world.participant("10000002", birth_date=date(2005, 6, 1))
    body = hook_request(orders=[service_request(on="2026-03-10")], member="10000002")
    card, info = only(crd.answer(body))
    assert card["summary"] == "Not covered - the participant is under 21 on 2026-03-10"
    assert "they turn 21 on 2026-06-01" in card["detail"]
    assert value(info, "covered") == "not-covered"
    assert "pa-needed" not in info
    after = hook_request(orders=[service_request(on="2026-06-01")], member="10000002")
    assert value(only(crd.answer(after))[1], "covered") == "covered"


def test_annual_limit_exhausted_is_not_covered(crd: Crd) -> None:
    crd.approve(units=120, therapy="acupuncture", start="2026-01-05")
    card, info = only(crd.answer(hook_request(orders=[service_request(cpt="97110")])))
    assert card["summary"] == "Not covered - all 120 units of 2026 are already authorized"
    assert value(info, "covered") == "not-covered"
    assert "pa-needed" not in info
    (detail,) = info["detail"]
    assert detail["extension"][1]["valueQuantity"]["value"] == 0
    next_year = hook_request(orders=[service_request(cpt="97110", on="2027-01-04")])
    assert only(crd.answer(next_year))[0]["summary"].endswith("120 of 120 units left in 2027")


def test_fewer_units_left_than_ordered_says_how_many_can_be_authorized(crd: Crd) -> None:
    crd.approve(units=100, therapy="acupuncture")
    card, info = only(crd.answer(hook_request(orders=[service_request(units=30)])))
    assert card["summary"] == "Pre-certification required - 20 of 120 units left in 2026"
    assert "30 units were requested but only 20 of the 120-unit annual limit" in card["detail"]
    assert value(info, "pa-needed") == "auth-needed"


def test_participant_not_eligible_on_the_order_date_is_not_covered(
    world: World, client: TestClient
) -> None:
    crd = Crd(world, client)
    world.participant("10000003", spans=((date(2020, 1, 1), date(2025, 12, 31)),))
    card, info = only(crd.answer(hook_request(member="10000003")))
    assert card["summary"] == "Not covered - no MO HealthNet eligibility on 2026-03-10"
    assert value(info, "covered") == "not-covered"


def test_unknown_member_id_gets_a_card_and_no_coverage_information(crd: Crd) -> None:
    answer = crd.answer(hook_request(member="99999999"))
    assert answer["systemActions"] == []
    (card,) = answer["cards"]
    assert card["summary"] == (
        "MO HealthNet has no participant with member ID 99999999 - coverage not checked"
    )
    assert card["indicator"] == "warning"


def test_no_member_id_anywhere_gets_a_card(crd: Crd) -> None:
    answer = crd.answer(hook_request(member=None))
    assert answer["systemActions"] == []
    assert answer["cards"][0]["summary"].startswith("No MO HealthNet member ID")


def test_member_id_from_subscriber_id_or_the_patient(crd: Crd) -> None:
    by_subscriber = hook_request(member=None)
    by_subscriber["prefetch"]["coverage"]["entry"][0]["resource"]["subscriberId"] = "10000001"
    assert len(crd.answer(by_subscriber)["systemActions"]) == 1
    by_patient = hook_request(member=None)
    by_patient["prefetch"]["coverage"] = None  # the client has no coverage on file
    by_patient["prefetch"]["patient"]["identifier"] = [
        {"type": {"coding": [{"code": "MB"}]}, "system": "urn:mo", "value": "10000001"}
    ]
    _, info = only(crd.answer(by_patient))
    assert value(info, "coverage")["identifier"]["value"] == "10000001"


def test_an_order_with_no_program_code_gets_no_answer(crd: Crd) -> None:
    answer = crd.answer(hook_request(orders=[service_request(cpt="77065")]))
    assert answer == {"cards": [], "systemActions": []}


def test_each_order_gets_its_own_answer_and_assertion_id(crd: Crd) -> None:
    orders = [
        service_request("a", cpt="97110"),
        service_request("b", cpt="77065"),
        service_request("c", cpt="97810", diagnoses=["Z00.00"]),
    ]
    answer = crd.answer(hook_request(orders=orders))
    refs = [a["resource"]["id"] for a in answer["systemActions"]]
    assert refs == ["a", "c"]
    ids = {value(coverage_info(a), "coverage-assertion-id") for a in answer["systemActions"]}
    assert len(ids) == 2
    associated = [c["extension"]["davinci-crd.associated-resource"] for c in answer["cards"]]
    assert associated == [[{"reference": "ServiceRequest/a"}], [{"reference": "ServiceRequest/c"}]]


def test_an_order_with_no_date_is_assessed_today(crd: Crd) -> None:
    card, _ = only(crd.answer(hook_request(orders=[service_request(on=None)])))
    assert "on 2026-03-02" in card["detail"]


def test_a_provider_and_staff_may_call_too(crd: Crd) -> None:
    provider = crd.world.user("provider", crd.performers["physical_therapy"][0])
    for headers in (provider, crd.staff):
        r = crd.call(hook_request(), headers=headers)
        assert r.status_code == 200, r.text
