"""`POST /x12/278`: request/response pairs for each review action, the two steps, the roles
and the business rejections (AAA), through the same services as the REST API."""

from __future__ import annotations

from sqlalchemy import select

from precert.models.interop import InteropMessage
from tests.api.conftest import Scenario
from tests.interop.x12.client import decided, hcr, post, stored
from tests.interop.x12.reading import check_278_response, find, segments
from tests.interop.x12.writer import Line, request_278


def test_staff_278_with_both_providers_is_certified_in_total(scenario: Scenario) -> None:
    s = scenario
    loops = decided(s, performer_npi=s.npis["pt"], lines=[Line("97110", 8), Line("97530", 4)])
    event = loops.one("2000E")
    action, number, reason = hcr(event)[1:4]
    assert (action, reason) == ("A1", "")
    assert number.startswith("PC-")
    assert ["DTP", "AAH", "RD8", "20260310-20270309"] in event
    assert find(event, "TRN") == [["TRN", "2", "TRACE-0001", "9SUBMITTER"]]
    lines = loops.of("2000F")
    assert [hcr(line)[1:3] for line in lines] == [["A1", number], ["A1", number]]
    assert [find(line, "SV1")[0][4] for line in lines] == ["8", "4"]
    precert = s.get(number).json()
    assert (precert["status"], precert["approved_units"]) == ("approved", 12)
    assert precert["procedure_codes"] == ["97110", "97530"]
    assert precert["diagnosis_codes"] == ["M54.50"]
    assert stored(s) == (1, 1)


def test_diagnosis_not_on_the_list_is_not_certified_with_886_0r(scenario: Scenario) -> None:
    s = scenario
    loops = decided(s, performer_npi=s.npis["pt"], diagnoses=("J069",))
    event = loops.one("2000E")
    assert hcr(event)[1:4] == ["A3", "", "0R"]
    precert_id = find(event, "REF")[0][2]
    assert find(event, "REF")[0][:2] == ["REF", "NT"] and precert_id.startswith("PC-")
    assert "DIAGNOSIS_NOT_APPROVED - None of the diagnoses (J06.9)" in find(event, "MSG")[0][1]
    assert not find(event, "DTP"), "no approved period"
    assert hcr(loops.one("2000F"))[1:4] == ["A3", "", "0R"]
    assert s.get(precert_id).json()["status"] == "denied"


def test_overlapping_approval_is_pended_with_an_administrative_reference(
    scenario: Scenario,
) -> None:
    s = scenario
    first = s.approved(units=10)
    loops = decided(s, performer_npi=s.npis["pt"], trace="TRACE-0002")
    event = loops.one("2000E")
    assert hcr(event)[1:4] == ["A4", "", "0Q"]
    ref = find(event, "REF")[0]
    assert ref[:2] == ["REF", "NT"] and ref[2] != first["id"]
    assert (
        "DUPLICATE_AUTHORIZATION - The participant already holds approved "
        f"pre-certification {first['id']}" in find(event, "MSG")[0][1]
    )
    assert hcr(loops.one("2000F"))[1] == "A4"
    assert s.get(ref[2]).json()["status"] == "pended"


def test_physician_278_is_step_1_and_pended_awaiting_the_performing_provider(
    scenario: Scenario,
) -> None:
    s = scenario
    # The physician names the intended performer; a physician's token still sends step 1 only.
    loops = decided(s, as_="doc_a", performer_npi=s.npis["pt"])
    event = loops.one("2000E")
    assert hcr(event)[1:4] == ["A4", "", ""]
    precert_id = find(event, "REF")[0][2]
    assert find(event, "MSG")[0][1].startswith("AWAITING_PERFORMING_PROVIDER - Step 1 is recorded")
    assert s.get(precert_id).json()["status"] == "awaiting_provider"


def test_units_beyond_the_annual_limit_are_modified_to_what_remains(scenario: Scenario) -> None:
    s = scenario
    s.approved(units=115)  # physical therapy: 5 of the 120 units remain in 2026
    loops = decided(
        s,
        performer_npi=s.npis["chiro"],
        lines=[Line("98940", 8)],
    )
    event = loops.one("2000E")
    action, number, reason = hcr(event)[1:4]
    assert (action, reason) == ("A6", "0L")
    line = loops.one("2000F")
    assert hcr(line)[1:4] == ["A6", number, "0L"]
    assert find(line, "SV1")[0][4] == "5", "SV104 carries the units authorized"
    assert "UNITS_REDUCED_TO_LIMIT" in find(line, "MSG")[0][1]
    assert s.get(number).json()["approved_units"] == 5


def test_step_1_then_step_2_by_278_naming_the_pre_certification(scenario: Scenario) -> None:
    s = scenario
    step1 = decided(s, as_="doc_a")
    precert_id = find(step1.one("2000E"), "REF")[0][2]
    step2 = decided(
        s,
        as_="pt",
        performer_npi=s.npis["pt"],
        prior=precert_id,
        trace="TRACE-0002",
        lines=[Line("97110", 12)],
    )
    event = step2.one("2000E")
    assert hcr(event)[1:3] == ["A1", precert_id]
    precert = s.get(precert_id).json()
    assert (precert["status"], precert["provider_npi"], precert["approved_units"]) == (
        "approved",
        s.npis["pt"],
        12,
    )
    assert stored(s) == (1, 2)


def test_a_physicians_token_may_not_complete_a_pre_certification(scenario: Scenario) -> None:
    s = scenario
    step1 = decided(s, as_="doc_a")
    precert_id = find(step1.one("2000E"), "REF")[0][2]
    loops = decided(s, as_="doc_a", performer_npi=s.npis["pt"], prior=precert_id)
    event = loops.one("2000E")
    assert find(event, "AAA") == [["AAA", "N", "", "41", "C"]]
    assert not find(event, "HCR")
    assert s.get(precert_id).json()["status"] == "awaiting_provider"
    assert stored(s) == (1, 1)


def test_a_providers_token_may_not_start_a_pre_certification(scenario: Scenario) -> None:
    s = scenario
    loops = decided(s, as_="pt", performer_npi=s.npis["pt"])
    event = loops.one("2000E")
    assert find(event, "AAA") == [["AAA", "N", "", "41", "C"]]
    assert not any(find(body, "HCR") for _, body in loops.loops)
    assert stored(s) == (0, 0)


def test_a_physician_naming_another_physicians_npi_is_refused_in_2010b(
    scenario: Scenario,
) -> None:
    s = scenario
    loops = decided(s, as_="doc_b", physician_npi=s.npis["doc_a"])
    assert find(loops.one("2000B"), "AAA") == [["AAA", "N", "", "41", "N"]]
    assert stored(s) == (0, 0)


def test_unknown_member_is_rejected_in_2010c_and_nothing_is_written(scenario: Scenario) -> None:
    s = scenario
    loops = decided(s, performer_npi=s.npis["pt"], member_id="10009999")
    subscriber = loops.one("2000C")
    assert find(subscriber, "AAA") == [["AAA", "N", "", "75", "C"]]
    assert [s[0] for s in subscriber] == ["HL", "NM1", "AAA", "DMG"]
    assert not any(find(body, "HCR") for _, body in loops.loops)
    assert stored(s) == (0, 0)


def test_birth_date_that_contradicts_the_roster_is_rejected_in_2010c(scenario: Scenario) -> None:
    s = scenario
    loops = decided(s, performer_npi=s.npis["pt"], birth_date="19800102")
    assert find(loops.one("2000C"), "AAA") == [["AAA", "N", "", "71", "C"]]
    assert stored(s) == (0, 0)


def test_a_service_line_problem_is_rejected_in_its_2000f(scenario: Scenario) -> None:
    s = scenario
    # Units beyond the per-request maximum (120) are a problem of that line's SV104.
    loops = decided(s, performer_npi=s.npis["pt"], lines=[Line("97110", 121)])
    assert find(loops.one("2000F"), "AAA")[0][:4] == ["AAA", "N", "", "33"]
    assert stored(s) == (0, 0)


def test_no_token_is_a_401_and_a_wrong_content_type_a_415(scenario: Scenario) -> None:
    s = scenario
    body = request_278(physician_npi=s.npis["doc_a"])
    r = post(s, body, "nobody")
    assert r.status_code == 401 and r.json()["error"] == "UNAUTHENTICATED"
    r = post(s, body, "staff", media="application/json")
    assert r.status_code == 415 and r.json()["error"] == "UNSUPPORTED_MEDIA_TYPE"
    assert stored(s) == (0, 0)


def test_the_request_is_kept_with_the_pre_certification_it_reached(scenario: Scenario) -> None:
    s = scenario
    body = request_278(physician_npi=s.npis["doc_a"], performer_npi=s.npis["pt"])
    r = post(s, body)
    number = hcr(check_278_response(r.text).one("2000E"))[2]
    with s.world.sessions() as session:
        message = session.execute(select(InteropMessage)).scalar_one()
    assert (message.precert_id, message.standard, message.step) == (number, "x12-278", "1+2")
    assert (message.source_system, message.source_id) == ("SUBMITTER/SUBMITTER", "TRACE-0001")
    assert message.body == {"x12": body}
    assert segments(r.text)[0][6].strip() == "MOHEALTHNET", "sender and receiver are swapped"
