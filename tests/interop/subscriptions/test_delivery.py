"""The ways notifications leave: the app's background worker, `precert subscriptions deliver`,
and the notification's shape next to the official PAS example."""

from __future__ import annotations

import threading
import time
from typing import Any

from click.testing import CliRunner, Result
from fastapi.testclient import TestClient

from precert.app import create_app
from precert.cli import main
from precert.config import Settings
from precert.interop.subscriptions.delivery import backoff
from tests.api.conftest import Scenario
from tests.conftest import TODAY
from tests.interop import standards
from tests.interop.subscriptions.conftest import (
    FHIR_JSON,
    deliver,
    parameter,
    pas_response,
    review_actions,
    subscribe,
    subscribed,
    subscription,
)


def test_the_apps_worker_delivers_without_being_asked(scenario: Scenario, listeners: Any) -> None:
    s = scenario
    listener = listeners()
    settings = Settings(
        database_url=s.world.url,
        today=TODAY,
        subscriptions_worker=True,
        subscriptions_poll_seconds=0.05,
    )
    with TestClient(create_app(settings)) as served:
        r = served.post(
            "/fhir/Subscription",
            headers={**s.headers["pt"], "Content-Type": FHIR_JSON},
            json=subscription(s.npis["pt"], listener.url),
        )
        assert r.status_code == 201, r.text
        precert = s.approved(units=10)
        deadline = time.monotonic() + 10
        while not listener.events() and time.monotonic() < deadline:
            time.sleep(0.05)
    [event] = listener.events()
    assert pas_response(event.body)["entry"][0]["resource"]["preAuthRef"] == precert["id"]
    assert review_actions(event.body) == ["A1"]


def test_the_command_delivers_what_is_due_once(scenario: Scenario, listeners: Any) -> None:
    s = scenario
    listener = listeners()
    subscribed(s, "pt", s.npis["pt"], listener.url)
    s.approved(units=10)
    result = _deliver_command(s.world.url)
    assert result.exit_code == 0, result.output
    assert "1 delivered, 0 failed" in result.output
    assert [e.event_number for e in listener.events()] == [1]
    again = _deliver_command(s.world.url)
    assert "0 delivered, 0 failed" in again.output


def _deliver_command(url: str) -> Result:
    """Run `precert subscriptions deliver` in a thread of its own, as a new process would: the
    browser tests' Playwright keeps an event loop running in the main thread."""
    found: list[Result] = []
    env = {"PRECERT_DATABASE_URL": url}
    thread = threading.Thread(
        target=lambda: found.append(CliRunner().invoke(main, ["subscriptions", "deliver"], env=env))
    )
    thread.start()
    thread.join()
    return found[0]


def test_back_off_doubles_up_to_its_cap() -> None:
    waits = [backoff(n, base=10, cap=300).total_seconds() for n in range(1, 8)]
    assert waits == [10, 20, 40, 80, 160, 300, 300]


def test_the_official_example_subscription_is_accepted(scenario: Scenario, listeners: Any) -> None:
    s = scenario
    example = standards.example("pas/Subscription-PASSubscriptionExample.json")
    listener = listeners()
    example["channel"]["endpoint"] = listener.url
    example["_criteria"]["extension"][0]["valueString"] = f"orgIdentifier={s.npis['pt']}"
    r = subscribe(s, example, "pt")
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "active"


def test_a_notification_has_the_shape_of_the_official_example(
    scenario: Scenario, listeners: Any
) -> None:
    s = scenario
    official = standards.example("pas/Bundle-PASSubscriptionNotification.json")
    listener = listeners()
    subscribed(s, "pt", s.npis["pt"], listener.url)
    s.approved(units=10)
    deliver(s.world)
    [event] = listener.events()
    ours = event.body
    assert ours["type"] == official["type"] == "history"
    assert len(ours["entry"]) == len(official["entry"]) == 2
    names = {p["name"] for p in official["entry"][0]["resource"]["parameter"]}
    assert names <= {p["name"] for p in ours["entry"][0]["resource"]["parameter"]}
    for notification in (official, ours):
        focus = next(
            p["valueReference"]["reference"]
            for p in parameter(notification, "notification-event")["part"]
            if p["name"] == "focus"
        )
        assert focus == notification["entry"][1]["fullUrl"]
        carried = notification["entry"][1]["resource"]
        assert carried["resourceType"] == "Bundle"
        assert carried["entry"][0]["resource"]["resourceType"] == "ClaimResponse"
        for entry in notification["entry"]:
            assert entry["request"]["method"] == "GET" and entry["response"]["status"] == "200"
