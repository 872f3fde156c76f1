"""GET /api/v1/precerts and GET /api/v1/precerts/{id}: only what the caller may see."""

from __future__ import annotations

from datetime import date

from tests.api.conftest import Scenario, assert_error


def test_list_has_items_and_total(scenario: Scenario) -> None:
    a = scenario.start()
    found = scenario.find()
    assert set(found) == {"items", "total"}
    assert found["total"] == 1
    [item] = found["items"]
    assert item == scenario.get(a["id"]).json()


def test_empty_list(scenario: Scenario) -> None:
    assert scenario.find() == {"items": [], "total": 0}


def test_physician_lists_only_their_own_requests(scenario: Scenario) -> None:
    mine = {scenario.start()["id"], scenario.start("chiropractic")["id"]}
    theirs = scenario.start(as_="doc_b")["id"]
    assert scenario.ids("doc_a") == mine
    assert scenario.find("doc_a")["total"] == 2
    assert scenario.ids("doc_b") == {theirs}
    assert scenario.ids("staff") == mine | {theirs}


def test_filters_by_participant_status_and_therapy(scenario: Scenario) -> None:
    scenario.world.participant("10000002")
    pt_open = scenario.start()["id"]
    chiro_done = scenario.approved("chiropractic")["id"]
    other = scenario.start(participant_id="10000002")["id"]
    denied = scenario.start("acupuncture", diagnosis_codes=["Z00.00"])["id"]
    assert scenario.ids(participant_id="10000001") == {pt_open, chiro_done, denied}
    assert scenario.ids(participant_id="10000002") == {other}
    assert scenario.ids(status="awaiting_provider") == {pt_open, other}
    assert scenario.ids(status="approved") == {chiro_done}
    assert scenario.ids(status="denied") == {denied}
    assert scenario.ids(therapy="chiropractic") == {chiro_done}
    assert scenario.ids(therapy="physical_therapy", participant_id="10000002") == {other}
    assert scenario.find(status="awaiting_provider", participant_id="10000001")["total"] == 1


def test_status_filter_sees_expiry(scenario: Scenario) -> None:
    old = scenario.start()["id"]
    with scenario.later(date(2026, 6, 1)) as later:
        expired = scenario.find(client=later, status="expired")
        assert [i["id"] for i in expired["items"]] == [old]
        assert expired["items"][0]["status"] == "expired"
        assert scenario.find(client=later, status="awaiting_provider")["total"] == 0
    assert scenario.find(status="expired")["total"] == 0


def test_limit_and_offset_page_through_the_list(scenario: Scenario) -> None:
    made = {scenario.start()["id"] for _ in range(3)}
    first = scenario.find(limit=2)
    second = scenario.find(limit=2, offset=2)
    assert first["total"] == second["total"] == 3
    assert len(first["items"]) == 2 and len(second["items"]) == 1
    assert {i["id"] for i in first["items"] + second["items"]} == made


def test_bad_paging_is_a_422(scenario: Scenario) -> None:
    for params, field in (({"limit": 0}, "limit"), ({"offset": -1}, "offset")):
        r = scenario.client.get(
            "/api/v1/precerts", headers=scenario.headers["staff"], params=params
        )
        body = assert_error(r, 422, "VALIDATION_ERROR")
        assert body["fields"][0]["field"] == field
    r = scenario.client.get(
        "/api/v1/precerts", headers=scenario.headers["staff"], params={"limit": "many"}
    )
    assert_error(r, 422, "VALIDATION_ERROR")


# -- providers: what they hold, and open requests of their therapy by participant ---------------


def test_provider_without_participant_id_lists_only_what_it_holds(scenario: Scenario) -> None:
    scenario.start()
    held = scenario.approved("physical_therapy", units=5, as_="pt")["id"]
    assert scenario.ids("pt") == {held}
    assert scenario.ids("pt2") == set()


def test_provider_finds_open_requests_of_its_therapy_by_participant(scenario: Scenario) -> None:
    pt_open = scenario.start()["id"]
    chiro_open = scenario.start("chiropractic")["id"]
    acu_open = scenario.start("acupuncture")["id"]
    assert scenario.ids("pt", participant_id="10000001") == {pt_open}
    assert scenario.ids("pt2", participant_id="10000001") == {pt_open}
    assert scenario.ids("chiro", participant_id="10000001") == {chiro_open}
    assert scenario.ids("acu", participant_id="10000001") == {acu_open}
    assert scenario.ids("chiro", participant_id="10000001", therapy="physical_therapy") == set()


def test_provider_lists_held_and_open_together(scenario: Scenario) -> None:
    held = scenario.approved(units=5)["id"]
    pt_open = scenario.start(as_="doc_b")["id"]
    assert scenario.ids("pt", participant_id="10000001") == {held, pt_open}
    assert scenario.ids("pt2", participant_id="10000001") == {pt_open}


def test_provider_does_not_find_expired_or_closed_requests(scenario: Scenario) -> None:
    cancelled = scenario.start()["id"]
    assert scenario.cancel(cancelled).status_code == 200
    denied = scenario.start(diagnosis_codes=["Z00.00"])["id"]
    assert scenario.ids("pt", participant_id="10000001") == set()
    still_open = scenario.start()["id"]
    with scenario.later(date(2026, 6, 1)) as later:
        found = scenario.find("pt", client=later, participant_id="10000001")
        assert found["total"] == 0
    assert {cancelled, denied, still_open} <= scenario.ids("staff")


def test_admin_cannot_list_or_read(scenario: Scenario) -> None:
    precert = scenario.start()
    r = scenario.client.get("/api/v1/precerts", headers=scenario.headers["admin"])
    assert_error(r, 403, "FORBIDDEN")
    assert_error(scenario.get(precert["id"], as_="admin"), 403, "FORBIDDEN")


def test_reading_an_unknown_request_is_a_404(scenario: Scenario) -> None:
    assert_error(scenario.get("PC-0000000000"), 404, "NOT_FOUND")
    assert_error(scenario.get("not-an-id"), 404, "NOT_FOUND")


def test_every_reader_sees_the_same_document(scenario: Scenario) -> None:
    done = scenario.approved()
    views = [scenario.get(done["id"], as_=who).json() for who in ("staff", "doc_a", "pt")]
    assert views[0] == views[1] == views[2] == done
