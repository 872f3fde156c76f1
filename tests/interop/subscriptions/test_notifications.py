"""Subscribers receive PAS results at a real HTTP listener: when step 2 is completed (REST or
PAS) and when staff decide a pended request; only their organization's; and in order."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle
from sqlalchemy import select

from precert.db import transaction
from precert.models.interop import Delivery
from precert.models.interop import Subscription as SubscriptionRow
from tests.api.conftest import Scenario
from tests.interop.fhir import pas
from tests.interop.subscriptions.conftest import (
    TOPIC,
    deliver,
    parameter,
    pas_response,
    review_actions,
    subscribed,
)


def deliveries(s: Scenario, subscription_id: str) -> list[Delivery]:
    with transaction(s.world.sessions, write=False) as session:
        query = (
            select(Delivery)
            .where(Delivery.subscription_id == subscription_id)
            .order_by(Delivery.event_number)
        )
        return list(session.execute(query).scalars())


def events_counted(s: Scenario, subscription_id: str) -> int:
    with transaction(s.world.sessions, write=False) as session:
        row = session.get(SubscriptionRow, subscription_id)
        assert row is not None
        return row.events


def test_a_new_subscription_is_confirmed_by_a_handshake(scenario: Scenario, listeners: Any) -> None:
    listener = listeners()
    created = subscribed(scenario, "pt", scenario.npis["pt"], listener.url)
    assert created["status"] == "active"
    [handshake] = listener.received
    assert handshake.kind == "handshake"
    assert handshake.body["type"] == "history"
    assert parameter(handshake.body, "status")["valueCode"] == "requested"
    assert parameter(handshake.body, "events-since-subscription-start")["valueString"] == "0"
    assert parameter(handshake.body, "topic")["valueCanonical"] == TOPIC
    reference = parameter(handshake.body, "subscription")["valueReference"]["reference"]
    assert reference.endswith(f"/fhir/Subscription/{created['id']}")
    assert handshake.headers["content-type"] == "application/fhir+json"


def test_completing_step_2_notifies_the_performer_with_the_full_pas_response(
    scenario: Scenario, listeners: Any
) -> None:
    s = scenario
    listener = listeners()
    created = subscribed(
        s,
        "pt",
        s.npis["pt"],
        listener.url,
        channel={
            "type": "rest-hook",
            "endpoint": listener.url,
            "payload": "application/fhir+json",
            "header": ["Authorization: Bearer subscriber-secret"],
        },
    )
    precert = s.approved(units=10)
    assert precert["status"] == "approved"

    sent = deliver(s.world)

    assert (sent.delivered, sent.failed) == (1, 0)
    [event] = listener.events()
    assert event.headers["authorization"] == "Bearer subscriber-secret"
    assert event.headers["content-type"] == "application/fhir+json"
    body = event.body
    Bundle.model_validate(body)  # a valid R4(B) Bundle
    assert body["type"] == "history"
    status = body["entry"][0]
    assert status["resource"]["resourceType"] == "Parameters"
    assert status["request"]["url"].endswith(f"/Subscription/{created['id']}/$status")
    assert parameter(body, "type")["valueCode"] == "event-notification"
    assert parameter(body, "status")["valueCode"] == "active"
    assert parameter(body, "events-since-subscription-start")["valueString"] == "1"
    parts = {p["name"]: p for p in parameter(body, "notification-event")["part"]}
    assert parts["event-number"]["valueString"] == "1"
    assert parts["timestamp"]["valueInstant"]
    assert parts["focus"]["valueReference"]["reference"] == body["entry"][1]["fullUrl"]
    response = pas_response(body)
    assert response["meta"]["profile"] == [
        "http://hl7.org/fhir/us/davinci-pas/StructureDefinition/profile-pas-response-bundle"
    ]
    claim_response = response["entry"][0]["resource"]
    assert claim_response["preAuthRef"] == precert["id"]
    assert review_actions(body) == ["A1"]
    [row] = deliveries(s, created["id"])
    assert row.delivered_at is not None and row.attempts == 1 and row.last_error is None
    assert events_counted(s, created["id"]) == 1


def test_step_2_sent_by_pas_notifies_the_prescribers_subscription(
    scenario: Scenario, listeners: Any
) -> None:
    s = scenario
    listener = listeners()
    subscribed(s, "doc_a", s.npis["doc_a"], listener.url)
    first = pas.submit(s, pas.request(requester=s.npis["doc_a"]), "doc_a")
    precert_id = pas.claim_response(first)["preAuthRef"]
    update = pas.request(
        requester=s.npis["pt"], physician=s.npis["doc_a"], identifier="TRN-0002", prior="TRN-0001"
    )
    pas.submit(s, update, "pt")

    assert deliver(s.world).delivered == 1

    [event] = listener.events()  # step 1 alone is no result: only step 2 is notified
    response = pas_response(event.body)
    assert response["entry"][0]["resource"]["preAuthRef"] == precert_id
    assert review_actions(event.body) == ["A1"]
    # The notification echoes the performer's own Claim, as the $submit answer did.
    claim = response["entry"][1]["resource"]
    assert claim["identifier"][0]["value"] == "TRN-0002"


@pytest.mark.parametrize(("decision", "code"), [("approve", "A1"), ("deny", "A3")])
def test_a_staff_decision_on_a_pended_request_is_notified(
    scenario: Scenario, listeners: Any, decision: str, code: str
) -> None:
    s = scenario
    listener = listeners()
    created = subscribed(s, "pt2", s.npis["pt2"], listener.url)
    s.approved(units=10)  # pt's approval: not pt2's organization
    second = s.start(as_="doc_b")
    pended = s.complete(second, as_="pt2", units=30)
    assert pended["status"] == "pended"
    r = s.review(pended["id"], {"decision": decision, "note": "reviewed"})
    assert r.status_code == 200, r.text

    assert deliver(s.world).delivered == 2

    first, then = listener.events()
    assert (first.event_number, then.event_number) == (1, 2)
    assert review_actions(first.body) == ["A4"]  # pended
    assert review_actions(then.body) == [code]
    assert pas_response(then.body)["entry"][0]["resource"]["preAuthRef"] == pended["id"]
    assert events_counted(s, created["id"]) == 2


def test_subscriptions_see_only_their_organizations_results(
    scenario: Scenario, listeners: Any
) -> None:
    s = scenario
    pt, chiro, doc_b, staff = listeners(), listeners(), listeners(), listeners()
    subscribed(s, "pt", s.npis["pt"], pt.url)
    subscribed(s, "chiro", s.npis["chiro"], chiro.url)
    subscribed(s, "doc_b", s.npis["doc_b"], doc_b.url)
    subscribed(s, "staff", s.npis["chiro"], staff.url)  # staff may follow any organization
    precert = s.approved("physical_therapy")  # doc_a and pt
    chiropractic = s.approved("chiropractic")  # doc_a and chiro

    assert deliver(s.world).delivered == 3

    def ids(listener: Any) -> list[str]:
        return [
            pas_response(e.body)["entry"][0]["resource"]["preAuthRef"] for e in listener.events()
        ]

    assert ids(pt) == [precert["id"]]
    assert ids(chiro) == [chiropractic["id"]]
    assert ids(staff) == [chiropractic["id"]]
    assert ids(doc_b) == []


def test_a_subscriber_that_is_down_gets_every_notification_in_order_when_back(
    scenario: Scenario, listeners: Any
) -> None:
    s = scenario
    listener = listeners(started=False)
    created = subscribed(s, "doc_a", s.npis["doc_a"], listener.url)
    assert created["status"] == "error"  # the handshake found nobody
    first = s.approved("physical_therapy")
    second = s.approved("chiropractic")
    third = s.approved("acupuncture")

    sent = deliver(s.world)

    # Only the oldest was tried: later events never overtake it.
    assert (sent.delivered, sent.failed) == (0, 1)
    rows = deliveries(s, created["id"])
    assert [r.event_number for r in rows] == [1, 2, 3]
    assert [r.attempts for r in rows] == [1, 0, 0]
    assert rows[0].last_error and rows[0].delivered_at is None
    assert deliver(s.world).delivered == 0  # still backing off: nothing is due yet

    listener.start()
    sent = deliver(s.world, later=timedelta(hours=2))

    assert (sent.delivered, sent.failed) == (3, 0)
    events = listener.events()
    assert [e.event_number for e in events] == [1, 2, 3]
    preauth = [pas_response(e.body)["entry"][0]["resource"]["preAuthRef"] for e in events]
    assert preauth == [first["id"], second["id"], third["id"]]
    rows = deliveries(s, created["id"])
    assert [r.attempts for r in rows] == [2, 1, 1]
    assert all(r.delivered_at is not None and r.last_error is None for r in rows)
    assert (
        s.client.get(f"/fhir/Subscription/{created['id']}", headers=s.headers["doc_a"]).json()[
            "status"
        ]
        == "active"
    )


def test_a_failing_subscriber_is_retried_with_growing_back_off(
    scenario: Scenario, listeners: Any
) -> None:
    s = scenario
    listener = listeners()
    created = subscribed(s, "pt", s.npis["pt"], listener.url)
    listener.status = 500
    s.approved(units=10)

    assert deliver(s.world, subscriptions_backoff_seconds=60).failed == 1
    [row] = deliveries(s, created["id"])
    assert (row.attempts, row.last_error) == (1, "HTTP 500")
    first_wait = row.next_attempt_at - row.created_at

    assert (
        deliver(s.world, later=timedelta(minutes=2), subscriptions_backoff_seconds=60).failed == 1
    )
    [row] = deliveries(s, created["id"])
    assert row.attempts == 2
    second_wait = row.next_attempt_at - row.created_at - timedelta(minutes=2)
    assert timedelta(seconds=55) < first_wait < timedelta(seconds=90)
    assert timedelta(seconds=115) < second_wait < timedelta(seconds=150)  # doubled

    listener.status = 200
    assert deliver(s.world, later=timedelta(hours=1)).delivered == 1
    events = listener.events()
    assert [e.event_number for e in events] == [1, 1, 1]  # the same notification each time
    assert events[0].body == events[2].body
    [row] = deliveries(s, created["id"])
    assert row.attempts == 3 and row.delivered_at is not None and row.last_error is None


def test_a_deleted_subscription_is_notified_no_more(scenario: Scenario, listeners: Any) -> None:
    s = scenario
    listener = listeners()
    created = subscribed(s, "pt", s.npis["pt"], listener.url)
    r = s.client.delete(f"/fhir/Subscription/{created['id']}", headers=s.headers["pt"])
    assert r.status_code == 204
    s.approved(units=10)
    assert deliver(s.world).delivered == 0
    assert listener.events() == []
    assert deliveries(s, created["id"]) == []
