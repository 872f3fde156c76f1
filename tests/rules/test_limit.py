"""The 120-unit annual limit: shared by the three therapies, counted per benefit year."""

from __future__ import annotations

import re
from datetime import date

import pytest

from precert.policy.models import BenefitYearKind
from precert.rules.dates import period_end
from precert.rules.decision import Status
from precert.rules.facts import Authorization
from precert.rules.ledger import units_charged, units_remaining
from tests.rules.factories import START, complete, held, message, policy_on

THERAPIES = ("physical_therapy", "chiropractic", "acupuncture")
CALENDAR = policy_on()
STATE_FISCAL = policy_on(benefit_year=BenefitYearKind.STATE_FISCAL)
ROLLING = policy_on(benefit_year=BenefitYearKind.ROLLING_12_MONTHS)


@pytest.mark.parametrize("asking", THERAPIES)
def test_completion_is_reduced_to_units_remaining_across_the_other_two_therapies(
    asking: str,
) -> None:
    others = [t for t in THERAPIES if t != asking]
    holding = [held(others[0], date(2026, 1, 5), 50), held(others[1], date(2026, 2, 1), 50)]

    decision = complete(therapy=asking, units=50, start=date(2026, 3, 2), holding=holding)

    assert decision.status is Status.PARTIALLY_APPROVED
    assert decision.approved_units == 20
    assert decision.reason_codes == ("UNITS_REDUCED_TO_LIMIT",)


def test_three_therapies_of_50_units_each_end_with_120_authorized() -> None:
    holding: list[Authorization] = []
    approved = []
    for therapy in THERAPIES:
        decision = complete(therapy=therapy, units=50, holding=holding)
        assert decision.approved_units is not None
        approved.append(decision.approved_units)
        holding.append(held(therapy, START, decision.approved_units))

    assert approved == [50, 50, 20]
    assert complete(units=1, holding=holding).reason_codes == ("ANNUAL_LIMIT_REACHED",)


@pytest.mark.parametrize(
    ("already", "asked", "status", "approved"),
    [
        pytest.param(0, 120, Status.APPROVED, 120, id="whole-limit-at-once"),
        pytest.param(80, 40, Status.APPROVED, 40, id="exactly-fills-the-year"),
        pytest.param(80, 41, Status.PARTIALLY_APPROVED, 40, id="one-over"),
        pytest.param(119, 1, Status.APPROVED, 1, id="last-unit"),
        pytest.param(119, 2, Status.PARTIALLY_APPROVED, 1, id="last-unit-of-two"),
        pytest.param(120, 1, Status.DENIED, 0, id="none-left"),
        pytest.param(150, 1, Status.DENIED, 0, id="over-the-limit-already"),
    ],
)
def test_approved_units_are_what_the_year_still_allows(
    already: int, asked: int, status: Status, approved: int
) -> None:
    holding = [held("chiropractic", date(2026, 1, 5), already)] if already else []

    decision = complete(units=asked, holding=holding)

    assert decision.status is status
    assert decision.approved_units == approved


# Calendar years (the shipped policy's choice): units belong to the year of the start date.


@pytest.mark.parametrize(
    ("start", "approved", "year"),
    [
        pytest.param(date(2026, 12, 31), 20, "2026-01-01 to 2026-12-31", id="same-year"),
        pytest.param(date(2027, 1, 1), 50, None, id="next-year"),
    ],
)
def test_calendar_year_units_held_in_2026_do_not_count_for_a_2027_start(
    start: date, approved: int, year: str | None
) -> None:
    holding = [held("chiropractic", date(2026, 6, 1), 100)]

    decision = complete(units=50, start=start, holding=holding, policy=CALENDAR)

    assert decision.approved_units == approved
    if year:
        assert year in message(decision, "UNITS_REDUCED_TO_LIMIT")


def test_calendar_year_units_held_in_2027_do_not_count_for_a_2026_start() -> None:
    holding = [held("chiropractic", date(2027, 1, 1), 120)]

    decision = complete(units=50, start=date(2026, 12, 31), holding=holding, policy=CALENDAR)

    assert decision.status is Status.APPROVED
    assert decision.approved_units == 50


# State fiscal years run 1 July to 30 June.


@pytest.mark.parametrize(
    ("held_on", "start", "approved", "year"),
    [
        pytest.param(
            date(2026, 6, 30), date(2026, 6, 30), 20, "2025-07-01 to 2026-06-30", id="june-june"
        ),
        pytest.param(date(2026, 6, 30), date(2026, 7, 1), 50, None, id="june-then-july"),
        pytest.param(date(2026, 7, 1), date(2026, 6, 30), 50, None, id="july-then-june-before"),
        pytest.param(
            date(2026, 7, 1), date(2027, 6, 30), 20, "2026-07-01 to 2027-06-30", id="july-june"
        ),
        pytest.param(date(2026, 7, 1), date(2027, 7, 1), 50, None, id="next-fiscal-year"),
        pytest.param(
            date(2026, 12, 31), date(2027, 1, 1), 20, "2026-07-01 to 2027-06-30", id="new-year"
        ),
    ],
)
def test_state_fiscal_year_counts_units_from_july_to_june(
    held_on: date, start: date, approved: int, year: str | None
) -> None:
    holding = [held("chiropractic", held_on, 100)]

    decision = complete(units=50, start=start, holding=holding, policy=STATE_FISCAL)

    assert decision.approved_units == approved
    if year:
        assert year in message(decision, "UNITS_REDUCED_TO_LIMIT")


# Rolling 12 months: the fullest 12-month window that contains the start date.


@pytest.mark.parametrize(
    ("held_on", "start", "approved"),
    [
        pytest.param(date(2026, 3, 1), date(2027, 2, 28), 20, id="window-from-the-held-start"),
        pytest.param(date(2026, 3, 1), date(2027, 3, 1), 50, id="held-start-a-year-ago"),
        pytest.param(date(2027, 2, 28), date(2026, 3, 1), 20, id="later-held-in-same-window"),
        pytest.param(date(2027, 3, 1), date(2026, 3, 1), 50, id="later-held-a-year-after"),
        pytest.param(date(2025, 12, 1), date(2026, 1, 1), 20, id="across-new-year"),
    ],
)
def test_rolling_year_counts_every_12_month_window_holding_the_start(
    held_on: date, start: date, approved: int
) -> None:
    holding = [held("chiropractic", held_on, 100)]

    decision = complete(units=50, start=start, holding=holding, policy=ROLLING)

    assert decision.approved_units == approved


def test_rolling_year_denies_when_the_fullest_window_holding_the_start_is_full() -> None:
    # No window ending on 2026-06-01 is full, but 2026-01-01 to 2026-12-31 holds 120.
    holding = [
        held("chiropractic", date(2026, 1, 1), 60),
        held("acupuncture", date(2026, 12, 1), 60),
    ]

    decision = complete(units=10, start=date(2026, 6, 1), holding=holding, policy=ROLLING)

    assert decision.status is Status.DENIED
    assert decision.reason_codes == ("ANNUAL_LIMIT_REACHED",)


def test_rolling_year_limit_message_names_a_window_that_is_full() -> None:
    holding = [
        held("chiropractic", date(2026, 1, 1), 60),
        held("acupuncture", date(2026, 12, 1), 60),
    ]
    start = date(2026, 6, 1)

    decision = complete(units=10, start=start, holding=holding, policy=ROLLING)

    found = re.search(
        r"(\d{4}-\d\d-\d\d) to (\d{4}-\d\d-\d\d)", message(decision, "ANNUAL_LIMIT_REACHED")
    )
    assert found is not None
    first, last = (date.fromisoformat(found[1]), date.fromisoformat(found[2]))
    assert first <= start <= last
    assert last == period_end(first, 12)
    assert sum(a.units for a in holding if first <= a.start_date <= last) == 120


def test_rolling_year_reduces_to_the_fullest_window_not_the_sum_of_all() -> None:
    # 2025-07-01 and 2026-09-01 are never in one 12-month window: the fullest holds 70.
    holding = [
        held("chiropractic", date(2025, 7, 1), 70),
        held("acupuncture", date(2026, 9, 1), 50),
    ]

    decision = complete(units=60, start=date(2026, 6, 1), holding=holding, policy=ROLLING)

    assert decision.status is Status.PARTIALLY_APPROVED
    assert decision.approved_units == 50


@pytest.mark.parametrize(
    ("held_on", "start"),
    [
        # 2027-03-01 to 2028-02-29 is a 12-month period (it is how an approval starting on
        # 2027-03-01 ends), and it holds both dates.
        pytest.param(date(2027, 3, 1), date(2028, 2, 29), id="start-on-leap-day"),
        pytest.param(date(2028, 2, 29), date(2027, 3, 1), id="held-on-leap-day"),
    ],
)
def test_rolling_year_window_ending_on_a_leap_day_counts_from_1_march(
    held_on: date, start: date
) -> None:
    holding = [held("chiropractic", held_on, 100)]

    decision = complete(units=50, start=start, holding=holding, policy=ROLLING)

    assert decision.status is Status.PARTIALLY_APPROVED
    assert decision.approved_units == 20


@pytest.mark.parametrize(
    ("kind", "on", "charged", "year"),
    [
        pytest.param(
            BenefitYearKind.CALENDAR, date(2026, 8, 1), 100, (date(2026, 1, 1), date(2026, 12, 31))
        ),
        pytest.param(
            BenefitYearKind.STATE_FISCAL,
            date(2026, 8, 1),
            65,
            (date(2026, 7, 1), date(2027, 6, 30)),
        ),
        pytest.param(
            BenefitYearKind.ROLLING_12_MONTHS,
            date(2026, 8, 1),
            130,
            None,  # the fullest window: 2025-12-31 to 2026-12-30 holds 130
        ),
    ],
)
def test_units_charged_counts_the_benefit_year_holding_the_date(
    kind: BenefitYearKind, on: date, charged: int, year: tuple[date, date] | None
) -> None:
    policy = policy_on(benefit_year=kind)
    holding = [
        held("chiropractic", date(2025, 12, 31), 30),
        held("acupuncture", date(2026, 3, 1), 60),
        held("physical_therapy", date(2026, 7, 1), 40),
        held("physical_therapy", date(2027, 1, 1), 25),
    ]

    units, year_found = units_charged(policy, holding, on)

    assert units == charged
    if year is not None:
        assert year_found == year


def test_units_remaining_never_goes_below_zero() -> None:
    holding = [held("chiropractic", date(2026, 1, 5), 130)]

    assert units_remaining(CALENDAR, holding, date(2026, 3, 2)) == 0
    assert units_remaining(CALENDAR, [], date(2026, 3, 2)) == 120


@pytest.mark.parametrize("kind", list(BenefitYearKind))
def test_copied_policy_keeps_its_therapy_and_diagnosis_indexes(kind: BenefitYearKind) -> None:
    policy = policy_on(benefit_year=kind)

    assert policy.benefit_year is kind
    assert policy.therapy("acupuncture") is not None
    assert "M54.50" in policy.approved_diagnoses(date(2026, 3, 2))
    assert "M54.5" not in policy.approved_diagnoses(date(2026, 3, 2))
