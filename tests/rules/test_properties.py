"""Properties over large spaces: dates around birthdays and anniversaries, units, codes."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from precert.policy.models import BenefitYearKind
from precert.rules.codes import ICD10_PATTERN, normalize_cpt, normalize_icd10
from precert.rules.dates import add_months, birthday, period_end
from precert.rules.decision import Status
from precert.rules.facts import Authorization
from precert.rules.review import decide_review
from tests.rules.factories import complete, held, participant, policy_on, refer

SETTINGS = settings(max_examples=200, deadline=None)
THERAPIES = ("physical_therapy", "chiropractic", "acupuncture")
LIMIT = 120


# (a) The minimum age


@st.composite
def births_and_starts(draw: st.DrawFn) -> tuple[date, date]:
    """Draw a birth date and a start date, often within a few days of the 21st birthday."""
    if draw(st.booleans()):
        birth = draw(st.dates(date(1999, 1, 5), date(2019, 12, 31)))
        start = birthday(birth, 21) + timedelta(days=draw(st.integers(-3, 3)))
    else:
        birth = draw(st.dates(date(1930, 1, 1), date(2019, 12, 31)))
        start = draw(st.dates(date(2020, 1, 1), date(2040, 12, 31)))
    return birth, start


@SETTINGS
@given(births_and_starts())
def test_under_minimum_age_applies_exactly_before_the_21st_birthday(
    case: tuple[date, date],
) -> None:
    birth, start = case

    decision = refer(start=start, who=participant(birth_date=birth))

    under = "PARTICIPANT_UNDER_MINIMUM_AGE" in decision.reason_codes
    assert under is (start < birthday(birth, 21))
    # Age as people count it: one more year on each birthday, 29 Feb counting on 1 March.
    age = start.year - birth.year - ((start.month, start.day) < (birth.month, birth.day))
    assert under is (age < 21)


@SETTINGS
@given(st.dates(date(1900, 1, 1), date(2070, 12, 31)))
def test_21st_birthday_is_the_same_day_or_1_march_for_a_leap_day(birth: date) -> None:
    year = birth.year + 21
    naive = date(year, birth.month, min(birth.day, calendar.monthrange(year, birth.month)[1]))

    turns = birthday(birth, 21)

    assert turns >= naive
    if (birth.month, birth.day) == (2, 29):
        assert turns == date(year, 3, 1)
    else:
        assert turns == naive


# (b) Unit arithmetic


def _year_of(kind: BenefitYearKind, on: date) -> int:
    if kind is BenefitYearKind.STATE_FISCAL:
        return on.year + 1 if on.month >= 7 else on.year
    return on.year


YEARLY_KINDS = st.sampled_from([BenefitYearKind.CALENDAR, BenefitYearKind.STATE_FISCAL])
DATES = st.dates(date(2025, 1, 1), date(2027, 12, 31))


@SETTINGS
@given(kind=YEARLY_KINDS, therapy=st.sampled_from(THERAPIES), data=st.data())
def test_approved_units_are_the_lesser_of_requested_and_remaining(
    kind: BenefitYearKind, therapy: str, data: st.DataObject
) -> None:
    others = st.sampled_from([t for t in THERAPIES if t != therapy])
    holding = data.draw(
        st.lists(st.builds(held, others, DATES, st.integers(1, 120)), max_size=8), "holding"
    )
    start = data.draw(DATES, "start")
    units = data.draw(st.integers(1, 120), "units")
    year = _year_of(kind, start)
    held_in_year = sum(a.units for a in holding if _year_of(kind, a.start_date) == year)
    expected = min(units, max(0, LIMIT - held_in_year))

    decision = complete(
        therapy=therapy,
        start=start,
        units=units,
        holding=holding,
        policy=policy_on(benefit_year=kind),
    )

    assert decision.approved_units == expected
    if expected == 0:
        assert decision.status is Status.DENIED
        assert decision.reason_codes == ("ANNUAL_LIMIT_REACHED",)
    elif expected < units:
        assert decision.status is Status.PARTIALLY_APPROVED
        assert decision.reason_codes == ("UNITS_REDUCED_TO_LIMIT",)
    else:
        assert decision.status is Status.APPROVED
        assert decision.reason_codes == ()


REQUESTS = st.lists(
    st.tuples(st.sampled_from(THERAPIES), DATES, st.integers(1, 120)), min_size=1, max_size=12
)


def _approve_in_turn(
    kind: BenefitYearKind, requests: list[tuple[str, date, int]]
) -> list[Authorization]:
    policy = policy_on(benefit_year=kind)
    holding: list[Authorization] = []
    for therapy, start, units in requests:
        decision = complete(
            therapy=therapy, start=start, units=units, holding=holding, policy=policy
        )
        if decision.status.holds_units:
            assert decision.approved_units is not None
            assert 1 <= decision.approved_units <= units
            holding.append(held(therapy, start, decision.approved_units))
        else:
            assert decision.status in (Status.DENIED, Status.PENDED)
    return holding


@SETTINGS
@given(kind=YEARLY_KINDS, requests=REQUESTS)
def test_no_benefit_year_ever_holds_more_than_120_units(
    kind: BenefitYearKind, requests: list[tuple[str, date, int]]
) -> None:
    holding = _approve_in_turn(kind, requests)

    totals: dict[int, int] = {}
    for a in holding:
        totals[_year_of(kind, a.start_date)] = totals.get(_year_of(kind, a.start_date), 0) + a.units
    assert all(total <= LIMIT for total in totals.values())


# Years without a 29 February: the leap-day windows are pinned in test_limit.py.
NO_LEAP_DAY = st.dates(date(2029, 1, 1), date(2031, 12, 31))


@SETTINGS
@given(
    requests=st.lists(
        st.tuples(st.sampled_from(THERAPIES), NO_LEAP_DAY, st.integers(1, 120)),
        min_size=1,
        max_size=12,
    )
)
def test_no_rolling_12_month_window_ever_holds_more_than_120_units(
    requests: list[tuple[str, date, int]],
) -> None:
    holding = _approve_in_turn(BenefitYearKind.ROLLING_12_MONTHS, requests)

    # The fullest window can always be slid to begin on a charge.
    for first in {a.start_date for a in holding}:
        last = period_end(first, 12)
        assert sum(a.units for a in holding if first <= a.start_date <= last) <= LIMIT


@SETTINGS
@given(
    requested=st.integers(1, 120),
    reviewer=st.one_of(st.none(), st.integers(1, 120)),
    already=st.integers(0, 150),
)
def test_review_approves_the_least_of_requested_reviewer_and_remaining(
    requested: int, reviewer: int | None, already: int
) -> None:
    start = date(2026, 3, 2)
    holding = [held("chiropractic", date(2026, 1, 5), already)] if already else []
    reviewer = None if reviewer is None else min(reviewer, requested)
    remaining = max(0, LIMIT - already)

    decision = decide_review(
        approve=True,
        requested_units=requested,
        reviewer_units=reviewer,
        procedure_codes=("97110",),
        start_date=start,
        end_date=period_end(start, 12),
        authorizations=holding,
        policy=policy_on(start),
    )

    expected = min(requested, reviewer or requested, remaining)
    assert decision.approved_units == expected
    if expected == 0:
        assert decision.status is Status.DENIED
    elif expected < requested:
        assert decision.status is Status.PARTIALLY_APPROVED
    else:
        assert decision.status is Status.APPROVED


# (c) The 12-month period


@SETTINGS
@given(st.dates(date(1901, 1, 1), date(2098, 12, 31)))
def test_twelve_month_period_ends_the_day_before_the_anniversary(start: date) -> None:
    end = period_end(start, 12)
    anniversary = add_months(start, 12)

    assert end + timedelta(days=1) == anniversary
    assert 364 <= (end - start).days <= 365
    assert end.year in (start.year, start.year + 1)
    if (start.month, start.day) == (2, 29):
        assert (anniversary, end) == (date(start.year + 1, 3, 1), date(start.year + 1, 2, 28))
    else:
        assert anniversary == start.replace(year=start.year + 1)


@SETTINGS
@given(st.dates(date(1901, 1, 1), date(2098, 12, 31)), st.integers(-36, 36))
def test_add_months_keeps_the_day_or_rolls_to_the_first(start: date, months: int) -> None:
    result = add_months(start, months)
    target_month = (start.year * 12 + start.month - 1 + months) % 12 + 1

    if result.day == start.day:
        assert result.month == target_month
    else:
        assert result.day == 1
        assert result.month == target_month % 12 + 1
        assert calendar.monthrange(result.year - (result.month == 1), target_month)[1] < start.day


# (d) Code normalisation

ICD10_INPUT = st.from_regex(
    r"[ \t]{0,2}[A-Za-z][0-9][0-9A-Za-z](\.?[0-9A-Za-z]{1,4})?[ \t]{0,2}", fullmatch=True
)


@SETTINGS
@given(ICD10_INPUT)
def test_normalize_icd10_is_idempotent(raw: str) -> None:
    code = normalize_icd10(raw)

    assert normalize_icd10(code) == code
    assert ICD10_PATTERN.fullmatch(code)
    assert normalize_icd10(code.replace(".", "").lower()) == code


@SETTINGS
@given(st.text(max_size=12))
def test_normalize_icd10_of_any_text_is_idempotent_or_refused(raw: str) -> None:
    try:
        code = normalize_icd10(raw)
    except ValueError:
        return
    assert normalize_icd10(code) == code


@SETTINGS
@given(st.from_regex(r" ?[0-9]{4}[0-9A-Za-z] ?", fullmatch=True))
def test_normalize_cpt_is_idempotent(raw: str) -> None:
    code = normalize_cpt(raw)

    assert normalize_cpt(code) == code
    assert len(code) == 5
