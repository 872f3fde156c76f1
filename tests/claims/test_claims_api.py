"""POST /api/v1/claims/check and POST /api/v1/claims, on SQLite and PostgreSQL.

Check decides and records nothing; record decides, stores the answer and uses the units. Lines
of one request are decided in order; a retried (claim_id, line_number) gets its first answer;
voids give units back once; a replacement voids its original and is decided anew; a malformed
line makes the whole request a 422 and records nothing.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from precert.claims.lines import FIELDS, MAX_UNITS
from precert.claims.schemas import ClaimLineIn
from tests.api.conftest import assert_error, fields_of
from tests.claims.conftest import Claims, codes, outcome
from tests.conftest import npi

# -- check and record ---------------------------------------------------------------------------


def test_check_decides_and_records_nothing(claims: Claims) -> None:
    pc = claims.s.approved(units=10)["id"]

    (answer,) = claims.check(claims.line(units=4))

    assert outcome(answer) == ("covered", 4, pc)
    assert answer["reasons"] == []
    assert claims.count() == 0
    assert claims.used(pc) == (0, 10)
    assert claims.s.units()["used"] == 0
    # Checked again, the same answer: nothing was used.
    assert claims.check(claims.line(units=4)) == [answer]
    # Recorded later, the line is still decided and now uses its units.
    assert claims.record(claims.line(units=4)) == [answer]
    assert claims.count() == 1
    assert claims.used(pc) == (4, 6)
    # A check now sees the recorded units.
    (later,) = claims.check(claims.line("CLM-2", units=8))
    assert outcome(later) == ("reduced", 6, pc)
    assert codes(later) == ["PRECERT_UNITS_EXHAUSTED"]
    assert claims.used(pc) == (4, 6)


@pytest.mark.parametrize("path", ["", "/check"])
def test_lines_are_answered_in_order_each_seeing_the_units_before(
    claims: Claims, path: str
) -> None:
    pc = claims.s.approved(units=10)["id"]
    lines = [
        claims.line("A", units=4),
        claims.line("B", billing_npi=claims.s.npis["pt2"], rendering_npi=claims.s.npis["pt2"]),
        claims.line("C", units=4),
        claims.line("D", units=4),
        claims.line("E", units=1),
        claims.line("F", procedure_code="99999"),
    ]

    answers = claims.record(*lines) if path == "" else claims.check(*lines)

    assert [a["claim_id"] for a in answers] == ["A", "B", "C", "D", "E", "F"]
    assert [outcome(a) for a in answers] == [
        ("covered", 4, pc),
        ("not_covered", 0, pc),
        ("covered", 4, pc),
        ("reduced", 2, pc),
        ("not_covered", 0, pc),
        ("not_covered", 0, None),
    ]
    assert [codes(a) for a in answers] == [
        [],
        ["BILLING_PROVIDER_MISMATCH"],
        [],
        ["PRECERT_UNITS_EXHAUSTED"],
        ["PRECERT_UNITS_EXHAUSTED"],
        ["PROCEDURE_NOT_IN_PROGRAM"],
    ]
    recorded = path == ""
    assert claims.count() == (6 if recorded else 0)
    assert claims.used(pc) == ((10, 0) if recorded else (0, 10))


def test_x12_frequency_code_1_is_an_original(claims: Claims) -> None:
    pc = claims.s.approved(units=10)["id"]
    (answer,) = claims.record(claims.line(frequency="1"))
    assert outcome(answer) == ("covered", 4, pc)


# -- retries ------------------------------------------------------------------------------------


def test_a_retry_gets_the_first_answer_and_uses_no_more_units(claims: Claims) -> None:
    pc = claims.s.approved(units=10)["id"]
    (first,) = claims.record(claims.line("A", units=4))
    claims.record(claims.line("B", units=6))
    assert claims.used(pc) == (10, 0)

    # Sent again after the units ran out: still the first answer, nothing more used.
    assert claims.record(claims.line("A", units=4)) == [first]
    assert outcome(first) == ("covered", 4, pc)
    assert claims.used(pc) == (10, 0)
    assert claims.count() == 2
    # Even when the retry differs: the stored answer stands.
    assert claims.record(claims.line("A", units=9, date_of_service="2026-05-01")) == [first]
    assert claims.used(pc) == (10, 0)
    assert claims.s.units()["used"] == 10


def test_a_retry_within_one_request_uses_units_once(claims: Claims) -> None:
    pc = claims.s.approved(units=10)["id"]

    answers = claims.record(claims.line("A", units=4), claims.line("A", units=8))

    assert answers[0] == answers[1]
    assert outcome(answers[0]) == ("covered", 4, pc)
    assert claims.used(pc) == (4, 6)
    assert claims.count() == 1


def test_a_retried_reduced_line_stays_reduced_after_units_come_back(claims: Claims) -> None:
    pc = claims.s.approved(units=10)["id"]
    claims.record(claims.line("A", units=6))
    (reduced,) = claims.record(claims.line("B", units=6))
    assert outcome(reduced) == ("reduced", 4, pc)
    claims.record(claims.void("V", "A"))
    assert claims.used(pc) == (4, 6)

    assert claims.record(claims.line("B", units=6)) == [reduced]
    assert claims.used(pc) == (4, 6)


def test_lines_differing_only_in_line_number_are_two_lines(claims: Claims) -> None:
    pc = claims.s.approved(units=10)["id"]
    answers = claims.record(claims.line("A", units=3), claims.line("A", line_number=2, units=3))
    assert [outcome(a) for a in answers] == [("covered", 3, pc), ("covered", 3, pc)]
    assert claims.used(pc) == (6, 4)


# -- voids and replacements ---------------------------------------------------------------------


@pytest.mark.parametrize("frequency", ["void", "8"])
def test_a_void_gives_the_units_back(claims: Claims, frequency: str) -> None:
    pc = claims.s.approved(units=10)["id"]
    claims.record(claims.line("A", units=6))
    assert claims.used(pc) == (6, 4)

    (void,) = claims.record(claims.line("V", frequency=frequency, original_claim_id="A"))

    assert outcome(void) == ("not_covered", 0, pc)
    assert codes(void) == ["CLAIM_LINE_VOIDED"]
    message = void["reasons"][0]["message"]
    assert "claim A line 1" in message and "6 covered units" in message
    assert claims.used(pc) == (0, 10)
    assert claims.s.units()["used"] == 0
    # The units are there to use again.
    (again,) = claims.record(claims.line("B", units=10))
    assert outcome(again) == ("covered", 10, pc)


def test_a_second_void_changes_nothing(claims: Claims) -> None:
    pc = claims.s.approved(units=10)["id"]
    claims.record(claims.line("A", units=6))
    (first,) = claims.record(claims.void("V1", "A"))
    claims.record(claims.line("B", units=4))
    assert claims.used(pc) == (4, 6)

    (second,) = claims.record(claims.void("V2", "A"))

    assert outcome(second) == ("not_covered", 0, pc)
    assert codes(second) == ["CLAIM_LINE_ALREADY_VOIDED"]
    assert claims.used(pc) == (4, 6)
    # A retry of the first void is its first answer, not a second void.
    assert claims.record(claims.void("V1", "A")) == [first]
    assert codes(first) == ["CLAIM_LINE_VOIDED"]
    assert claims.used(pc) == (4, 6)
    assert claims.s.units()["used"] == 4


def test_two_voids_of_one_line_in_one_request(claims: Claims) -> None:
    pc = claims.s.approved(units=10)["id"]
    claims.record(claims.line("A", units=6))

    answers = claims.record(claims.void("V1", "A"), claims.void("V2", "A"))

    assert [codes(a) for a in answers] == [["CLAIM_LINE_VOIDED"], ["CLAIM_LINE_ALREADY_VOIDED"]]
    assert claims.used(pc) == (0, 10)


def test_a_void_of_a_line_earlier_in_the_same_request(claims: Claims) -> None:
    pc = claims.s.approved(units=10)["id"]

    answers = claims.record(claims.line("A", units=6), claims.void("V", "A"))

    assert outcome(answers[0]) == ("covered", 6, pc)
    assert outcome(answers[1]) == ("not_covered", 0, pc)
    assert codes(answers[1]) == ["CLAIM_LINE_VOIDED"]
    assert claims.used(pc) == (0, 10)
    assert claims.count() == 2
    # The voided line keeps its first answer on a retry; its units stay given back.
    assert outcome(claims.record(claims.line("A", units=6))[0]) == ("covered", 6, pc)
    assert claims.used(pc) == (0, 10)


def test_a_void_of_a_line_not_covered_gives_nothing_back(claims: Claims) -> None:
    pc = claims.s.approved(units=10)["id"]
    claims.record(claims.line("A", procedure_code="97530"))  # not authorized
    claims.record(claims.line("B", units=4))

    (void,) = claims.record(claims.void("V", "A"))

    assert codes(void) == ["CLAIM_LINE_VOIDED"]
    assert "0 covered units" in void["reasons"][0]["message"]
    assert claims.used(pc) == (4, 6)


def test_a_check_of_a_void_gives_nothing_back(claims: Claims) -> None:
    pc = claims.s.approved(units=10)["id"]
    claims.record(claims.line("A", units=6))

    (void,) = claims.check(claims.void("V", "A"))

    assert codes(void) == ["CLAIM_LINE_VOIDED"]
    assert claims.used(pc) == (6, 4)
    assert claims.count() == 1
    # Nothing was voided: a real void still gives the units back.
    assert codes(claims.record(claims.void("V", "A"))[0]) == ["CLAIM_LINE_VOIDED"]
    assert claims.used(pc) == (0, 10)


@pytest.mark.parametrize("frequency", ["replacement", "7"])
def test_a_replacement_voids_the_original_and_decides_the_new_line(
    claims: Claims, frequency: str
) -> None:
    pc = claims.s.approved(units=10)["id"]
    claims.record(claims.line("A", units=4))

    (new,) = claims.record(claims.line("R", frequency=frequency, original_claim_id="A", units=10))

    # The original's 4 units came back before the new line was decided.
    assert outcome(new) == ("covered", 10, pc)
    assert "CLAIM_LINE_ALREADY_VOIDED" not in codes(new)
    assert claims.used(pc) == (10, 0)
    assert claims.s.units()["used"] == 10
    # The original is voided: voiding it again gives nothing back.
    (void,) = claims.record(claims.void("V", "A"))
    assert codes(void) == ["CLAIM_LINE_ALREADY_VOIDED"]
    assert claims.used(pc) == (10, 0)
    # The replacement itself can be voided.
    claims.record(claims.void("V2", "R"))
    assert claims.used(pc) == (0, 10)


def test_a_replacement_corrects_line_for_line(claims: Claims) -> None:
    pc = claims.s.approved(units=10)["id"]
    claims.record(claims.line("A", units=3), claims.line("A", line_number=2, units=4))

    (new,) = claims.record(claims.replacement("R", "A", line_number=2, units=5))

    assert outcome(new) == ("covered", 5, pc)
    assert claims.used(pc) == (8, 2)


def test_a_replacement_is_decided_as_a_new_line(claims: Claims) -> None:
    pc = claims.s.approved(units=10)["id"]
    claims.record(claims.line("A", units=4))

    (new,) = claims.record(claims.replacement("R", "A", procedure_code="97530"))

    assert outcome(new) == ("not_covered", 0, pc)
    assert codes(new) == ["PROCEDURE_NOT_AUTHORIZED"]
    assert claims.used(pc) == (0, 10)


@pytest.mark.parametrize("frequency", ["void", "replacement"])
def test_a_correction_reusing_the_original_claim_id_is_a_422(
    claims: Claims, frequency: str
) -> None:
    """A correction must carry its own claim_id: the same one would read as a retry."""
    pc = claims.s.approved(units=10)["id"]
    claims.record(claims.line("A", units=4))

    r = claims.post("", {"lines": [claims.line("A", frequency=frequency, original_claim_id="A")]})

    assert r.status_code == 422, r.text
    assert fields_of(r) == {"lines[0].original_claim_id"}
    assert "its own claim_id" in r.text
    assert claims.used(pc) == (4, 6)
    assert claims.count() == 1


@pytest.mark.parametrize("frequency", ["void", "replacement"])
@pytest.mark.parametrize("path", ["", "/check"])
def test_a_correction_of_an_unknown_original_is_a_422(
    claims: Claims, frequency: str, path: str
) -> None:
    pc = claims.s.approved(units=10)["id"]
    claims.record(claims.line("A", units=2))
    body = {
        "lines": [
            claims.line("B", units=3),
            claims.line("X", frequency=frequency, original_claim_id="NOPE"),
            claims.line("Y", frequency=frequency, original_claim_id="A", line_number=2),
        ]
    }

    r = claims.post(path, body)

    assert_error(r, 422, "VALIDATION_ERROR")
    assert fields_of(r) == {"lines[1].original_claim_id", "lines[2].original_claim_id"}
    assert claims.count() == 1
    assert claims.used(pc) == (2, 8)


def test_a_void_of_a_line_later_in_the_same_request_is_a_422(claims: Claims) -> None:
    claims.s.approved(units=10)
    r = claims.post("", {"lines": [claims.void("V", "A"), claims.line("A")]})
    assert fields_of(r) == {"lines[0].original_claim_id"}
    assert claims.count() == 0


# -- malformed lines ----------------------------------------------------------------------------


def _bad_npi() -> str:
    good = npi(11)
    return good[:-1] + str((int(good[-1]) + 1) % 10)


MALFORMED = [
    pytest.param("units", 0, "units", id="units-0"),
    pytest.param("units", 121, "units", id="units-121"),
    pytest.param("units", "four", "units", id="units-text"),
    pytest.param("units", None, "units", id="units-missing"),
    pytest.param("billing_npi", _bad_npi(), "billing_npi", id="billing-npi-check-digit"),
    pytest.param("rendering_npi", _bad_npi(), "rendering_npi", id="rendering-npi-check-digit"),
    pytest.param("billing_npi", "12345", "billing_npi", id="billing-npi-short"),
    pytest.param("procedure_code", "ABC", "procedure_code", id="procedure-code"),
    pytest.param("diagnosis_codes", [], "diagnosis_codes", id="no-diagnosis"),
    pytest.param("diagnosis_codes", "M54.50", None, id="diagnosis-string-is-fine"),
    pytest.param(
        "diagnosis_codes", ["M54.50", "NOT-A-CODE"], "diagnosis_codes[1]", id="diagnosis-bad"
    ),
    pytest.param("date_of_service", "2026-02-30", "date_of_service", id="date-30-feb"),
    pytest.param("date_of_service", "04/01/2026", "date_of_service", id="date-us-format"),
    pytest.param("participant_id", "1234", "participant_id", id="participant-short"),
    pytest.param("participant_id", "99999999", "participant_id", id="participant-unknown"),
    pytest.param("frequency", "9", "frequency", id="frequency-9"),
    pytest.param("frequency", "adjustment", "frequency", id="frequency-word"),
    pytest.param("claim_id", "", "claim_id", id="claim-id-empty"),
    pytest.param("claim_id", "has space", "claim_id", id="claim-id-space"),
    pytest.param("claim_id", "C" * 51, "claim_id", id="claim-id-51"),
    pytest.param("line_number", 0, "line_number", id="line-number-0"),
    pytest.param("original_claim_id", "A", "original_claim_id", id="original-on-original"),
]


@pytest.mark.parametrize(("field", "value", "named"), MALFORMED)
def test_a_malformed_line_among_good_ones_is_a_422_recording_nothing(
    claims: Claims, field: str, value: Any, named: str | None
) -> None:
    pc = claims.s.approved(units=10)["id"]
    lines = [claims.line(f"G{i}", units=1) for i in range(4)]
    if value is None:
        del lines[2][field]
    else:
        lines[2][field] = value

    r = claims.post("", {"lines": lines})

    if named is None:
        assert r.status_code == 200, r.text
        return
    assert_error(r, 422, "VALIDATION_ERROR")
    assert fields_of(r) == {f"lines[2].{named}"}
    assert claims.count() == 0
    assert claims.used(pc) == (0, 10)


def test_every_bad_line_is_named(claims: Claims) -> None:
    lines = [
        claims.line("A", units=0),
        claims.line("B", participant_id="99999999"),
        claims.line("C"),
        claims.line("D", billing_npi=_bad_npi(), date_of_service="2026-13-01"),
        claims.void("E", "NOPE"),
    ]
    r = claims.post("", {"lines": lines})
    assert fields_of(r) == {
        "lines[0].units",
        "lines[1].participant_id",
        "lines[3].billing_npi",
        "lines[3].date_of_service",
        "lines[4].original_claim_id",
    }
    assert claims.count() == 0


@pytest.mark.parametrize("path", ["", "/check"])
@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"lines": []}, id="0-lines"),
        pytest.param({"lines": "many"}, id="not-a-list"),
        pytest.param({}, id="no-lines"),
        pytest.param([], id="array-body"),
    ],
)
def test_no_lines_is_a_422(claims: Claims, path: str, body: Any) -> None:
    r = claims.post(path, body)
    assert_error(r, 422, "VALIDATION_ERROR")
    assert fields_of(r) == {"lines"}


@pytest.mark.parametrize("path", ["", "/check"])
def test_1001_lines_is_a_422_and_1000_are_decided(claims: Claims, path: str) -> None:
    pc = claims.s.approved(units=120)["id"]
    lines = [claims.line(f"L{i:04d}", units=1) for i in range(1001)]

    r = claims.post(path, {"lines": lines})
    assert_error(r, 422, "VALIDATION_ERROR")
    assert fields_of(r) == {"lines"}
    assert claims.count() == 0

    r = claims.post(path, {"lines": lines[:1000]})
    assert r.status_code == 200, r.text
    answers = r.json()["lines"]
    assert [a["claim_id"] for a in answers] == [f"L{i:04d}" for i in range(1000)]
    assert sum(a["covered_units"] for a in answers) == 120
    assert [a["outcome"] for a in answers[119:121]] == ["covered", "not_covered"]
    assert claims.used(pc)[0] == (120 if path == "" else 0)


def test_a_body_that_is_not_json_is_a_422(claims: Claims) -> None:
    r = claims.s.client.post(
        "/api/v1/claims",
        headers={**claims.s.headers["claims"], "Content-Type": "application/json"},
        content=b"{not json",
    )
    assert_error(r, 422, "VALIDATION_ERROR")
    assert fields_of(r) == {"body"}


def test_the_documented_line_is_the_line_read() -> None:
    """OpenAPI's ClaimLineIn and the hand-written reader name the same fields and bounds."""
    assert tuple(ClaimLineIn.model_fields) == FIELDS
    units = ClaimLineIn.model_json_schema()["properties"]["units"]
    assert (units["minimum"], units["maximum"]) == (1, MAX_UNITS)


# -- access -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("claims", 200),
        ("staff", 403),
        ("admin", 403),
        ("doc_a", 403),
        ("pt", 403),
        ("nobody", 401),
        ("bad_token", 401),
    ],
)
def test_only_the_claims_system_may_record(claims: Claims, who: str, status: int) -> None:
    pc = claims.s.approved(units=10)["id"]
    r = claims.post("", {"lines": [claims.line()]}, as_=who)
    assert r.status_code == status, r.text
    if status != 200:
        assert claims.count() == 0
        assert claims.used(pc) == (0, 10)


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("claims", 200),
        ("staff", 200),
        ("pt", 200),
        ("pt2", 403),
        ("chiro", 403),
        ("doc_a", 403),
        ("admin", 403),
        ("nobody", 401),
        ("bad_token", 401),
    ],
)
def test_who_may_check_a_line_billed_by_pt(claims: Claims, who: str, status: int) -> None:
    claims.s.approved(units=10)
    r = claims.post("/check", {"lines": [claims.line()]}, as_=who)
    assert r.status_code == status, r.text
    if status == 200:
        assert r.json()["lines"][0]["outcome"] == "covered"


def test_a_provider_may_not_check_a_batch_with_one_line_of_another_npi(claims: Claims) -> None:
    claims.s.approved(units=10)
    other = claims.s.npis["pt2"]
    lines = [claims.line("A"), claims.line("B", billing_npi=other)]
    r = claims.post("/check", {"lines": lines}, as_="pt")
    assert_error(r, 403, "FORBIDDEN")
    # Rendered by someone else but billed under its own NPI is its own line.
    (answer,) = claims.check(claims.line("C", rendering_npi=other), as_="pt")
    assert answer["outcome"] == "covered"


def test_a_provider_checking_a_malformed_own_line_gets_a_422(claims: Claims) -> None:
    r = claims.post("/check", {"lines": [claims.line(units=0)]}, as_="pt")
    assert fields_of(r) == {"lines[0].units"}


@pytest.mark.parametrize("lines", [5, "A", {"claim_id": "A"}, None])
def test_a_provider_sending_lines_that_are_not_a_list_gets_a_422(
    claims: Claims, lines: object
) -> None:
    r = claims.post("/check", {"lines": lines}, as_="pt")
    assert fields_of(r) == {"lines"}


# -- units on the participant and the pre-certification ----------------------------------------


def test_units_used_by_therapy_and_on_each_precert(claims: Claims) -> None:
    s = claims.s
    pt = s.approved(units=20)["id"]
    chiro = s.approved("chiropractic", units=30)["id"]
    claims.record(
        claims.line("P1", units=5),
        claims.line("P2", units=7, date_of_service="2026-12-31"),
        claims.line("K1", "chiropractic", units=3),
        claims.line("K2", "chiropractic", units=40),  # reduced to the 27 left
    )

    assert claims.used(pt) == (12, 8)
    assert claims.used(chiro) == (30, 0)
    units = s.units()
    assert units["used"] == 42
    assert units["used_by_therapy"] == {
        "physical_therapy": 12,
        "chiropractic": 30,
        "acupuncture": 0,
    }
    # What was authorized keeps its meaning.
    assert (units["authorized"], units["remaining"]) == (50, 70)
    assert units["by_therapy"] == {"physical_therapy": 20, "chiropractic": 30, "acupuncture": 0}

    claims.record(claims.void("V", "K2"))
    assert claims.used(chiro) == (3, 27)
    assert s.units()["used_by_therapy"]["chiropractic"] == 3
    assert s.units()["used"] == 15
    # Claims in the next calendar year count there, not here.
    claims.record(claims.line("P3", units=2, date_of_service="2027-01-04"))
    assert claims.used(pt) == (14, 6)
    assert s.units()["used"] == 15
    next_year = s.units(year="2027")
    assert next_year["used"] == 2
    assert next_year["used_by_therapy"]["physical_therapy"] == 2


def test_a_new_precert_starts_with_nothing_used(claims: Claims) -> None:
    done = claims.s.approved(units=10)
    assert (done["used_units"], done["units_remaining"]) == (0, 10)
    started = claims.s.start("chiropractic")
    assert (started["used_units"], started["units_remaining"]) == (0, None)


def test_the_120_units_of_the_year_are_shared_by_the_therapies(claims: Claims) -> None:
    """A PT period charged to 2026 runs into 2027, where a chiropractic period starts."""
    s = claims.s
    pt = s.approved(units=120)["id"]
    later = s.complete(
        s.start("chiropractic", start_date="2027-01-05"), units=120, start_date="2027-01-05"
    )
    assert (later["status"], later["start_date"]) == ("approved", "2027-01-05"), later
    chiro = later["id"]
    in_2027 = {"date_of_service": "2027-02-01"}

    answers = claims.record(
        claims.line("P1", units=20, date_of_service="2026-12-31"),
        claims.line("P2", units=100, **in_2027),
        claims.line("K1", "chiropractic", units=19, **in_2027),
        claims.line("K2", "chiropractic", units=1, **in_2027),
        claims.line("K3", "chiropractic", units=1, **in_2027),
    )

    assert [outcome(a) for a in answers] == [
        ("covered", 20, pt),
        ("covered", 100, pt),
        ("covered", 19, chiro),
        ("covered", 1, chiro),  # the 120th unit of 2027
        ("not_covered", 0, chiro),
    ]
    assert codes(answers[4]) == ["ANNUAL_LIMIT_REACHED"]
    assert "2027-01-01 to 2027-12-31" in answers[4]["reasons"][0]["message"]
    # A void in 2027 frees a 2027 unit; the next line is cut to it.
    claims.record(claims.void("V", "K2"))
    (cut,) = claims.record(claims.line("K4", "chiropractic", units=5, **in_2027))
    assert outcome(cut) == ("reduced", 1, chiro)
    assert codes(cut) == ["UNITS_REDUCED_TO_LIMIT"]
    assert s.units(year="2027")["used"] == 120
    assert s.units()["used"] == 20


def test_both_cuts_give_the_smaller_figure(claims: Claims) -> None:
    s = claims.s
    pt = s.approved(units=110)["id"]
    acu = s.approved("acupuncture", units=10)["id"]
    claims.record(claims.line("P1", units=108), claims.line("A1", "acupuncture", units=5))

    (both,) = claims.record(claims.line("P2", units=10))

    assert outcome(both) == ("reduced", 2, pt)  # 2 left on the PT period, 7 in the year
    assert codes(both) == ["PRECERT_UNITS_EXHAUSTED", "UNITS_REDUCED_TO_LIMIT"]
    (last,) = claims.record(claims.line("A2", "acupuncture", units=10))
    assert outcome(last) == ("reduced", 5, acu)
    assert s.units()["used"] == 120


# -- which pre-certification covers ---------------------------------------------------------------


def test_billed_under_another_npi_is_a_mismatch(claims: Claims) -> None:
    pc = claims.s.approved(units=10)["id"]
    pt2 = claims.s.npis["pt2"]
    (answer,) = claims.record(claims.line(billing_npi=pt2, rendering_npi=claims.s.npis["pt"]))
    assert outcome(answer) == ("not_covered", 0, pc)
    assert codes(answer) == ["BILLING_PROVIDER_MISMATCH"]
    assert claims.used(pc) == (0, 10)


def test_the_billing_npis_own_precert_covers_when_two_are_held(claims: Claims) -> None:
    s = claims.s
    mine = s.approved(units=10)["id"]
    pended = s.complete(s.start(as_="doc_b"), as_="pt2", units=10)
    assert pended["status"] == "pended"
    pt2 = {"billing_npi": s.npis["pt2"], "rendering_npi": s.npis["pt2"]}
    # Pended holds nothing: pt2's line is a mismatch against pt's period.
    (before,) = claims.record(claims.line("B1", **pt2))
    assert outcome(before) == ("not_covered", 0, mine)
    assert codes(before) == ["BILLING_PROVIDER_MISMATCH"]

    r = s.review(pended["id"], {"decision": "approve", "note": "second clinic"})
    assert r.status_code == 200, r.text
    answers = claims.record(claims.line("B2", **pt2), claims.line("A1"))
    assert [outcome(a) for a in answers] == [
        ("covered", 4, pended["id"]),
        ("covered", 4, mine),
    ]


def test_a_procedure_the_precert_does_not_authorize(claims: Claims) -> None:
    pc = claims.s.approved(units=10)["id"]
    (answer,) = claims.record(claims.line(procedure_code="97530"))
    assert outcome(answer) == ("not_covered", 0, pc)
    assert codes(answer) == ["PROCEDURE_NOT_AUTHORIZED"]
    assert "97110" in answer["reasons"][0]["message"]


@pytest.mark.parametrize(
    ("on", "expected"),
    [
        ("2026-03-09", ["NO_PRECERT"]),
        ("2026-03-10", []),
        ("2027-03-09", []),
        ("2027-03-10", ["NO_PRECERT"]),
    ],
)
def test_the_period_on_its_boundaries(claims: Claims, on: str, expected: list[str]) -> None:
    pc = claims.s.approved(units=10)["id"]
    (answer,) = claims.record(claims.line(date_of_service=on))
    assert codes(answer) == expected
    assert outcome(answer) == (("covered", 4, pc) if not expected else ("not_covered", 0, None))


def test_eligibility_is_checked_on_the_date_of_service(claims: Claims) -> None:
    s = claims.s
    ends = s.world.participant("10000002", spans=((date(2020, 1, 1), date(2026, 5, 31)),))
    pc = s.complete(s.start(participant_id=ends), units=10)["id"]
    who = {"participant_id": ends}

    answers = claims.record(
        claims.line("A", date_of_service="2026-05-31", **who),
        claims.line("B", date_of_service="2026-06-01", **who),
    )

    assert outcome(answers[0]) == ("covered", 4, pc)
    assert outcome(answers[1]) == ("not_covered", 0, pc)
    assert codes(answers[1]) == ["PARTICIPANT_NOT_ELIGIBLE"]
    assert claims.used(pc) == (4, 6)


def test_the_primary_diagnosis_is_checked_on_the_date_of_service(claims: Claims) -> None:
    pc = claims.s.approved(units=10)["id"]
    answers = claims.record(
        claims.line("A", diagnosis_codes=["M54.5"]),
        claims.line("B", diagnosis_codes=["M54.50", "M54.5"]),
        claims.line("C", diagnosis_codes="Z00.00 | M54.50"),
    )
    assert [codes(a) for a in answers] == [
        ["DIAGNOSIS_NOT_APPROVED"],
        [],
        ["DIAGNOSIS_NOT_APPROVED"],
    ]
    assert claims.used(pc) == (4, 6)


def test_lines_of_two_participants_in_one_request(claims: Claims) -> None:
    s = claims.s
    other = s.world.participant("10000002")
    mine = s.approved(units=4)["id"]
    theirs = s.complete(s.start(participant_id=other), units=4)["id"]

    answers = claims.record(
        claims.line("A"),
        claims.line("B", participant_id=other),
        claims.line("C", units=1),
        claims.line("D", participant_id=other, units=1),
    )

    assert [outcome(a) for a in answers] == [
        ("covered", 4, mine),
        ("covered", 4, theirs),
        ("not_covered", 0, mine),
        ("not_covered", 0, theirs),
    ]
    assert s.units(other)["used"] == 4


# -- pre-certifications that hold nothing -------------------------------------------------------


def test_a_cancelled_precert_covers_nothing(claims: Claims) -> None:
    s = claims.s
    pc = s.approved(units=10)["id"]
    claims.record(claims.line("A", units=4))
    r = s.cancel(pc)
    assert r.status_code == 200, r.text

    (answer,) = claims.record(claims.line("B", units=4))

    assert outcome(answer) == ("not_covered", 0, None)
    assert codes(answer) == ["NO_PRECERT"]
    assert claims.count() == 2


def test_a_denied_precert_covers_nothing(claims: Claims) -> None:
    s = claims.s
    denied = s.complete(s.start(), procedure_codes=["98940"])
    assert denied["status"] == "denied"
    (answer,) = claims.record(claims.line("A", procedure_code="97110"))
    assert codes(answer) == ["NO_PRECERT"]
    assert answer["precert_id"] is None


def test_a_precert_denied_on_review_covers_nothing(claims: Claims) -> None:
    s = claims.s
    first = s.approved(units=10)["id"]
    pended = s.complete(s.start(as_="doc_b"), as_="pt2", units=10)
    r = s.review(pended["id"], {"decision": "deny", "note": "true duplicate"})
    assert r.json()["status"] == "denied"
    assert s.cancel(first).status_code == 200

    pt2 = {"billing_npi": s.npis["pt2"], "rendering_npi": s.npis["pt2"]}
    answers = claims.record(claims.line("A", **pt2), claims.line("B"))

    assert [codes(a) for a in answers] == [["NO_PRECERT"], ["NO_PRECERT"]]


def test_a_request_awaiting_step_2_covers_nothing(claims: Claims) -> None:
    claims.s.start()
    (answer,) = claims.record(claims.line())
    assert codes(answer) == ["NO_PRECERT"]
