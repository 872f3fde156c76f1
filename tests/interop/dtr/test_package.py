"""POST /fhir/Questionnaire/$questionnaire-package: the package for our canonical, for an input
like the official example, warnings for what we do not have, and one OperationOutcome for
every mistake."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.parameters import Parameters

from precert.interop.dtr import QUESTIONNAIRE_URL, QUESTIONNAIRE_VERSION
from precert.interop.dtr.questionnaire import questionnaire
from tests.conftest import World
from tests.interop.dtr.samples import CANONICAL, asking_for, package_input, service_request
from tests.interop.profiles import Checker
from tests.interop.standards import example, structure_definition

PATH = "/fhir/Questionnaire/$questionnaire-package"
DTR = "http://hl7.org/fhir/us/davinci-dtr/StructureDefinition/"


def post(client: TestClient, headers: dict[str, str], body: Any) -> Any:
    if isinstance(body, (dict, list)):
        return client.post(PATH, json=body, headers=headers)
    return client.post(
        PATH, content=body, headers={**headers, "Content-Type": "application/fhir+json"}
    )


def bundles_of(answer: Any) -> list[dict[str, Any]]:
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/fhir+json")
    body = answer.json()
    Parameters.model_validate(body)
    return [p["resource"] for p in body["parameter"] if p["name"] == "PackageBundle"]


def outcome_of(answer: Any) -> list[dict[str, Any]]:
    body = answer.json()
    if body["resourceType"] == "OperationOutcome":
        issues: list[dict[str, Any]] = body["issue"]
        return issues
    found = [p["resource"] for p in body["parameter"] if p["name"] == "operationOutcome"]
    return [i for o in found for i in o["issue"]]


def error_outcome(answer: Any, status: int) -> list[dict[str, Any]]:
    """Assert `answer` is one OperationOutcome with `status`; return its issues."""
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/fhir+json")
    body = answer.json()
    assert body["resourceType"] == "OperationOutcome"
    OperationOutcome.model_validate(body)
    issues: list[dict[str, Any]] = body["issue"]
    assert issues and all(i["severity"] == "error" for i in issues)
    return issues


@pytest.fixture
def physician(world: World) -> dict[str, str]:
    return world.user("physician", world.provider(1, "physician"))


@pytest.mark.parametrize("canonical", [CANONICAL, QUESTIONNAIRE_URL])
def test_package_for_our_canonical_holds_the_questionnaire_first(
    client: TestClient, physician: dict[str, str], canonical: str
) -> None:
    answer = post(client, physician, package_input(asking_for(canonical)))

    [bundle] = bundles_of(answer)
    Bundle.model_validate(bundle)
    assert bundle["type"] == "collection"
    assert bundle["identifier"]["value"].startswith("urn:uuid:")
    assert [e["resource"]["resourceType"] for e in bundle["entry"]] == ["Questionnaire"]
    first = bundle["entry"][0]
    assert first["fullUrl"] == QUESTIONNAIRE_URL
    assert first["resource"] == questionnaire()
    assert (first["resource"]["url"], first["resource"]["version"]) == (
        QUESTIONNAIRE_URL,
        QUESTIONNAIRE_VERSION,
    )
    assert outcome_of(answer) == []


def test_package_answer_conforms_to_the_output_and_bundle_profiles(
    client: TestClient, physician: dict[str, str]
) -> None:
    body = post(client, physician, package_input(asking_for(CANONICAL))).json()

    assert (
        Checker(structure_definition("dtr", DTR + "dtr-qpackage-output-parameters")).problems(body)
        == []
    )
    bundle = body["parameter"][0]["resource"]
    assert Checker(structure_definition("dtr", DTR + "DTR-QPackageBundle")).problems(bundle) == []
    std = Checker(structure_definition("dtr", DTR + "dtr-std-questionnaire"))
    assert std.problems(bundle["entry"][0]["resource"]) == []


def test_our_input_conforms_to_the_input_profile() -> None:
    checker = Checker(structure_definition("dtr", DTR + "dtr-qpackage-input-parameters"))

    assert checker.problems(package_input(asking_for(CANONICAL))) == []
    assert (
        checker.problems(example("dtr/Parameters-QuestionnairePackageInputParamsExample.json"))
        == []
    )


def test_official_example_input_gets_our_package_with_a_warning_about_its_order(
    client: TestClient, physician: dict[str, str]
) -> None:
    official = example("dtr/Parameters-QuestionnairePackageInputParamsExample.json")

    answer = post(client, physician, official)

    [bundle] = bundles_of(answer)
    assert bundle["entry"][0]["resource"]["url"] == QUESTIONNAIRE_URL
    [issue] = outcome_of(answer)
    assert issue["severity"] == "warning"
    assert issue["expression"] == ["Parameters.parameter[1].resource.code"]
    assert "no CPT code of the chronic-pain therapies program" in issue["diagnostics"]


def test_order_for_a_program_therapy_gets_the_package_without_warnings(
    client: TestClient, physician: dict[str, str]
) -> None:
    body = package_input({"name": "order", "resource": service_request("97110")})

    answer = post(client, physician, body)

    assert len(bundles_of(answer)) == 1
    assert outcome_of(answer) == []


def test_crd_context_alone_gets_the_package(client: TestClient, physician: dict[str, str]) -> None:
    answer = post(client, physician, package_input({"name": "context", "valueString": "crd-123"}))

    assert len(bundles_of(answer)) == 1


def test_unknown_canonical_beside_ours_is_a_warning_and_ours_is_returned_once(
    client: TestClient, physician: dict[str, str]
) -> None:
    body = package_input(
        asking_for("http://example.org/Questionnaire/other|2"),
        asking_for(CANONICAL),
        asking_for(QUESTIONNAIRE_URL),
    )

    answer = post(client, physician, body)

    [bundle] = bundles_of(answer)
    assert len(bundle["entry"]) == 1
    [issue] = outcome_of(answer)
    assert (issue["severity"], issue["code"]) == ("warning", "not-found")
    assert issue["expression"] == ["Parameters.parameter[1].valueCanonical"]
    assert "http://example.org/Questionnaire/other|2" in issue["diagnostics"]


@pytest.mark.parametrize(
    "canonical",
    ["http://example.org/Questionnaire/other", f"{QUESTIONNAIRE_URL}|0.9.0"],
    ids=["another-questionnaire", "another-version-of-ours"],
)
def test_only_unknown_canonicals_get_404_naming_them(
    client: TestClient, physician: dict[str, str], canonical: str
) -> None:
    answer = post(client, physician, package_input(asking_for(canonical)))

    [issue] = error_outcome(answer, 404)
    assert issue["code"] == "not-found"
    assert canonical in issue["diagnostics"]
    assert issue["expression"] == ["Parameters.parameter[1].valueCanonical"]


def test_changedsince_after_the_last_change_returns_no_package(
    client: TestClient, physician: dict[str, str]
) -> None:
    later = {"name": "changedsince", "valueInstant": "2026-03-02T00:00:00Z"}
    earlier = {"name": "changedsince", "valueInstant": "2026-02-01T00:00:00Z"}

    unchanged = post(client, physician, package_input(asking_for(CANONICAL), later))
    changed = post(client, physician, package_input(asking_for(CANONICAL), earlier))

    assert bundles_of(unchanged) == []
    assert "has not changed since" in outcome_of(unchanged)[0]["diagnostics"]
    assert len(bundles_of(changed)) == 1


BAD_INPUT = [
    pytest.param(b"{not json", None, "not valid JSON", id="not-json"),
    pytest.param(b"", None, "empty", id="empty"),
    pytest.param(b"[1, 2]", None, "JSON object", id="json-array"),
    pytest.param(
        {"resourceType": "Bundle", "type": "collection"}, "Bundle", "got Bundle", id="bundle"
    ),
    pytest.param({"parameter": []}, None, "no resourceType", id="no-resource-type"),
    pytest.param(
        {
            "resourceType": "Parameters",
            "parameter": [{"name": "questionnaire", "valueCanonical": CANONICAL}],
        },
        "Parameters.parameter",
        "At least one coverage",
        id="no-coverage",
    ),
    pytest.param(
        package_input(),
        "Parameters.parameter",
        "at least one of them",
        id="nothing-asked",
    ),
    pytest.param(
        package_input({"name": "questionnaire", "valueString": CANONICAL}),
        "Parameters.parameter[1].valueCanonical",
        "valueCanonical",
        id="canonical-as-string",
    ),
    pytest.param(
        package_input({"name": "questionnaire", "valueCanonical": 5}),
        "Parameters.parameter[1].valueCanonical",
        "valid string",
        id="canonical-not-a-string",
    ),
    pytest.param(
        {
            "resourceType": "Parameters",
            "parameter": [
                {"name": "coverage", "resource": service_request()},
                asking_for(CANONICAL),
            ],
        },
        "Parameters.parameter[0].resource",
        "Coverage resource; got ServiceRequest",
        id="coverage-not-a-coverage",
    ),
    pytest.param(
        package_input({"name": "order", "resource": {"resourceType": "Patient"}}),
        "Parameters.parameter[1].resource",
        "got Patient",
        id="order-a-patient",
    ),
    pytest.param(
        package_input({"name": "order", "resource": {"resourceType": "Nonsense"}}),
        "Parameters.parameter[1].resource",
        "not a FHIR R4 resource type",
        id="unknown-resource-type",
    ),
    pytest.param(
        {
            "resourceType": "Parameters",
            "parameter": [
                {"name": "coverage", "resource": {"resourceType": "Coverage", "status": "active"}},
                asking_for(CANONICAL),
            ],
        },
        "Parameters.parameter[0].resource.beneficiary",
        "required",
        id="coverage-missing-beneficiary",
    ),
    pytest.param(
        package_input(asking_for(CANONICAL), {"name": "changedsince", "valueInstant": "yesterday"}),
        "Parameters.parameter[2].valueInstant",
        None,
        id="changedsince-not-an-instant",
    ),
]


@pytest.mark.parametrize(("body", "where", "says"), BAD_INPUT)
def test_bad_input_is_400_with_one_operation_outcome_naming_the_place(
    client: TestClient, physician: dict[str, str], body: Any, where: str | None, says: str | None
) -> None:
    answer = post(client, physician, body)

    issues = error_outcome(answer, 400)
    if where is not None:
        assert where in [e for i in issues for e in i.get("expression", [])], issues
    if says is not None:
        assert any(says in i["diagnostics"] for i in issues), issues


def test_not_json_names_the_line_and_column(client: TestClient, physician: dict[str, str]) -> None:
    answer = post(client, physician, b'{\n  "resourceType": "Parameters",\n  oops\n}')

    [issue] = error_outcome(answer, 400)
    assert issue["location"] == ["line 3, column 3"]


def test_without_a_token_is_401_operation_outcome(client: TestClient, world: World) -> None:
    answer = client.post(PATH, json=package_input(asking_for(CANONICAL)))

    [issue] = error_outcome(answer, 401)
    assert issue["code"] == "login"


@pytest.mark.parametrize("role", ["admin", "claims_system"])
def test_roles_outside_the_clinic_are_refused(client: TestClient, world: World, role: str) -> None:
    answer = post(client, world.user(role), package_input(asking_for(CANONICAL)))

    [issue] = error_outcome(answer, 403)
    assert issue["code"] == "forbidden"


@pytest.mark.parametrize(
    ("role", "provider_type"), [("provider", "physical_therapist"), ("staff", None)]
)
def test_providers_and_staff_get_the_package(
    client: TestClient, world: World, role: str, provider_type: str | None
) -> None:
    own = world.provider(11, provider_type) if provider_type else None
    headers = world.user(role, own)

    answer = post(client, headers, package_input(asking_for(CANONICAL)))

    assert len(bundles_of(answer)) == 1
