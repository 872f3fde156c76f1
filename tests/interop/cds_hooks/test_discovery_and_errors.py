"""Discovery, the other two hooks, and errors as CDS Hooks says (an OperationOutcome)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from httpx import Response

from tests.interop.cds_hooks.conftest import (
    CPT,
    Crd,
    coverage_info,
    hook_request,
    service_request,
    value,
)


def test_discovery_is_public_and_lists_the_three_services(client: TestClient) -> None:
    r = client.get("/cds-services")
    assert r.status_code == 200
    services = {s["hook"]: s for s in r.json()["services"]}
    assert set(services) == {"order-sign", "order-select", "appointment-book"}
    for hook, service in services.items():
        assert service["id"] == f"{hook}-crd"
        assert service["title"] and service["description"]
        assert service["prefetch"]["patient"] == "Patient/{{context.patientId}}"
        assert service["prefetch"]["coverage"] == (
            "Coverage?patient={{context.patientId}}&status=active"
        )


def test_order_select_answers_the_selected_orders_only(crd: Crd) -> None:
    orders = [service_request("a"), service_request("b", cpt="97810")]
    body = hook_request("order-select", orders, selections=["ServiceRequest/b"])
    answer = crd.answer(body, "order-select-crd")
    assert [a["resource"]["id"] for a in answer["systemActions"]] == ["b"]


def appointment(**extra: Any) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Appointment",
        "id": "appt-1",
        "status": "proposed",
        "start": "2026-04-01T09:00:00-05:00",
        "end": "2026-04-01T10:00:00-05:00",
        "participant": [{"actor": {"reference": "Patient/pat-1"}, "status": "accepted"}],
    }
    resource.update(extra)
    return resource


def test_appointment_book_reads_the_cpt_code_of_the_service_type(crd: Crd) -> None:
    booked = appointment(serviceType=[{"coding": [{"system": CPT, "code": "98940"}]}])
    answer = crd.answer(hook_request("appointment-book", [booked]), "appointment-book-crd")
    (card,) = answer["cards"]
    assert card["summary"] == "Pre-certification required - 120 of 120 units left in 2026"
    assert "on 2026-04-01" in card["detail"]
    (action,) = answer["systemActions"]
    assert action["resource"]["resourceType"] == "Appointment"
    assert value(coverage_info(action), "covered") == "conditional"  # no diagnosis named


def test_appointment_book_reads_the_order_it_is_based_on(crd: Crd) -> None:
    booked = appointment(basedOn=[{"reference": "ServiceRequest/sr-9"}])
    body = hook_request("appointment-book", [booked])
    body["prefetch"]["serviceRequests"] = {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [{"resource": service_request("sr-9", diagnoses=["Z00.00"])}],
    }
    answer = crd.answer(body, "appointment-book-crd")
    (action,) = answer["systemActions"]
    assert value(coverage_info(action), "covered") == "not-covered"
    assert answer["cards"][0]["summary"].startswith("Not covered for these diagnoses")


def outcome(r: Response, status: int) -> list[dict[str, Any]]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/fhir+json")
    body = r.json()
    assert body["resourceType"] == "OperationOutcome"
    assert body["issue"]
    issues: list[dict[str, Any]] = body["issue"]
    return issues


def test_no_token_is_a_401_with_an_operation_outcome(crd: Crd) -> None:
    r = crd.call(hook_request(), headers={})
    (issue,) = outcome(r, 401)
    assert issue["code"] == "login"
    assert r.headers["www-authenticate"] == "Bearer"


def test_an_admin_token_is_a_403(crd: Crd) -> None:
    (issue,) = outcome(crd.call(hook_request(), headers=crd.world.user("admin")), 403)
    assert issue["code"] == "forbidden"


def test_unknown_service_is_a_404(crd: Crd) -> None:
    outcome(crd.call(hook_request(), "patient-view-crd"), 404)


def test_a_body_that_is_not_json_is_a_400(crd: Crd) -> None:
    r = crd.client.post("/cds-services/order-sign-crd", content=b"{not json", headers=crd.doc)
    (issue,) = outcome(r, 400)
    assert "not valid JSON" in issue["diagnostics"]


def test_every_problem_of_a_malformed_request_is_named_where_it_is(crd: Crd) -> None:
    body = hook_request("order-select")
    del body["hookInstance"]
    del body["context"]["patientId"]
    body["context"]["draftOrders"]["entry"][0]["resource"]["occurrenceDateTime"] = "2026-13-40"
    del body["context"]["draftOrders"]["entry"][0]["resource"]["subject"]
    issues = outcome(crd.call(body), 400)
    where = {i["expression"][0] for i in issues}
    assert where == {
        "hook",
        "hookInstance",
        "context.patientId",
        "context.draftOrders.entry[0].resource.occurrenceDateTime",
        "context.draftOrders.entry[0].resource.subject",
    }
    hook = next(i for i in issues if i["expression"] == ["hook"])
    assert "order-sign-crd answers 'order-sign'" in hook["diagnostics"]


def test_missing_context_or_orders_is_a_400(crd: Crd) -> None:
    body = hook_request()
    del body["context"]
    (issue,) = outcome(crd.call(body), 400)
    assert issue["expression"] == ["context"]
    body = hook_request()
    del body["context"]["draftOrders"]
    (issue,) = outcome(crd.call(body), 400)
    assert issue["expression"] == ["context.draftOrders"]
    select = hook_request("order-select")
    (issue,) = outcome(crd.call(select, "order-select-crd"), 400)
    assert issue["expression"] == ["context.selections"]


def test_a_coverage_prefetch_of_the_wrong_kind_is_a_400(crd: Crd) -> None:
    body = hook_request()
    body["prefetch"]["coverage"] = {"resourceType": "Patient", "id": "x"}
    (issue,) = outcome(crd.call(body), 400)
    assert issue["expression"] == ["prefetch.coverage"]


def test_no_coverage_prefetch_and_no_member_id_is_a_412(crd: Crd) -> None:
    body = hook_request(prefetch={"patient": {"resourceType": "Patient", "id": "pat-1"}})
    (issue,) = outcome(crd.call(body), 412)
    assert issue["expression"] == ["prefetch.coverage"]
    assert "does not query" in issue["diagnostics"]
    failed = hook_request(prefetch={"coverage": {"resourceType": "OperationOutcome"}})
    outcome(crd.call(failed), 412)


def test_no_prefetch_is_fine_when_no_order_is_the_programs(crd: Crd) -> None:
    body = hook_request(orders=[service_request(cpt="77065")], prefetch={})
    assert crd.answer(body) == {"cards": [], "systemActions": []}


def test_resources_the_fhir_library_itself_refuses_are_a_400(crd: Crd) -> None:
    # fhir.resources raises KeyError for an unknown resourceType and AttributeError for a
    # number where a URL belongs: both are the caller's mistakes, named where they are.
    odd = {**service_request("a"), "contained": [{"resourceType": "NoSuchResource"}]}
    (issue,) = outcome(crd.call(hook_request("order-sign", [odd])), 400)
    assert issue["expression"] == ["context.draftOrders"]
    url = {**service_request("b"), "instantiatesUri": [3]}
    outcome(crd.call(hook_request("order-sign", [url])), 400)
