"""Date arithmetic: months, the 12-month approval period, birthdays, benefit years."""

from __future__ import annotations

from datetime import date

import pytest

from precert.policy.models import BenefitYearKind
from precert.rules.dates import (
    add_months,
    age_on,
    benefit_year,
    benefit_year_for_label,
    birthday,
    ledger_key,
    period_end,
)
from tests.rules.factories import complete


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (date(2026, 3, 1), date(2027, 2, 28)),
        (date(2028, 2, 29), date(2029, 2, 28)),
        (date(2026, 1, 31), date(2027, 1, 30)),
        (date(2026, 1, 1), date(2026, 12, 31)),
        (date(2026, 3, 2), date(2027, 3, 1)),
        (date(2027, 3, 1), date(2028, 2, 29)),
        (date(2028, 3, 1), date(2029, 2, 28)),
        (date(2028, 2, 28), date(2029, 2, 27)),
        (date(2026, 12, 31), date(2027, 12, 30)),
    ],
)
def test_twelve_month_period_ends_the_day_before_its_anniversary(start: date, end: date) -> None:
    assert period_end(start, 12) == end


@pytest.mark.parametrize(
    ("start", "end"),
    [(date(2026, 3, 1), date(2027, 2, 28)), (date(2028, 2, 29), date(2029, 2, 28))],
)
def test_approved_period_runs_twelve_months_from_the_step2_start(start: date, end: date) -> None:
    decision = complete(start=start)

    assert (decision.start_date, decision.end_date) == (start, end)


@pytest.mark.parametrize(
    ("start", "months", "result"),
    [
        (date(2026, 5, 15), 12, date(2027, 5, 15)),
        (date(2026, 5, 15), -12, date(2025, 5, 15)),
        (date(2026, 12, 15), 1, date(2027, 1, 15)),
        (date(2026, 1, 15), -1, date(2025, 12, 15)),
        (date(2026, 1, 31), 1, date(2026, 3, 1)),
        (date(2028, 1, 29), 1, date(2028, 2, 29)),
        (date(2028, 1, 31), 1, date(2028, 3, 1)),
        (date(2026, 3, 31), 1, date(2026, 5, 1)),
        (date(2028, 2, 29), 12, date(2029, 3, 1)),
        (date(2028, 2, 29), 48, date(2032, 2, 29)),
        (date(2028, 2, 29), -12, date(2027, 3, 1)),
        (date(2026, 3, 31), -1, date(2026, 3, 1)),
        (date(2026, 7, 4), 0, date(2026, 7, 4)),
    ],
)
def test_add_months_rolls_a_missing_day_to_the_first_of_the_next_month(
    start: date, months: int, result: date
) -> None:
    assert add_months(start, months) == result


@pytest.mark.parametrize(
    ("birth", "turns_21"),
    [
        (date(2005, 3, 15), date(2026, 3, 15)),
        (date(2004, 2, 29), date(2025, 3, 1)),
        (date(2008, 2, 29), date(2029, 3, 1)),
        (date(2005, 12, 31), date(2026, 12, 31)),
        (date(2005, 2, 28), date(2026, 2, 28)),
    ],
)
def test_21st_birthday_of_a_leap_day_birth_is_1_march(birth: date, turns_21: date) -> None:
    assert birthday(birth, 21) == turns_21


@pytest.mark.parametrize(
    ("kind", "on", "year"),
    [
        (BenefitYearKind.CALENDAR, date(2026, 1, 1), (date(2026, 1, 1), date(2026, 12, 31))),
        (BenefitYearKind.CALENDAR, date(2026, 12, 31), (date(2026, 1, 1), date(2026, 12, 31))),
        (BenefitYearKind.STATE_FISCAL, date(2026, 6, 30), (date(2025, 7, 1), date(2026, 6, 30))),
        (BenefitYearKind.STATE_FISCAL, date(2026, 7, 1), (date(2026, 7, 1), date(2027, 6, 30))),
        (BenefitYearKind.STATE_FISCAL, date(2027, 1, 1), (date(2026, 7, 1), date(2027, 6, 30))),
        (
            BenefitYearKind.ROLLING_12_MONTHS,
            date(2026, 3, 2),
            (date(2025, 3, 3), date(2026, 3, 2)),
        ),
    ],
)
def test_benefit_year_holds_the_date(
    kind: BenefitYearKind, on: date, year: tuple[date, date]
) -> None:
    assert benefit_year(kind, on) == year


@pytest.mark.parametrize(
    ("kind", "label", "year"),
    [
        (BenefitYearKind.CALENDAR, 2027, (date(2027, 1, 1), date(2027, 12, 31))),
        (BenefitYearKind.STATE_FISCAL, 2027, (date(2026, 7, 1), date(2027, 6, 30))),
    ],
)
def test_benefit_year_label_names_the_year_it_ends_in(
    kind: BenefitYearKind, label: int, year: tuple[date, date]
) -> None:
    assert benefit_year_for_label(kind, label) == year


@pytest.mark.parametrize(
    ("kind", "on", "key"),
    [
        (BenefitYearKind.CALENDAR, date(2026, 8, 1), "calendar:2026-01-01"),
        (BenefitYearKind.STATE_FISCAL, date(2026, 6, 30), "state_fiscal:2025-07-01"),
        (BenefitYearKind.STATE_FISCAL, date(2026, 7, 1), "state_fiscal:2026-07-01"),
        (BenefitYearKind.ROLLING_12_MONTHS, date(2026, 8, 1), "rolling"),
        (BenefitYearKind.ROLLING_12_MONTHS, date(2030, 1, 1), "rolling"),
    ],
)
def test_ledger_key_names_one_row_per_benefit_year(
    kind: BenefitYearKind, on: date, key: str
) -> None:
    assert ledger_key(kind, on) == key


@pytest.mark.parametrize(
    ("birth", "on", "age"),
    [
        (date(2005, 6, 15), date(2026, 6, 14), 20),
        (date(2005, 6, 15), date(2026, 6, 15), 21),
        (date(2004, 2, 29), date(2025, 2, 28), 20),
        (date(2004, 2, 29), date(2025, 3, 1), 21),
        (date(2004, 2, 29), date(2028, 2, 29), 24),
    ],
)
def test_age_on_counts_whole_years_by_the_same_anniversaries_as_birthday(
    birth: date, on: date, age: int
) -> None:
    assert age_on(birth, on) == age
