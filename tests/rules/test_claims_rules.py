"""Claims-time checks as a pure function: `decide_line`, every reason on its boundary.

The caller hands `decide_line` the participant's eligibility, the approved pre-certifications
(`Held`), the units each has used and the units used in the benefit year of the date of
service, across the three therapies. Here they are plain values.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from precert.rules.claims import ClaimLine, Frequency, Held, LineDecision, Outcome, decide_line
from precert.rules.dates import benefit_year, period_end
from precert.rules.facts import Span
from tests.rules.factories import CPT, OPEN_DIAGNOSIS, npi, policy_on

PARTICIPANT_ID = "10000001"
BILLING = npi(2)
OTHER = npi(3)
START = date(2026, 3, 10)
END = period_end(START, 12)  # 2027-03-09
SERVICE = date(2026, 6, 15)
OPEN = (Span(date(2020, 1, 1), None),)
LIMIT = 120


def claim(
    *,
    therapy: str = "physical_therapy",
    code: str | None = None,
    on: date = SERVICE,
    units: int = 4,
    billing: str = BILLING,
    diagnoses: Sequence[str] = (OPEN_DIAGNOSIS,),
) -> ClaimLine:
    return ClaimLine(
        claim_id="CLM-1",
        line_number=1,
        frequency=Frequency.ORIGINAL,
        original_claim_id=None,
        participant_id=PARTICIPANT_ID,
        billing_npi=billing,
        rendering_npi=billing,
        procedure_code=code or CPT[therapy],
        diagnosis_codes=tuple(diagnoses),
        date_of_service=on,
        units=units,
    )


def precert(
    precert_id: str = "PC-A",
    *,
    therapy: str = "physical_therapy",
    holder: str = BILLING,
    codes: Sequence[str] | None = None,
    start: date = START,
    end: date = END,
    units: int = 40,
) -> Held:
    return Held(
        precert_id=precert_id,
        therapy=therapy,
        provider_npi=holder,
        procedure_codes=frozenset(codes if codes is not None else (CPT[therapy],)),
        start_date=start,
        end_date=end,
        approved_units=units,
    )


def decide(
    line: ClaimLine,
    held: Sequence[Held] = (),
    *,
    used: dict[str, int] | None = None,
    year_used: int = 0,
    eligibility: Sequence[Span] = OPEN,
) -> LineDecision:
    policy = policy_on(line.date_of_service)
    return decide_line(
        line,
        policy=policy,
        eligibility=eligibility,
        held=held,
        used=used or {},
        year_used=year_used,
        year=benefit_year(policy.benefit_year, line.date_of_service),
    )


def message(decision: LineDecision, code: str) -> str:
    (found,) = [f.message for f in decision.findings if f.code == code]
    return found


def covered(decision: LineDecision, units: int, precert_id: str = "PC-A") -> None:
    assert decision.outcome is Outcome.COVERED, decision
    assert decision.covered_units == units
    assert decision.precert_id == precert_id
    assert decision.reason_codes == ()


# -- the period of the pre-certification --------------------------------------------------------


@pytest.mark.parametrize(
    ("on", "inside"),
    [
        pytest.param(START - timedelta(days=1), False, id="day-before-start"),
        pytest.param(START, True, id="first-day"),
        pytest.param(END, True, id="last-day"),
        pytest.param(END + timedelta(days=1), False, id="day-after-end"),
    ],
)
def test_period_boundaries(on: date, inside: bool) -> None:
    decision = decide(claim(on=on), [precert()])
    if inside:
        covered(decision, 4)
        assert decision.therapy == "physical_therapy"
    else:
        assert decision.outcome is Outcome.NOT_COVERED
        assert decision.covered_units == 0
        assert decision.precert_id is None
        assert decision.reason_codes == ("NO_PRECERT",)
        assert on.isoformat() in message(decision, "NO_PRECERT")
        assert "physical therapy" in message(decision, "NO_PRECERT")


def test_no_precert_at_all() -> None:
    decision = decide(claim())
    assert (decision.outcome, decision.reason_codes) == (Outcome.NOT_COVERED, ("NO_PRECERT",))


def test_precert_of_another_therapy_covers_nothing() -> None:
    decision = decide(claim(therapy="chiropractic"), [precert()])
    assert decision.reason_codes == ("NO_PRECERT",)
    assert decision.therapy == "chiropractic"
    assert "chiropractic" in message(decision, "NO_PRECERT")


# -- the units of the pre-certification ---------------------------------------------------------


def test_exactly_the_units_left_are_covered() -> None:
    covered(decide(claim(units=4), [precert(units=40)], used={"PC-A": 36}), 4)


def test_one_more_than_left_is_reduced_to_what_is_left() -> None:
    decision = decide(claim(units=5), [precert(units=40)], used={"PC-A": 36})
    assert decision.outcome is Outcome.REDUCED
    assert decision.covered_units == 4
    assert decision.precert_id == "PC-A"
    assert decision.reason_codes == ("PRECERT_UNITS_EXHAUSTED",)
    text = message(decision, "PRECERT_UNITS_EXHAUSTED")
    assert "5 units were billed" in text and "4 of its 40" in text and "4 are covered" in text


def test_no_units_left_is_not_covered() -> None:
    decision = decide(claim(units=1), [precert(units=40)], used={"PC-A": 40})
    assert decision.outcome is Outcome.NOT_COVERED
    assert decision.covered_units == 0
    assert decision.precert_id == "PC-A"
    assert decision.reason_codes == ("PRECERT_UNITS_EXHAUSTED",)
    assert "0 of its 40" in message(decision, "PRECERT_UNITS_EXHAUSTED")


def test_units_used_beyond_approved_count_as_none_left() -> None:
    # A review may lower approved units below what claims already used.
    decision = decide(claim(units=1), [precert(units=10)], used={"PC-A": 12})
    assert (decision.outcome, decision.covered_units) == (Outcome.NOT_COVERED, 0)
    assert decision.reason_codes == ("PRECERT_UNITS_EXHAUSTED",)


# -- the 120 units of the benefit year, across therapies -----------------------------------------


@pytest.mark.parametrize("therapy", ["physical_therapy", "chiropractic", "acupuncture"])
def test_the_120th_unit_of_the_year_is_covered(therapy: str) -> None:
    line = claim(therapy=therapy, units=1)
    covered(decide(line, [precert(therapy=therapy)], year_used=LIMIT - 1), 1)


@pytest.mark.parametrize("therapy", ["physical_therapy", "chiropractic", "acupuncture"])
def test_a_unit_past_the_120th_is_not_covered(therapy: str) -> None:
    line = claim(therapy=therapy, units=1)
    decision = decide(line, [precert(therapy=therapy)], year_used=LIMIT)
    assert decision.outcome is Outcome.NOT_COVERED
    assert decision.covered_units == 0
    assert decision.precert_id == "PC-A"
    assert decision.reason_codes == ("ANNUAL_LIMIT_REACHED",)
    text = message(decision, "ANNUAL_LIMIT_REACHED")
    assert "2026-01-01 to 2026-12-31" in text and "120 units are used" in text


def test_more_than_the_year_has_left_is_reduced_to_the_limit() -> None:
    decision = decide(claim(units=10), [precert()], year_used=115)
    assert decision.outcome is Outcome.REDUCED
    assert decision.covered_units == 5
    assert decision.reason_codes == ("UNITS_REDUCED_TO_LIMIT",)
    text = message(decision, "UNITS_REDUCED_TO_LIMIT")
    assert text.startswith("10 units were billed but only 5 of the 120-unit annual limit")
    assert text.endswith("5 are covered.")


def test_the_year_is_the_benefit_year_of_the_date_of_service() -> None:
    decision = decide(claim(on=date(2027, 1, 4), units=10), [precert()], year_used=115)
    assert "2027-01-01 to 2027-12-31" in message(decision, "UNITS_REDUCED_TO_LIMIT")


# -- both cuts ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("precert_left", "year_left", "expected"),
    [
        pytest.param(3, 5, 3, id="precert-smaller"),
        pytest.param(5, 3, 3, id="year-smaller"),
        pytest.param(4, 4, 4, id="equal"),
    ],
)
def test_both_cuts_give_the_smaller_figure_and_both_reasons(
    precert_left: int, year_left: int, expected: int
) -> None:
    decision = decide(
        claim(units=10),
        [precert(units=40)],
        used={"PC-A": 40 - precert_left},
        year_used=LIMIT - year_left,
    )
    assert decision.outcome is Outcome.REDUCED
    assert decision.covered_units == expected
    assert decision.reason_codes == ("PRECERT_UNITS_EXHAUSTED", "UNITS_REDUCED_TO_LIMIT")
    assert f"{expected} are covered" in message(decision, "PRECERT_UNITS_EXHAUSTED")
    assert f"only {year_left} of the 120" in message(decision, "UNITS_REDUCED_TO_LIMIT")


def test_both_exhausted_is_not_covered_with_both_reasons() -> None:
    decision = decide(claim(units=2), [precert(units=40)], used={"PC-A": 40}, year_used=LIMIT)
    assert (decision.outcome, decision.covered_units) == (Outcome.NOT_COVERED, 0)
    assert decision.reason_codes == ("PRECERT_UNITS_EXHAUSTED", "ANNUAL_LIMIT_REACHED")


def test_precert_exhausted_with_year_left_below_billed() -> None:
    decision = decide(claim(units=10), [precert(units=40)], used={"PC-A": 40}, year_used=118)
    assert (decision.outcome, decision.covered_units) == (Outcome.NOT_COVERED, 0)
    assert decision.reason_codes == ("PRECERT_UNITS_EXHAUSTED", "UNITS_REDUCED_TO_LIMIT")


# -- the billing NPI ------------------------------------------------------------------------------


def test_billed_under_another_npi_is_a_mismatch() -> None:
    decision = decide(claim(billing=OTHER), [precert(holder=BILLING)])
    assert decision.outcome is Outcome.NOT_COVERED
    assert decision.covered_units == 0
    assert decision.precert_id == "PC-A"
    assert decision.reason_codes == ("BILLING_PROVIDER_MISMATCH",)
    text = message(decision, "BILLING_PROVIDER_MISMATCH")
    assert OTHER in text and BILLING in text and "PC-A" in text


def test_mismatch_names_the_covering_precert_ending_first() -> None:
    held = [
        precert("PC-LATE", holder=npi(4), end=END),
        precert("PC-EARLY", holder=npi(5), end=END - timedelta(days=30)),
    ]
    decision = decide(claim(billing=OTHER), held)
    assert decision.reason_codes == ("BILLING_PROVIDER_MISMATCH",)
    assert decision.precert_id == "PC-EARLY"


def test_no_mismatch_when_the_billing_npi_holds_one_among_others() -> None:
    held = [precert("PC-OTHER", holder=OTHER, end=END - timedelta(days=60)), precert("PC-OWN")]
    covered(decide(claim(), held), 4, "PC-OWN")


def test_own_precert_with_no_units_left_is_exhausted_not_a_mismatch() -> None:
    held = [precert("PC-OTHER", holder=OTHER), precert("PC-OWN", units=10)]
    decision = decide(claim(), held, used={"PC-OWN": 10})
    assert decision.precert_id == "PC-OWN"
    assert decision.reason_codes == ("PRECERT_UNITS_EXHAUSTED",)


def test_own_precert_outside_the_date_of_service_does_not_count() -> None:
    held = [
        precert("PC-OWN-OLD", start=date(2025, 1, 1), end=date(2025, 12, 31)),
        precert("PC-OTHER", holder=OTHER),
    ]
    decision = decide(claim(), held)
    assert decision.reason_codes == ("BILLING_PROVIDER_MISMATCH",)
    assert decision.precert_id == "PC-OTHER"


def test_own_precert_of_another_therapy_does_not_count() -> None:
    held = [precert("PC-OWN-CHIRO", therapy="chiropractic"), precert("PC-OTHER", holder=OTHER)]
    decision = decide(claim(), held)
    assert decision.reason_codes == ("BILLING_PROVIDER_MISMATCH",)
    assert decision.precert_id == "PC-OTHER"


# -- the choice among several ---------------------------------------------------------------------


def test_the_own_precert_ending_first_is_used() -> None:
    held = [
        precert("PC-LATE", end=END),
        precert("PC-EARLY", start=date(2026, 1, 1), end=date(2026, 12, 31)),
        precert("PC-OTHER", holder=OTHER, end=date(2026, 7, 1)),
    ]
    covered(decide(claim(), held), 4, "PC-EARLY")


def test_a_precert_with_no_units_left_is_passed_over() -> None:
    held = [
        precert("PC-LATE", end=END),
        precert("PC-EARLY", end=date(2026, 12, 31), units=10),
    ]
    covered(decide(claim(), held, used={"PC-EARLY": 10}), 4, "PC-LATE")


def test_the_one_ending_first_with_some_units_left_is_used_even_if_fewer_than_billed() -> None:
    """One line, one pre-certification: the earliest end with units left, not the fullest."""
    held = [
        precert("PC-LATE", end=END),
        precert("PC-EARLY", end=date(2026, 12, 31), units=10),
    ]
    decision = decide(claim(units=4), held, used={"PC-EARLY": 8})
    assert (decision.outcome, decision.covered_units) == (Outcome.REDUCED, 2)
    assert decision.precert_id == "PC-EARLY"
    assert decision.reason_codes == ("PRECERT_UNITS_EXHAUSTED",)


def test_all_own_exhausted_names_the_one_ending_first() -> None:
    held = [precert("PC-LATE", end=END, units=5), precert("PC-EARLY", end=date(2026, 12, 31))]
    decision = decide(claim(), held, used={"PC-LATE": 5, "PC-EARLY": 40})
    assert decision.precert_id == "PC-EARLY"
    assert decision.reason_codes == ("PRECERT_UNITS_EXHAUSTED",)


def test_the_precert_authorizing_the_procedure_comes_first() -> None:
    held = [
        precert("PC-EARLY", end=date(2026, 12, 31), codes=("97530",)),
        precert("PC-LATE", end=END, codes=("97110",)),
    ]
    covered(decide(claim(code="97110"), held), 4, "PC-LATE")


def test_same_end_date_is_settled_by_id() -> None:
    held = [precert("PC-B"), precert("PC-A")]
    covered(decide(claim(), held), 4, "PC-A")


# -- the procedure ------------------------------------------------------------------------------


def test_procedure_of_the_therapy_not_authorized_by_the_precert() -> None:
    decision = decide(claim(code="97530"), [precert(codes=("97110", "97161"))])
    assert decision.outcome is Outcome.NOT_COVERED
    assert decision.covered_units == 0
    assert decision.precert_id == "PC-A"
    assert decision.reason_codes == ("PROCEDURE_NOT_AUTHORIZED",)
    text = message(decision, "PROCEDURE_NOT_AUTHORIZED")
    assert "97530" in text and "PC-A" in text and "97110, 97161" in text


@pytest.mark.parametrize("code", ["99999", "00100", "97010"])
def test_procedure_of_no_therapy_is_not_in_the_program(code: str) -> None:
    decision = decide(claim(code=code), [precert()])
    assert decision.outcome is Outcome.NOT_COVERED
    assert decision.covered_units == 0
    assert decision.precert_id is None
    assert decision.therapy is None
    assert decision.reason_codes == ("PROCEDURE_NOT_IN_PROGRAM",)
    assert code in message(decision, "PROCEDURE_NOT_IN_PROGRAM")


@pytest.mark.parametrize(
    ("therapy", "code"),
    [("physical_therapy", "97530"), ("chiropractic", "98941"), ("acupuncture", "97813")],
)
def test_each_code_belongs_to_its_therapy(therapy: str, code: str) -> None:
    covered(decide(claim(code=code), [precert(therapy=therapy, codes=(code,))]), 4)


# -- eligibility on the date of service ---------------------------------------------------------


@pytest.mark.parametrize(
    ("span", "eligible"),
    [
        pytest.param(Span(date(2020, 1, 1), SERVICE - timedelta(days=1)), False, id="ended-eve"),
        pytest.param(Span(date(2020, 1, 1), SERVICE), True, id="ends-that-day"),
        pytest.param(Span(SERVICE, None), True, id="starts-that-day"),
        pytest.param(Span(SERVICE + timedelta(days=1), None), False, id="starts-next-day"),
    ],
)
def test_eligibility_on_the_date_of_service(span: Span, eligible: bool) -> None:
    decision = decide(claim(), [precert()], eligibility=(span,))
    if eligible:
        covered(decision, 4)
    else:
        assert decision.outcome is Outcome.NOT_COVERED
        assert decision.covered_units == 0
        assert decision.precert_id == "PC-A"
        assert decision.reason_codes == ("PARTICIPANT_NOT_ELIGIBLE",)
        assert SERVICE.isoformat() in message(decision, "PARTICIPANT_NOT_ELIGIBLE")


def test_eligibility_in_a_gap_between_spans() -> None:
    spans = (Span(date(2020, 1, 1), date(2026, 5, 31)), Span(date(2026, 7, 1), None))
    decision = decide(claim(), [precert()], eligibility=spans)
    assert decision.reason_codes == ("PARTICIPANT_NOT_ELIGIBLE",)


def test_not_eligible_and_no_precert_gives_both_reasons() -> None:
    decision = decide(claim(), [], eligibility=())
    assert decision.reason_codes == ("PARTICIPANT_NOT_ELIGIBLE", "NO_PRECERT")


def test_not_eligible_and_billed_under_another_npi_gives_both_reasons() -> None:
    decision = decide(claim(billing=OTHER), [precert()], eligibility=())
    assert decision.reason_codes == ("PARTICIPANT_NOT_ELIGIBLE", "BILLING_PROVIDER_MISMATCH")


# -- the primary diagnosis on the date of service -----------------------------------------------

OLD_START = date(2021, 3, 1)
OLD_END = period_end(OLD_START, 12)


@pytest.mark.parametrize(
    ("code", "on", "approved"),
    [
        pytest.param("M54.5", date(2021, 9, 30), True, id="M54.5-last-day"),
        pytest.param("M54.5", date(2021, 10, 1), False, id="M54.5-day-after"),
        pytest.param("M54.50", date(2021, 9, 30), False, id="M54.50-day-before"),
        pytest.param("M54.50", date(2021, 10, 1), True, id="M54.50-first-day"),
    ],
)
def test_primary_diagnosis_on_the_date_of_service(code: str, on: date, approved: bool) -> None:
    line = claim(on=on, diagnoses=(code,))
    decision = decide(line, [precert(start=OLD_START, end=OLD_END)])
    if approved:
        covered(decision, 4)
    else:
        assert decision.outcome is Outcome.NOT_COVERED
        assert decision.covered_units == 0
        assert decision.precert_id == "PC-A"
        assert decision.reason_codes == ("DIAGNOSIS_NOT_APPROVED",)
        text = message(decision, "DIAGNOSIS_NOT_APPROVED")
        assert code in text and on.isoformat() in text


def test_only_the_primary_diagnosis_counts() -> None:
    held = [precert(start=OLD_START, end=OLD_END)]
    after = date(2021, 10, 1)
    decision = decide(claim(on=after, diagnoses=("M54.5", "M54.50")), held)
    assert decision.reason_codes == ("DIAGNOSIS_NOT_APPROVED",)
    covered(decide(claim(on=after, diagnoses=("M54.50", "M54.5")), held), 4)


def test_unapproved_diagnosis_and_ineligible_give_both_reasons_and_no_units() -> None:
    decision = decide(claim(diagnoses=("Z00.00",)), [precert()], eligibility=())
    assert decision.reason_codes == ("PARTICIPANT_NOT_ELIGIBLE", "DIAGNOSIS_NOT_APPROVED")
    assert (decision.outcome, decision.covered_units) == (Outcome.NOT_COVERED, 0)


# -- purity -------------------------------------------------------------------------------------


def test_deciding_does_not_change_the_counters() -> None:
    used = {"PC-A": 10}
    decide(claim(units=4), [precert()], used=used, year_used=10)
    assert used == {"PC-A": 10}


def test_frequency_does_not_change_the_decision() -> None:
    line = claim()
    again = replace(line, frequency=Frequency.REPLACEMENT, original_claim_id="CLM-0")
    assert decide(line, [precert()]) == decide(again, [precert()])


# -- a property over many cases -----------------------------------------------------------------

CODES = ("97110", "97530", "98940", "97810", "99999")
THERAPY_OF = {"97110": "physical_therapy", "97530": "physical_therapy"}
THERAPY_OF |= {"98940": "chiropractic", "97810": "acupuncture"}
NPIS = (BILLING, OTHER)


@st.composite
def cases(draw: st.DrawFn) -> tuple[ClaimLine, list[Held], dict[str, int], int]:
    on = draw(st.dates(date(2026, 1, 1), date(2027, 12, 31)))
    line = claim(
        code=draw(st.sampled_from(CODES)),
        on=on,
        units=draw(st.integers(1, 120)),
        billing=draw(st.sampled_from(NPIS)),
    )
    held: list[Held] = []
    used: dict[str, int] = {}
    for index in range(draw(st.integers(0, 4))):
        start = on + timedelta(days=draw(st.integers(-400, 30)))
        approved = draw(st.integers(0, 120))
        held.append(
            precert(
                f"PC-{index}",
                therapy=draw(st.sampled_from(sorted(set(THERAPY_OF.values())))),
                holder=draw(st.sampled_from(NPIS)),
                codes=draw(st.lists(st.sampled_from(CODES[:4]), min_size=1, max_size=3)),
                start=start,
                end=period_end(start, 12),
                units=approved,
            )
        )
        used[f"PC-{index}"] = draw(st.integers(0, approved))
    return line, held, used, draw(st.integers(0, 130))


@settings(max_examples=400, deadline=None)
@given(cases(), st.booleans())
def test_covered_units_never_exceed_billed_precert_or_year(
    case: tuple[ClaimLine, list[Held], dict[str, int], int], eligible: bool
) -> None:
    line, held, used, year_used = case
    decision = decide(
        line, held, used=dict(used), year_used=year_used, eligibility=OPEN if eligible else ()
    )

    assert 0 <= decision.covered_units <= line.units
    assert decision.covered_units <= max(LIMIT - year_used, 0)
    if decision.precert_id is not None:
        (match,) = [h for h in held if h.precert_id == decision.precert_id]
        assert decision.covered_units <= match.approved_units - used[match.precert_id]
        assert match.start_date <= line.date_of_service <= match.end_date
        assert match.therapy == THERAPY_OF.get(line.procedure_code)
    if decision.covered_units:
        assert eligible
        assert decision.precert_id is not None
        assert match.provider_npi == line.billing_npi
        assert line.procedure_code in match.procedure_codes
    expected = (
        Outcome.NOT_COVERED
        if decision.covered_units == 0
        else Outcome.COVERED
        if decision.covered_units == line.units
        else Outcome.REDUCED
    )
    assert decision.outcome is expected
    # A line paid in full carries no reason; any cut says why.
    assert (decision.reason_codes == ()) is (decision.outcome is Outcome.COVERED)


@settings(max_examples=200, deadline=None)
@given(cases())
def test_the_choice_prefers_own_authorizing_precerts_with_units_ending_first(
    case: tuple[ClaimLine, list[Held], dict[str, int], int],
) -> None:
    line, held, used, _ = case
    decision = decide(line, held, used=dict(used))
    therapy = THERAPY_OF.get(line.procedure_code)
    covering = [
        h
        for h in held
        if h.therapy == therapy and h.start_date <= line.date_of_service <= h.end_date
    ]
    own = [h for h in covering if h.provider_npi == line.billing_npi]
    if therapy is None:
        assert decision.reason_codes == ("PROCEDURE_NOT_IN_PROGRAM",)
    elif not covering:
        assert decision.reason_codes == ("NO_PRECERT",)
    elif not own:
        assert decision.reason_codes == ("BILLING_PROVIDER_MISMATCH",)
    else:
        assert "BILLING_PROVIDER_MISMATCH" not in decision.reason_codes
        usable = [
            h
            for h in own
            if line.procedure_code in h.procedure_codes and h.approved_units > used[h.precert_id]
        ]
        if usable:
            best = min(usable, key=lambda h: (h.end_date, h.precert_id))
            assert decision.precert_id == best.precert_id
            assert decision.covered_units > 0
