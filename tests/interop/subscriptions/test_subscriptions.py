"""`/fhir/Subscription`: what is accepted, what is refused (one OperationOutcome naming each
problem), who may subscribe to what, reading, listing and deleting."""

from __future__ import annotations

import json
from typing import Any

import pytest
from httpx import Response

from tests.api.conftest import Scenario
from tests.interop.subscriptions.conftest import (
    BACKPORT,
    FHIR_JSON,
    subscribe,
    subscribed,
    subscription,
)

FILTER = f"Subscription.criteria.extension('{BACKPORT}backport-filter-criteria')"
ENDPOINT = "http://127.0.0.1:9/notify"  # nobody listens there: the handshake fails, quietly
NPI = "1234567893"  # a valid NPI (the official example's)


def issues(r: Response, status: int) -> list[dict[str, Any]]:
    """Assert one OperationOutcome with `status`; return its issues."""
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(FHIR_JSON)
    body = r.json()
    assert body["resourceType"] == "OperationOutcome"
    found: list[dict[str, Any]] = body["issue"]
    assert found and all(i["severity"] == "error" and i["diagnostics"] for i in found)
    return found


def expressions(r: Response, status: int = 422) -> set[str]:
    return {e for i in issues(r, status) for e in i.get("expression", [])}


def channel(**overrides: Any) -> dict[str, Any]:
    value: dict[str, Any] = {"type": "rest-hook", "endpoint": ENDPOINT, "payload": FHIR_JSON}
    value.update(overrides)
    return value


def test_the_stored_subscription_is_returned_with_its_id_status_and_location(
    scenario: Scenario,
) -> None:
    s = scenario
    r = subscribe(s, subscription(s.npis["pt"], ENDPOINT), "pt")
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["resourceType"] == "Subscription"
    assert created["id"]
    assert r.headers["location"].endswith(f"/fhir/Subscription/{created['id']}")
    assert created["status"] == "error"  # requested, and the handshake got no answer
    assert created["criteria"].endswith("PASSubscriptionTopic")
    assert created["channel"]["endpoint"] == ENDPOINT
    read = s.client.get(f"/fhir/Subscription/{created['id']}", headers=s.headers["pt"])
    assert read.status_code == 200
    assert read.json() == created


def test_content_full_resource_is_assumed_and_stated(scenario: Scenario) -> None:
    s = scenario
    created = subscribed(s, "pt", s.npis["pt"], ENDPOINT, channel=channel())
    assert created["channel"]["_payload"]["extension"] == [
        {"url": BACKPORT + "backport-payload-content", "valueCode": "full-resource"}
    ]


def test_the_filter_may_name_the_npi_system(scenario: Scenario) -> None:
    s = scenario
    value = f"orgIdentifier=http://hl7.org/fhir/sid/us-npi|{s.npis['pt']}"
    body = subscription(
        s.npis["pt"],
        ENDPOINT,
        _criteria={
            "extension": [{"url": BACKPORT + "backport-filter-criteria", "valueString": value}]
        },
    )
    assert subscribe(s, body, "pt").status_code == 201


@pytest.mark.parametrize(
    ("change", "where", "words"),
    [
        ({"criteria": "Claim?status=active"}, "Subscription.criteria", "PAS topic"),
        ({"_criteria": None}, FILTER, "orgIdentifier=<NPI>"),
        (
            {
                "_criteria": {
                    "extension": [
                        {"url": BACKPORT + "backport-filter-criteria", "valueString": "patient=1"}
                    ]
                }
            },
            FILTER + "[0].valueString",
            "orgIdentifier only",
        ),
        (
            {
                "_criteria": {
                    "extension": [
                        {
                            "url": BACKPORT + "backport-filter-criteria",
                            "valueString": "orgIdentifier=1234567890",
                        }
                    ]
                }
            },
            FILTER + "[0].valueString",
            "not a valid NPI",
        ),
        ({"channel": channel(type="websocket")}, "Subscription.channel.type", "rest-hook"),
        (
            {"channel": channel(endpoint="ftp://example.org/x")},
            "Subscription.channel.endpoint",
            "http(s)",
        ),
        ({"channel": channel(endpoint="not a url")}, "Subscription.channel.endpoint", "http(s)"),
        (
            {"channel": channel(endpoint="https://user:pw@example.org/x")},
            "Subscription.channel.endpoint",
            "credentials",
        ),
        ({"channel": channel(endpoint=None)}, "Subscription.channel.endpoint", "required"),
        (
            {"channel": channel(payload="application/xml")},
            "Subscription.channel.payload",
            "fhir+json",
        ),
        ({"channel": channel(payload=None)}, "Subscription.channel.payload", "missing"),
        (
            {
                "channel": channel(
                    _payload={
                        "extension": [
                            {"url": BACKPORT + "backport-payload-content", "valueCode": "id-only"}
                        ]
                    }
                )
            },
            f"Subscription.channel.payload.extension('{BACKPORT}backport-payload-content')",
            "full-resource",
        ),
        (
            {"channel": channel(header=["no colon here"])},
            "Subscription.channel.header[0]",
            "Name: value",
        ),
    ],
)
def test_an_unsupported_subscription_is_refused_naming_the_problem(
    scenario: Scenario, change: dict[str, Any], where: str, words: str
) -> None:
    s = scenario
    body = subscription(s.npis["pt"], ENDPOINT, **change)
    body = {k: v for k, v in body.items() if v is not None}
    body["channel"] = {k: v for k, v in body["channel"].items() if v is not None}
    r = subscribe(s, body, "pt")
    found = issues(r, 422)
    assert [i["expression"] for i in found] == [[where]], found
    assert words in found[0]["diagnostics"]
    assert s.client.get("/fhir/Subscription", headers=s.headers["pt"]).json()["total"] == 0


def test_every_problem_is_named_at_once(scenario: Scenario) -> None:
    s = scenario
    body = subscription(
        s.npis["pt"],
        "mailto:someone@example.org",
        criteria="Patient?",
    )
    del body["_criteria"]
    body["channel"]["type"] = "email"
    assert expressions(subscribe(s, body, "pt")) == {
        "Subscription.criteria",
        FILTER,
        "Subscription.channel.type",
        "Subscription.channel.endpoint",
    }


@pytest.mark.parametrize(
    ("raw", "status", "where"),
    [
        (b"", 400, None),
        (b"{not json", 400, None),
        (json.dumps({"resourceType": "Patient"}).encode(), 400, "resourceType"),
        (
            json.dumps({"resourceType": "Subscription", "status": "requested"}).encode(),
            400,
            "Subscription.channel",
        ),
        (
            json.dumps(
                {"resourceType": "Subscription", "channel": {"type": "rest-hook", "endpoint": 3}}
            ).encode(),
            400,
            "Subscription",
        ),
        (
            json.dumps(
                {k: v for k, v in subscription(NPI, ENDPOINT).items() if k != "reason"}
            ).encode(),
            400,
            "Subscription.reason",
        ),
    ],
)
def test_a_body_that_is_not_a_subscription_is_a_400(
    scenario: Scenario, raw: bytes, status: int, where: str | None
) -> None:
    s = scenario
    r = s.client.post(
        "/fhir/Subscription", headers={**s.headers["pt"], "Content-Type": FHIR_JSON}, content=raw
    )
    found = issues(r, status)
    if where:
        assert where in {e for i in found for e in i.get("expression", [])}


@pytest.mark.parametrize("who", ["nobody", "bad_token"])
def test_a_subscription_needs_a_valid_token(scenario: Scenario, who: str) -> None:
    s = scenario
    r = subscribe(s, subscription(s.npis["pt"], ENDPOINT), who)
    found = issues(r, 401)
    assert found[0]["code"] == "login"
    assert r.headers["www-authenticate"] == "Bearer"
    assert s.client.get("/fhir/Subscription", headers=s.headers[who]).status_code == 401


def test_a_clinician_subscribes_to_their_own_organization_only(scenario: Scenario) -> None:
    s = scenario
    for who, other in (("pt", "chiro"), ("doc_a", "doc_b")):
        r = subscribe(s, subscription(s.npis[other], ENDPOINT), who)
        found = issues(r, 403)
        assert found[0]["code"] == "forbidden"
        assert s.npis[who] in found[0]["diagnostics"]
    assert subscribe(s, subscription(s.npis["chiro"], ENDPOINT), "staff").status_code == 201


def test_only_clinicians_and_staff_subscribe(scenario: Scenario) -> None:
    s = scenario
    r = subscribe(s, subscription(s.npis["pt"], ENDPOINT), "admin")
    assert issues(r, 403)[0]["code"] == "forbidden"
    # The role is checked before the body is read.
    r = s.client.post(
        "/fhir/Subscription",
        headers={**s.headers["admin"], "Content-Type": FHIR_JSON},
        content=b"x",
    )
    assert r.status_code == 403


def test_callers_list_and_read_their_own_subscriptions_only(scenario: Scenario) -> None:
    s = scenario
    mine = subscribed(s, "pt", s.npis["pt"], ENDPOINT)
    theirs = subscribed(s, "chiro", s.npis["chiro"], ENDPOINT)
    listed = s.client.get("/fhir/Subscription", headers=s.headers["pt"])
    assert listed.status_code == 200
    bundle = listed.json()
    assert (bundle["resourceType"], bundle["type"], bundle["total"]) == ("Bundle", "searchset", 1)
    assert [e["resource"]["id"] for e in bundle["entry"]] == [mine["id"]]
    assert bundle["entry"][0]["fullUrl"].endswith(f"/fhir/Subscription/{mine['id']}")
    r = s.client.get(f"/fhir/Subscription/{theirs['id']}", headers=s.headers["pt"])
    assert issues(r, 404)[0]["code"] == "not-found"
    r = s.client.delete(f"/fhir/Subscription/{theirs['id']}", headers=s.headers["pt"])
    assert r.status_code == 404
    assert (
        s.client.get(f"/fhir/Subscription/{theirs['id']}", headers=s.headers["chiro"]).json()[
            "status"
        ]
        != "off"
    )


def test_a_deleted_subscription_is_gone(scenario: Scenario) -> None:
    s = scenario
    created = subscribed(s, "pt", s.npis["pt"], ENDPOINT)
    path = f"/fhir/Subscription/{created['id']}"
    assert s.client.delete(path, headers=s.headers["pt"]).status_code == 204
    assert s.client.delete(path, headers=s.headers["pt"]).status_code == 204  # idempotent
    assert issues(s.client.get(path, headers=s.headers["pt"]), 410)
    assert s.client.get("/fhir/Subscription", headers=s.headers["pt"]).json()["total"] == 0
