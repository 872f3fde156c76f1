"""The documentation Questionnaire: the official DTR examples parse, ours conforms to the
dtr-std-questionnaire profile (read from the DTR 2.0.1 package), and its linkIds hold."""

from __future__ import annotations

import html
import json
import re
from typing import Any

import pytest
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.questionnaire import Questionnaire

from precert.interop.dtr import QUESTIONNAIRE_URL, QUESTIONNAIRE_VERSION
from precert.interop.dtr.questionnaire import DATA, items, questionnaire
from precert.policy.loader import default_policy_book
from precert.rules.documentation import PAIN_DURATION_MONTHS
from tests.interop.profiles import Checker
from tests.interop.standards import example, package_resources, structure_definition

STD_PROFILE = "http://hl7.org/fhir/us/davinci-dtr/StructureDefinition/dtr-std-questionnaire"
OFFICIAL = [
    "dtr/Questionnaire-home-o2-std-questionnaire.json",
    "dtr/Parameters-QuestionnairePackageInputParamsExample.json",
    "dtr/Parameters-QuestionnairePackageOutputParamsExample.json",
    "dtr/Bundle-DTRQuestionnairePackageOperationResultSimple.json",
]
# The contract: what CRD names, PAS's supportingInfo answers and the rules read.
LINK_IDS = [
    ("pain-duration-months", "integer"),
    ("peg", "group"),
    ("peg-pain", "integer"),
    ("peg-enjoyment", "integer"),
    ("peg-activity", "integer"),
    ("previous-treatments", "choice"),
    ("previous-treatments-other", "string"),
    ("opioid-use", "boolean"),
    ("opioid-details", "text"),
    ("plan-of-care-date", "date"),
    ("therapy-goals", "text"),
]


def std_checker() -> Checker:
    return Checker(structure_definition("dtr", STD_PROFILE))


@pytest.mark.parametrize("name", OFFICIAL)
def test_official_dtr_example_parses_with_r4b(name: str) -> None:
    data = example(name)

    parsed = get_fhir_model_class(data["resourceType"]).model_validate(data)

    assert parsed.id == data["id"]


def test_every_example_in_the_dtr_package_parses_with_r4b() -> None:
    examples = {
        name: r
        for name, r in package_resources("dtr").items()
        if r.get("resourceType")
        in ("Questionnaire", "QuestionnaireResponse", "Bundle", "Parameters")
        and name == f"{r['resourceType']}-{r.get('id')}.json"  # examples, not build reports
    }

    for resource in examples.values():
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    assert len(examples) >= 8


def test_official_standard_questionnaire_passes_the_profile_checker() -> None:
    assert std_checker().problems(example(OFFICIAL[0])) == []


def test_our_questionnaire_conforms_to_the_dtr_standard_questionnaire_profile() -> None:
    ours = questionnaire()

    Questionnaire.model_validate(ours)
    assert std_checker().problems(ours) == []
    assert ours["meta"]["profile"] == [STD_PROFILE]


def test_profile_checker_finds_what_the_profile_forbids() -> None:
    broken = questionnaire()
    del broken["text"]
    broken["subjectType"] = ["Practitioner"]
    broken["item"][1]["item"][0].pop("linkId")
    broken["extension"].append(
        {
            "url": "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-assemble-expectation",
            "valueCode": "assemble-root",
        }
    )

    problems = std_checker().problems(broken)

    assert any("Questionnaire.text is required" in p for p in problems)
    assert any(p.startswith("Questionnaire.subjectType[0]: must match 'Patient'") for p in problems)
    assert any(p.startswith("Questionnaire.item[1].item[0]:") and "linkId" in p for p in problems)
    assert any("assemble-expectation allows at most 0" in p for p in problems)


def test_questionnaire_has_our_canonical_version_and_is_active() -> None:
    ours = questionnaire()

    assert (ours["url"], ours["version"], ours["status"]) == (
        QUESTIONNAIRE_URL,
        QUESTIONNAIRE_VERSION,
        "active",
    )
    assert QUESTIONNAIRE_URL.endswith(f"/Questionnaire/{ours['id']}")


def test_questionnaire_is_standard_not_adaptive_and_needs_no_library_or_value_set() -> None:
    text = json.dumps(questionnaire())

    assert "questionnaireAdaptive" not in text
    assert "cqf-library" not in text and "answerValueSet" not in text
    assert "text/cql" not in text


def test_link_ids_and_types_are_the_contract() -> None:
    assert [(i.link_id, i.type) for i in items()] == LINK_IDS
    assert PAIN_DURATION_MONTHS == "pain-duration-months"


def test_peg_items_are_scored_0_to_10_and_required() -> None:
    peg = [i for i in items() if i.link_id.startswith("peg-")]

    assert [(i.minimum, i.maximum, i.required, i.depth) for i in peg] == [(0, 10, True, 1)] * 3
    assert "pain on average in the past week" in peg[0].text
    assert "enjoyment of life" in peg[1].text
    assert "general activity" in peg[2].text


def test_follow_up_questions_are_asked_only_when_they_apply() -> None:
    found = {i.link_id: i for i in items()}

    assert found["opioid-details"].enabled_by == ("opioid-use", True)
    assert found["previous-treatments-other"].enabled_by == ("previous-treatments", "other")
    assert "other" in [code for code, _ in found["previous-treatments"].options]
    assert found["previous-treatments"].repeats
    required = [i.link_id for i in items() if i.required]
    assert "opioid-use" in required and "plan-of-care-date" in required


def test_narrative_lists_every_question() -> None:
    div = html.unescape(questionnaire()["text"]["div"])

    for item in items():
        assert item.text in div, item.link_id


def test_no_cpt_code_or_description_is_shipped_in_the_questionnaire() -> None:
    text = DATA.read_text(encoding="utf-8")
    cpt_codes = {
        p.code for t in default_policy_book().policies[-1].therapies for p in t.procedure_codes
    }

    assert not cpt_codes & set(re.findall(r"\b\d{5}\b", text))
    assert "ama-assn" not in text


def test_questionnaire_is_a_copy_callers_may_change() -> None:
    first: dict[str, Any] = questionnaire()
    first["item"].clear()

    assert len(questionnaire()["item"]) == 8
