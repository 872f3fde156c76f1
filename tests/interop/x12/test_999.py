"""Envelope and syntax errors get a 999 (005010X231A1) naming the segment and the element,
which pyx12's 999 map accepts; nothing is decided and nothing is written."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from precert.interop.x12.service import Answer, read
from tests.api.conftest import Scenario
from tests.conftest import npi
from tests.interop.x12.client import post, stored
from tests.interop.x12.reading import find, pyx12_errors, segments
from tests.interop.x12.writer import Request, envelope, request_278


def rejected(s: Scenario, body: str) -> list[list[str]]:
    """Post `body`; assert a 400 with a 999 that pyx12 validates; return its segments."""
    r = post(s, body)
    assert r.status_code == 400, r.text
    assert r.headers["content-type"].startswith("application/edi-x12")
    assert pyx12_errors(r.text) == [], r.text
    found = segments(r.text)
    assert found[2] == ["ST", "999", "0001", "005010X231A1"]
    assert find(found, "IK5")[0][1] == "R"
    assert find(found, "AK9")[0][:5] == ["AK9", "R", "1", "1", "0"]
    assert stored(s) == (0, 0)
    return found


def good(s: Scenario) -> Request:
    return Request(physician_npi=s.npis["doc_a"], performer_npi=s.npis["pt"])


def test_a_wrong_se_count_names_se01(scenario: Scenario) -> None:
    transaction = good(scenario).transaction()
    transaction[-1] = "SE*99*0001"
    found = rejected(scenario, envelope(transaction))
    position = str(len(transaction))
    assert find(found, "IK3") == [["IK3", "SE", position, "", "8"]]
    assert find(found, "IK4") == [["IK4", "1", "96", "7", "99"]]
    assert find(found, "IK5") == [["IK5", "R", "4"]]
    assert find(found, "AK1") == [["AK1", "HI", "17", "005010X217"]]
    assert find(found, "AK2") == [["AK2", "278", "0001", "005010X217"]]


def test_a_missing_subscriber_loop_names_the_hl_and_its_loop(scenario: Scenario) -> None:
    transaction = [
        t for t in good(scenario).transaction() if not t.startswith(("HL*3*", "NM1*IL", "DMG"))
    ]
    transaction[-1] = f"SE*{len(transaction)}*0001"
    found = rejected(scenario, envelope(transaction))
    ik3 = find(found, "IK3")
    assert ["IK3", "HL", str(len(transaction)), "2000", "3"] in ik3
    assert ["IK4", "3", "735", "1"] in find(found, "IK4")


def test_a_member_id_that_is_not_a_member_id_names_nm108(scenario: Scenario) -> None:
    transaction = [
        t.replace("****MI*", "****ZZ*") if t.startswith("NM1*IL") else t
        for t in good(scenario).transaction()
    ]
    found = rejected(scenario, envelope(transaction))
    position = next(i for i, t in enumerate(transaction, start=1) if t.startswith("NM1*IL"))
    assert find(found, "IK3") == [["IK3", "NM1", str(position), "2010", "8"]]
    assert find(found, "IK4") == [["IK4", "8", "66", "7", "ZZ"]]


def test_a_date_that_is_not_a_date_names_the_dtp_element(scenario: Scenario) -> None:
    request = good(scenario)
    request.lines[0].dates = "20260231"
    found = rejected(scenario, envelope(request.transaction()))
    assert find(found, "IK3")[0][1:5:3] == ["DTP", "8"]
    assert find(found, "IK4") == [["IK4", "3", "1251", "8", "20260231"]]


@pytest.mark.parametrize("body", ["", "garbage that is not X12", "   \r\n"])
def test_garbage_and_empty_bodies_name_the_isa(scenario: Scenario, body: str) -> None:
    found = rejected(scenario, body)
    ik3 = find(found, "IK3")
    assert len(ik3) == 1 and ik3[0][1:3] == ["ISA", "1"]
    assert find(found, "IK4")[0][1] == "1"
    assert find(found, "AK1") == [["AK1", "HI", "0", "005010X217"]]


def test_separators_the_isa_does_not_declare_are_rejected(scenario: Scenario) -> None:
    body = request_278(physician_npi=scenario.npis["doc_a"])
    # ISA16 (the component separator) made the same as the element separator.
    broken = body[:104] + "*" + body[105:]
    found = rejected(scenario, broken)
    assert find(found, "IK3")[0][1] == "ISA"
    assert find(found, "IK4")[0][1] in ("1", "16")


def test_another_version_names_gs08_and_st03(scenario: Scenario) -> None:
    request = good(scenario)
    request.version = "005010X216"
    found = rejected(scenario, envelope(request.transaction(), version="005010X216"))
    assert ["IK3", "GS", "2", "", "8"] in find(found, "IK3")
    assert ["IK4", "8", "480", "7", "005010X216"] in find(found, "IK4")
    assert ["IK3", "ST", "1", "", "8"] in find(found, "IK3")
    assert ["IK4", "3", "1705", "7", "005010X216"] in find(found, "IK4")
    assert find(found, "IK5") == [["IK5", "R", "I6"]]
    assert find(found, "AK9")[0][5:] == ["2"]


def test_control_numbers_that_do_not_pair_up_are_named(scenario: Scenario) -> None:
    body = request_278(physician_npi=scenario.npis["doc_a"]).replace("GE*1*17", "GE*2*18")
    body = body.replace("IEA*1*000000905", "IEA*1*000000906")
    found = rejected(scenario, body)
    ik4 = find(found, "IK4")
    assert ["IK4", "1", "97", "7", "2"] in ik4  # GE01: one transaction set, not two
    assert ["IK4", "2", "28", "7", "18"] in ik4  # GE02 is not GS06
    assert ["IK4", "2", "", "7", "000000906"] in ik4  # IEA02 is not ISA13
    assert sorted(find(found, "AK9")[0][5:]) == ["4", "5"]


def test_line_breaks_after_terminators_and_crlf_are_tolerated(scenario: Scenario) -> None:
    s = scenario
    body = envelope(good(s).transaction(), terminator="~\r\n")
    r = post(s, body)
    assert r.status_code == 200, r.text


@settings(max_examples=40, deadline=None, derandomize=True)
@given(data=st.data())
def test_any_mangled_interchange_is_read_or_acknowledged_never_a_crash(data: st.DataObject) -> None:
    body = request_278(physician_npi=npi(1), performer_npi=npi(11))
    for _ in range(data.draw(st.integers(1, 3))):
        at = data.draw(st.integers(0, len(body) - 1))
        cut = data.draw(st.integers(0, 4))
        body = (
            body[:at]
            + data.draw(st.sampled_from(["", "*", "~", ":", "^", "X", "9", "é"]))
            + body[at + cut :]
        )
    answer = read(body, datetime(2026, 3, 2, 12, 0, tzinfo=UTC))
    if isinstance(answer, Answer):
        assert answer.kind == "999" and answer.problems
        assert pyx12_errors(answer.text) == [], answer.text
