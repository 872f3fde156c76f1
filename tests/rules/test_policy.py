"""The shipped policy file: what it holds, how it was cleaned, its lint, choosing by date."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from precert.policy.lint import LintWarning, lint_policy
from precert.policy.loader import (
    DATA_DIR,
    NoPolicyInEffect,
    PolicyError,
    default_policy_book,
    load_policy_book,
    load_policy_file,
)
from precert.policy.models import BenefitYearKind, Policy
from precert.rules.codes import normalize_icd10

SHIPPED = DATA_DIR / "2020-01-01.yaml"


@pytest.fixture(scope="module")
def policy() -> Policy:
    return load_policy_file(SHIPPED)


def test_shipped_policy_file_loads_and_governs_from_2020(policy: Policy) -> None:
    assert policy.version == "2021.10"
    assert policy.effective_from == date(2020, 1, 1)
    assert policy.effective_to is None
    assert default_policy_book().in_effect(date(2026, 3, 2)) == policy


def test_shipped_policy_holds_the_seed_parameters(policy: Policy) -> None:
    assert policy.minimum_age == 21
    assert policy.approval_period_months == 12
    assert policy.annual_unit_limit == 120
    assert policy.minutes_per_unit == 15
    assert policy.benefit_year is BenefitYearKind.CALENDAR
    assert policy.step1_expiry_days == 90
    assert policy.prescriber_types == ("physician",)


def test_shipped_policy_has_122_unique_diagnoses(policy: Policy) -> None:
    codes = [d.code for d in policy.diagnoses]

    assert len(codes) == 122
    assert len(set(codes)) == 122


def test_duplicated_m51_block_is_listed_once(policy: Policy) -> None:
    m51 = [d.code for d in policy.diagnoses if d.code.startswith("M51.")]

    assert m51 == [
        *("M51.04", "M51.05", "M51.06"),
        *("M51.14", "M51.15", "M51.16", "M51.17"),
        *("M51.24", "M51.25", "M51.26", "M51.27"),
        *("M51.34", "M51.35", "M51.36", "M51.37"),
        *("M51.44", "M51.45", "M51.46", "M51.47"),
        *("M51.84", "M51.85", "M51.86", "M51.87"),
        "M51.9",
    ]
    assert len(m51) == len(set(m51)) == 24


def test_seed_codes_written_without_the_dot_are_dotted(policy: Policy) -> None:
    by_code = {d.code: d for d in policy.diagnoses}

    for code in ("M54.51", "M54.59"):
        assert code in by_code
        assert by_code[code].effective_from == date(2021, 10, 1)
    assert "M5451" not in by_code
    assert "M5459" not in by_code
    assert all(normalize_icd10(code) == code for code in by_code)


def test_low_back_pain_codes_carry_the_2021_10_01_change(policy: Policy) -> None:
    by_code = {d.code: d for d in policy.diagnoses}

    assert (by_code["M54.5"].effective_from, by_code["M54.5"].effective_to) == (
        None,
        date(2021, 9, 30),
    )
    for code in ("M54.50", "M54.51", "M54.59"):
        assert (by_code[code].effective_from, by_code[code].effective_to) == (
            date(2021, 10, 1),
            None,
        )
    changed = {"M54.5", "M54.50", "M54.51", "M54.59"}
    assert all(
        d.effective_from is None and d.effective_to is None
        for d in policy.diagnoses
        if d.code not in changed
    )


def test_every_diagnosis_has_its_description(policy: Policy) -> None:
    for diagnosis in policy.diagnoses:
        assert diagnosis.description.strip() == diagnosis.description
        assert diagnosis.description
        assert diagnosis.description != diagnosis.description.upper()
    by_code = {d.code: d.description for d in policy.diagnoses}
    assert by_code["M54.51"] == "Vertebrogenic low back pain"
    assert by_code["M54.59"] == "Other low back pain"


@pytest.mark.parametrize(
    ("therapy", "performer", "codes"),
    [
        ("acupuncture", "acupuncturist", ["97810", "97811", "97813", "97814"]),
        (
            "physical_therapy",
            "physical_therapist",
            ["97161", "97162", "97163", "97110", "97530"],
        ),
        (
            "chiropractic",
            "chiropractor",
            [
                *("99201", "99202", "99203", "99204", "99205"),
                *("99211", "99212", "99213", "99214", "99215"),
                *("98940", "98941", "98942", "98943"),
                *("97012", "97014", "97032", "97035"),
            ],
        ),
    ],
)
def test_therapy_codes_match_the_seed_appendices(
    policy: Policy, therapy: str, performer: str, codes: list[str]
) -> None:
    found = policy.therapy(therapy)

    assert found is not None
    assert [p.code for p in found.procedure_codes] == codes
    assert found.performing_provider_types == (performer,)


def test_only_99201_is_marked_deleted_on_2021_01_01(policy: Policy) -> None:
    deleted = {
        p.code: p.deleted_on for t in policy.therapies for p in t.procedure_codes if p.deleted_on
    }

    assert deleted == {"99201": date(2021, 1, 1)}


def test_policy_finds_the_therapy_of_a_procedure_code(policy: Policy) -> None:
    chiropractic = policy.therapy_for_procedure("98940")

    assert chiropractic is not None
    assert chiropractic.key == "chiropractic"
    assert policy.therapy_for_procedure("00000") is None


# The lint: warnings about codes no longer billable, never failures.


@pytest.fixture(scope="module")
def warnings_today(policy: Policy) -> list[LintWarning]:
    return lint_policy(policy, today=date(2026, 3, 2))


def test_lint_warns_about_exactly_the_retired_split_and_deleted_codes(
    warnings_today: list[LintWarning],
) -> None:
    assert sorted((w.code, w.kind) for w in warnings_today) == [
        ("99201", "cpt_deleted"),
        ("G96.8", "icd10_not_billable"),
        ("M51.36", "icd10_not_billable"),
        ("M51.37", "icd10_not_billable"),
        ("M54.5", "icd10_not_billable"),
    ]


@pytest.mark.parametrize(
    ("code", "fragments"),
    [
        ("M54.5", ["M54.50, M54.51, M54.59", "no longer approved"]),
        ("G96.8", ["G96.81", "still approved"]),
        ("M51.36", ["M51.360", "still approved"]),
        ("M51.37", ["M51.370", "still approved"]),
        ("99201", ["deleted on 2021-01-01", "chiropractic"]),
    ],
)
def test_lint_warning_says_what_became_of_the_code(
    warnings_today: list[LintWarning], code: str, fragments: list[str]
) -> None:
    (warning,) = [w for w in warnings_today if w.code == code]

    assert str(warning).startswith(f"warning: {code}: ")
    for fragment in fragments:
        assert fragment in warning.message


def test_lint_before_the_changes_says_still_approved_and_to_be_deleted(policy: Policy) -> None:
    found = {w.code: w.message for w in lint_policy(policy, today=date(2020, 6, 1))}

    assert "still approved" in found["M54.5"]
    assert "to be deleted on 2021-01-01" in found["99201"]


# Choosing by effective date.


def _shipped() -> dict[str, Any]:
    raw: dict[str, Any] = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))
    return raw


def _write(directory: Path, name: str, raw: dict[str, Any]) -> None:
    (directory / name).write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")


def _two_versions(directory: Path, *, first_ends: date | None) -> None:
    _write(directory, "2020-01-01.yaml", {**_shipped(), "effective_to": first_ends})
    later = {
        **_shipped(),
        "version": "2026.01",
        "effective_from": date(2026, 1, 1),
        "effective_to": None,
        "minimum_age": 19,
    }
    _write(directory, "2026-01-01.yaml", later)


@pytest.mark.parametrize(
    ("on", "version"),
    [
        (date(2020, 1, 1), "2021.10"),
        (date(2025, 12, 31), "2021.10"),
        (date(2026, 1, 1), "2026.01"),
        (date(2040, 1, 1), "2026.01"),
    ],
)
def test_policy_book_chooses_the_version_in_effect(tmp_path: Path, on: date, version: str) -> None:
    _two_versions(tmp_path, first_ends=date(2025, 12, 31))

    assert load_policy_book(tmp_path).in_effect(on).version == version


def test_policy_book_finds_a_version_by_name(tmp_path: Path) -> None:
    _two_versions(tmp_path, first_ends=date(2025, 12, 31))
    book = load_policy_book(tmp_path)

    later = book.by_version("2026.01")
    assert later is not None
    assert later.minimum_age == 19
    assert book.by_version("1999.01") is None


@pytest.mark.parametrize(
    "first_ends",
    [pytest.param(None, id="first-never-ends"), pytest.param(date(2026, 1, 1), id="one-day")],
)
def test_policy_book_refuses_overlapping_versions(tmp_path: Path, first_ends: date | None) -> None:
    _two_versions(tmp_path, first_ends=first_ends)

    with pytest.raises(PolicyError, match="must end before"):
        load_policy_book(tmp_path)


def test_no_policy_is_in_effect_before_the_first(tmp_path: Path) -> None:
    _two_versions(tmp_path, first_ends=date(2025, 12, 31))

    with pytest.raises(NoPolicyInEffect):
        load_policy_book(tmp_path).in_effect(date(2019, 12, 31))
    with pytest.raises(NoPolicyInEffect, match="2019-12-31"):
        default_policy_book().in_effect(date(2019, 12, 31))


def test_no_policy_is_in_effect_in_a_gap_between_versions(tmp_path: Path) -> None:
    _two_versions(tmp_path, first_ends=date(2025, 6, 30))

    with pytest.raises(NoPolicyInEffect):
        load_policy_book(tmp_path).in_effect(date(2025, 7, 1))


def test_empty_policy_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="no policy files"):
        load_policy_book(tmp_path)


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        pytest.param(
            lambda raw: raw["diagnoses"].append({"code": "M5451", "description": "x"}),
            "not a normalised ICD-10-CM code",
            id="undotted-diagnosis",
        ),
        pytest.param(
            lambda raw: raw["diagnoses"].append(dict(raw["diagnoses"][5])),
            "listed twice",
            id="duplicated-diagnosis",
        ),
        pytest.param(
            lambda raw: raw["therapies"][2]["procedure_codes"].append({"code": "97110"}),
            "CPT 97110 is listed under",
            id="cpt-under-two-therapies",
        ),
        pytest.param(
            lambda raw: raw["therapies"][0]["procedure_codes"].append({"code": "9711"}),
            "procedure_codes",
            id="malformed-cpt",
        ),
        pytest.param(
            lambda raw: raw.update(minimum_age=-1),
            "minimum_age",
            id="negative-age",
        ),
        pytest.param(
            lambda raw: raw.update(surprise=True),
            "surprise",
            id="unknown-field",
        ),
    ],
)
def test_malformed_policy_file_is_refused_naming_the_problem(
    tmp_path: Path, change: Any, problem: str
) -> None:
    raw = _shipped()
    change(raw)
    _write(tmp_path, "bad.yaml", raw)

    with pytest.raises(PolicyError, match=problem):
        load_policy_file(tmp_path / "bad.yaml")


def test_unreadable_yaml_is_a_policy_error(tmp_path: Path) -> None:
    (tmp_path / "broken.yaml").write_text("program: [unclosed\n", encoding="utf-8")

    with pytest.raises(PolicyError, match=r"broken\.yaml"):
        load_policy_file(tmp_path / "broken.yaml")
