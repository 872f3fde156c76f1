"""Keeping a QuestionnaireResponse with a pre-certification (as PAS's $submit will), and
reading it back for display and for the rules."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from precert.db import transaction
from precert.errors import DomainError
from precert.interop.dtr import QUESTIONNAIRE_URL
from precert.interop.dtr.answers import answers_of, keep, latest, values_of
from precert.models.interop import QuestionnaireAnswers
from tests.interop.dtr.samples import CANONICAL, TREATMENTS, response, without
from tests.interop.standards import package_resources
from tests.portal.conftest import Cast

AT = datetime(2026, 3, 2, 15, 30, tzinfo=UTC)


def kept(cast: Cast, precert_id: str, resource: Any) -> None:
    with transaction(cast.world.sessions) as session:
        keep(session, precert_id=precert_id, resource=resource, at=AT)


def refused(cast: Cast, precert_id: str, resource: Any) -> DomainError:
    """Return the error `keep` raises for `resource`; assert nothing was stored."""
    with pytest.raises(DomainError) as caught:
        kept(cast, precert_id, resource)
    assert cast.count(QuestionnaireAnswers) == 0
    return caught.value


def fields_of(error: DomainError) -> dict[str, str]:
    assert error.status == 422 and error.error == "VALIDATION_ERROR"
    return {p.field: p.message for p in error.fields}


def test_kept_answers_read_back_as_questions_in_order_with_answers(cast: Cast) -> None:
    precert = cast.started()

    kept(cast, precert["id"], response(opioids=True, treatments=("physical-therapy", "other")))

    with transaction(cast.world.sessions) as session:
        [sent] = answers_of(session, precert["id"])
    assert sent.received_at == AT
    assert sent.questionnaire == CANONICAL
    rows = [(r.link_id, r.answers) for r in sent.items]
    assert rows == [
        ("pain-duration-months", ("14 months",)),
        ("peg", ()),
        ("peg-pain", ("7",)),
        ("peg-enjoyment", ("6",)),
        ("peg-activity", ("8",)),
        ("previous-treatments", ("Physical therapy", "Other")),
        ("previous-treatments-other", ("Yoga",)),
        ("opioid-use", ("Yes",)),
        ("opioid-details", ("Tramadol 50 mg daily",)),
        ("plan-of-care-date", ("2026-03-01",)),
        ("therapy-goals", ("Walk 30 minutes without stopping; return to work.",)),
    ]
    assert sent.items[0].question.startswith(
        "For how many months has the participant had this pain"
    )
    assert sent.items[1].is_group and sent.items[1].question.startswith("PEG scale")
    [(heading, peg), *_] = [s for s in sent.sections if s[0] is not None]
    assert heading.link_id == "peg" and [r.link_id for r in peg] == [
        "peg-pain",
        "peg-enjoyment",
        "peg-activity",
    ]


def test_every_response_kept_is_shown_oldest_first(cast: Cast) -> None:
    precert = cast.started()

    kept(cast, precert["id"], response(months=2))
    kept(cast, precert["id"], response(months=5))

    with transaction(cast.world.sessions) as session:
        shown = answers_of(session, precert["id"])
        found = latest(session, precert["id"])
    assert [d.items[0].answers for d in shown] == [("2 months",), ("5 months",)]
    assert found is not None and found[1]["pain-duration-months"] == 5


def test_values_for_the_rules_are_plain_python_values() -> None:
    values = values_of(response(opioids=False))

    assert values == {
        "pain-duration-months": 14,
        "peg-pain": 7,
        "peg-enjoyment": 6,
        "peg-activity": 8,
        "previous-treatments": ("physical-therapy", "non-opioid-medication"),
        "opioid-use": False,
        "plan-of-care-date": date(2026, 3, 1),
        "therapy-goals": "Walk 30 minutes without stopping; return to work.",
    }


def test_response_naming_our_questionnaire_without_version_is_kept(cast: Cast) -> None:
    precert = cast.started()

    kept(cast, precert["id"], response(questionnaire=QUESTIONNAIRE_URL))

    assert cast.count(QuestionnaireAnswers) == 1


def test_keep_rejects_a_resource_that_is_not_a_questionnaire_response(cast: Cast) -> None:
    precert = cast.started()

    error = refused(cast, precert["id"], {"resourceType": "Claim", "status": "active"})

    assert fields_of(error) == {
        "QuestionnaireResponse": "must be a QuestionnaireResponse resource; got Claim"
    }


def test_keep_rejects_the_official_response_to_another_questionnaire(cast: Cast) -> None:
    precert = cast.started()
    official = package_resources("dtr")["QuestionnaireResponse-home-o2-questionnaireresponse.json"]

    error = refused(cast, precert["id"], official)

    assert list(fields_of(error)) == ["QuestionnaireResponse.questionnaire"]
    assert "answers http://example.com/Questionnaire/referred-questionnaire" in error.detail
    assert CANONICAL in error.detail


REFUSED = [
    pytest.param(
        response(questionnaire=f"{QUESTIONNAIRE_URL}|0.9.0"),
        "QuestionnaireResponse.questionnaire",
        "answers " + QUESTIONNAIRE_URL + "|0.9.0",
        id="another-version",
    ),
    pytest.param(
        {k: v for k, v in response().items() if k != "questionnaire"},
        "QuestionnaireResponse.questionnaire",
        "is required",
        id="no-questionnaire",
    ),
    pytest.param(
        response(status="in-progress"),
        "QuestionnaireResponse.status",
        "must be completed",
        id="in-progress",
    ),
    pytest.param(
        without(response(), "therapy-goals"),
        "QuestionnaireResponse.item",
        "therapy-goals",
        id="required-question-unanswered",
    ),
    pytest.param(
        without(response(opioids=True), "opioid-details"),
        "QuestionnaireResponse.item",
        "opioid-details",
        id="opioid-details-missing-when-opioids-used",
    ),
    pytest.param(
        {**response(), "status": 7},
        "QuestionnaireResponse.status",
        "string",
        id="not-valid-r4",
    ),
    pytest.param(
        {**response(), "subject": {"display": "A\x00B"}},
        "QuestionnaireResponse.subject.display",
        "NUL",
        id="nul-character",
    ),
]


@pytest.mark.parametrize(("resource", "field", "says"), REFUSED)
def test_keep_refuses_naming_the_field(
    cast: Cast, resource: dict[str, Any], field: str, says: str
) -> None:
    precert = cast.started()

    fields = fields_of(refused(cast, precert["id"], resource))

    assert field in fields, fields
    assert says in fields[field], fields


def _answer(resource: dict[str, Any], link_id: str, answer: dict[str, Any]) -> dict[str, Any]:
    for item in resource["item"]:
        for candidate in [item, *item.get("item", [])]:
            if candidate["linkId"] == link_id:
                candidate["answer"] = [answer]
    return resource


BAD_ANSWERS = [
    pytest.param(
        "peg-pain",
        {"valueInteger": 11},
        "QuestionnaireResponse.item[1].item[0].answer[0].valueInteger",
        "from 0 to 10",
        id="peg-over-10",
    ),
    pytest.param(
        "pain-duration-months",
        {"valueInteger": -1},
        "QuestionnaireResponse.item[0].answer[0].valueInteger",
        "from 0",
        id="negative-months",
    ),
    pytest.param(
        "pain-duration-months",
        {"valueString": "14"},
        "QuestionnaireResponse.item[0].answer[0]",
        "valueInteger",
        id="months-as-text",
    ),
    pytest.param(
        "opioid-use",
        {"valueString": "no"},
        "QuestionnaireResponse.item[3].answer[0]",
        "valueBoolean",
        id="boolean-as-text",
    ),
    pytest.param(
        "previous-treatments",
        {"valueCoding": {"system": TREATMENTS, "code": "massage"}},
        "QuestionnaireResponse.item[2].answer[0].valueCoding",
        "physical-therapy",
        id="unknown-treatment",
    ),
    pytest.param(
        "previous-treatments",
        {"valueCoding": {"system": "http://example.org", "code": "surgery"}},
        "QuestionnaireResponse.item[2].answer[0].valueCoding",
        TREATMENTS,
        id="treatment-of-another-system",
    ),
]


@pytest.mark.parametrize(("link_id", "answer", "field", "says"), BAD_ANSWERS)
def test_keep_refuses_an_answer_the_question_does_not_take(
    cast: Cast, link_id: str, answer: dict[str, Any], field: str, says: str
) -> None:
    precert = cast.started()

    fields = fields_of(refused(cast, precert["id"], _answer(response(), link_id, answer)))

    assert field in fields, fields
    assert says in fields[field]


def test_keep_refuses_a_question_we_do_not_ask(cast: Cast) -> None:
    precert = cast.started()
    resource = response()
    resource["item"].append({"linkId": "shoe-size", "answer": [{"valueInteger": 9}]})

    fields = fields_of(refused(cast, precert["id"], resource))

    assert fields == {
        "QuestionnaireResponse.item[6].linkId": f"shoe-size is not a question of {CANONICAL}"
    }


def test_keep_for_an_unknown_pre_certification_is_not_found(cast: Cast) -> None:
    error = refused(cast, "PC-NOSUCH", response())

    assert error.status == 404


def test_kept_response_is_stored_as_sent(cast: Cast) -> None:
    precert = cast.started()
    sent = response()

    kept(cast, precert["id"], sent)

    with transaction(cast.world.sessions) as session:
        row = session.scalars(select(QuestionnaireAnswers)).one()
        assert (row.precert_id, row.questionnaire, row.resource) == (precert["id"], CANONICAL, sent)
        assert session.scalar(select(func.count()).select_from(QuestionnaireAnswers)) == 1
