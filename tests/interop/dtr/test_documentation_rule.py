"""The policy's documentation setting and the pure rule that reads the answers (no database)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from precert.interop.dtr import QUESTIONNAIRE_URL, QUESTIONNAIRE_VERSION
from precert.interop.dtr.answers import values_of
from precert.policy.loader import DATA_DIR, PolicyError, default_policy_book, load_policy_file
from precert.policy.models import Documentation, Policy
from precert.rules.documentation import documentation_findings
from tests.interop.dtr.samples import response
from tests.rules.factories import START

CANONICAL = f"{QUESTIONNAIRE_URL}|{QUESTIONNAIRE_VERSION}"


def policy(*, on: bool, months: int = 3) -> Policy:
    shipped = default_policy_book().in_effect(START)
    setting = Documentation(
        questionnaire=QUESTIONNAIRE_URL, affects_decision=on, chronic_pain_months=months
    )
    return shipped.model_copy(update={"documentation": setting})


def test_shipped_policy_names_our_questionnaire_and_answers_do_not_count() -> None:
    setting = default_policy_book().in_effect(START).documentation

    assert setting == Documentation(
        questionnaire=QUESTIONNAIRE_URL, affects_decision=False, chronic_pain_months=3
    )


@pytest.mark.parametrize("months", [0, 1, 2, 3, 24])
def test_setting_off_finds_nothing_whatever_the_answers(months: int) -> None:
    answers = values_of(response(months=months))

    assert documentation_findings(policy(on=False), questionnaire=CANONICAL, answers=answers) == []


def test_shipped_policy_finds_nothing_for_pain_of_one_month() -> None:
    shipped = default_policy_book().in_effect(START)

    found = documentation_findings(
        shipped, questionnaire=CANONICAL, answers={"pain-duration-months": 1}
    )

    assert found == []


@pytest.mark.parametrize(
    ("months", "says"),
    [
        (0, "says the pain has lasted 0 months"),
        (1, "says the pain has lasted 1 month;"),
        (2, "says the pain has lasted 2 months"),
    ],
)
def test_setting_on_pain_under_3_months_is_not_chronic(months: int, says: str) -> None:
    [finding] = documentation_findings(
        policy(on=True), questionnaire=CANONICAL, answers=values_of(response(months=months))
    )

    assert finding.code == "DOCUMENTATION_NOT_CHRONIC"
    assert says in finding.message
    assert "chronic pain, lasting 3 months or more" in finding.message
    assert finding.message.endswith("Sent to the Pre-Certification Unit for review.")


@pytest.mark.parametrize("months", [3, 4, 120])
def test_setting_on_pain_of_3_months_or_more_finds_nothing(months: int) -> None:
    answers = values_of(response(months=months))

    assert documentation_findings(policy(on=True), questionnaire=CANONICAL, answers=answers) == []


def test_threshold_is_the_policys() -> None:
    answers = {"pain-duration-months": 5}

    [finding] = documentation_findings(
        policy(on=True, months=6), questionnaire=QUESTIONNAIRE_URL, answers=answers
    )

    assert "lasting 6 months or more" in finding.message


@pytest.mark.parametrize(
    "value", [None, "5", True, 2.5], ids=["missing", "text", "boolean", "decimal"]
)
def test_setting_on_answers_without_a_duration_are_not_shown_chronic(value: Any) -> None:
    answers = {} if value is None else {"pain-duration-months": value}

    [finding] = documentation_findings(policy(on=True), questionnaire=CANONICAL, answers=answers)

    assert "does not say how long the pain has lasted" in finding.message


def test_answers_to_another_questionnaire_say_nothing() -> None:
    found = documentation_findings(
        policy(on=True),
        questionnaire="http://example.org/Questionnaire/other|1",
        answers={"pain-duration-months": 1},
    )

    assert found == []


# ---- the setting in the policy file -------------------------------------------------------


def _with(tmp_path: Path, documentation: Any) -> Path:
    raw = yaml.safe_load((DATA_DIR / "2020-01-01.yaml").read_text(encoding="utf-8"))
    if documentation is None:
        raw.pop("documentation")
    else:
        raw["documentation"] = documentation
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    return path


def test_policy_file_without_the_setting_loads_with_answers_not_counting(tmp_path: Path) -> None:
    loaded = load_policy_file(_with(tmp_path, None))

    assert loaded.documentation is None
    assert documentation_findings(loaded, questionnaire=CANONICAL, answers={}) == []


def test_policy_file_can_turn_the_setting_on(tmp_path: Path) -> None:
    loaded = load_policy_file(
        _with(tmp_path, {"questionnaire": QUESTIONNAIRE_URL, "affects_decision": True})
    )

    assert loaded.documentation is not None and loaded.documentation.affects_decision
    assert loaded.documentation.chronic_pain_months == 3


@pytest.mark.parametrize(
    ("documentation", "problem"),
    [
        (
            {"questionnaire": QUESTIONNAIRE_URL, "affects_decision": "maybe"},
            r"documentation\.affects_decision\s+Input should be a valid boolean",
        ),
        (
            {"questionnaire": QUESTIONNAIRE_URL, "affects_decision": 1},
            r"documentation\.affects_decision",
        ),
        (
            {"questionnaire": CANONICAL},
            r"documentation\.questionnaire\s+Value error, .* without a version",
        ),
        ({"questionnaire": "chronic pain"}, r"documentation\.questionnaire"),
        ({"affects_decision": False}, r"documentation\.questionnaire\s+Field required"),
        (
            {"questionnaire": QUESTIONNAIRE_URL, "chronic_pain_months": 0},
            r"documentation\.chronic_pain_months",
        ),
        (
            {"questionnaire": QUESTIONNAIRE_URL, "affects": True},
            r"documentation\.affects\s+Extra inputs",
        ),
    ],
    ids=[
        "not-a-boolean",
        "number-for-boolean",
        "versioned",
        "not-a-url",
        "no-questionnaire",
        "zero-months",
        "misspelt-key",
    ],
)
def test_malformed_setting_is_refused_naming_it(
    tmp_path: Path, documentation: Any, problem: str
) -> None:
    with pytest.raises(PolicyError, match=problem):
        load_policy_file(_with(tmp_path, documentation))
