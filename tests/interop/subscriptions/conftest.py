"""Subscription tests: the API tests' cast, an app without the background worker (the tests
deliver when they choose), and real HTTP listeners on 127.0.0.1 standing in for subscribers."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from precert.app import create_app
from precert.config import Settings
from precert.interop.subscriptions.delivery import Sent, deliver_due
from tests.api.conftest import Scenario, scenario
from tests.conftest import TODAY, World

__all__ = ["Scenario", "scenario"]

TOPIC = "http://hl7.org/fhir/us/davinci-pas/SubscriptionTopic/PASSubscriptionTopic"
BACKPORT = "http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/"
FHIR_JSON = "application/fhir+json"


@pytest.fixture
def client(database_url: str) -> Iterator[TestClient]:
    """The app with its delivery worker off: each test delivers with `deliver(...)`."""
    app = create_app(Settings(database_url=database_url, today=TODAY, subscriptions_worker=False))
    with TestClient(app) as c:
        yield c


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]

    @property
    def kind(self) -> str:
        """The notification's type: handshake or event-notification."""
        return str(parameter(self.body, "type")["valueCode"])

    @property
    def event_number(self) -> int:
        event = parameter(self.body, "notification-event")
        return int(next(p["valueString"] for p in event["part"] if p["name"] == "event-number"))


@dataclass
class Listener:
    """A subscriber's endpoint: records what it receives and answers `status`."""

    port: int
    status: int = 200
    received: list[Received] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/notify"

    def start(self) -> None:
        listener = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                listener.received.append(
                    Received(
                        self.path, {k.lower(): v for k, v in self.headers.items()}, json.loads(raw)
                    )
                )
                self.send_response(listener.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def events(self) -> list[Received]:
        return [r for r in self.received if r.kind == "event-notification"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def listeners() -> Iterator[Any]:
    """Make listeners: `listeners()` started, `listeners(started=False)` down for now."""
    made: list[Listener] = []

    def make(*, started: bool = True, status: int = 200) -> Listener:
        listener = Listener(port=_free_port(), status=status)
        if started:
            listener.start()
        made.append(listener)
        return listener

    yield make
    for listener in made:
        listener.stop()


def subscription(npi: str, endpoint: str, **overrides: Any) -> dict[str, Any]:
    """Return a PAS Subscription (as the official example writes one) for `npi`."""
    body: dict[str, Any] = {
        "resourceType": "Subscription",
        "meta": {
            "profile": [
                "http://hl7.org/fhir/us/davinci-pas/StructureDefinition/profile-subscription"
            ]
        },
        "status": "requested",
        "reason": "Receive notifications about claim responses for my organization.",
        "criteria": TOPIC,
        "_criteria": {
            "extension": [
                {
                    "url": BACKPORT + "backport-filter-criteria",
                    "valueString": f"orgIdentifier={npi}",
                }
            ]
        },
        "channel": {
            "type": "rest-hook",
            "endpoint": endpoint,
            "payload": FHIR_JSON,
            "_payload": {
                "extension": [
                    {"url": BACKPORT + "backport-payload-content", "valueCode": "full-resource"}
                ]
            },
        },
    }
    body.update(overrides)
    return body


def subscribe(s: Scenario, body: Any, as_: str) -> Response:
    return s.client.post(
        "/fhir/Subscription",
        headers={**s.headers[as_], "Content-Type": FHIR_JSON},
        content=json.dumps(body).encode(),
    )


def subscribed(s: Scenario, as_: str, npi: str, endpoint: str, **overrides: Any) -> dict[str, Any]:
    r = subscribe(s, subscription(npi, endpoint, **overrides), as_)
    assert r.status_code == 201, r.text
    created: dict[str, Any] = r.json()
    return created


def deliver(world: World, *, later: timedelta = timedelta(0), **settings: Any) -> Sent:
    """Deliver what is due `later` from now (past a back-off when `later` is long enough)."""
    config = Settings(database_url=world.url, today=TODAY, subscriptions_worker=False, **settings)
    found: list[Sent] = []

    def run() -> None:  # its own thread and event loop: another test may leave one running
        found.append(
            asyncio.run(
                deliver_due(world.sessions, settings=config, now=lambda: datetime.now(UTC) + later)
            )
        )

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    assert found, "the delivery round failed (see the thread's traceback above)"
    return found[0]


def parameter(notification: dict[str, Any], name: str) -> dict[str, Any]:
    """Return the named parameter of a notification's SubscriptionStatus (its first entry)."""
    status = notification["entry"][0]["resource"]
    assert status["resourceType"] == "Parameters"
    found: dict[str, Any] = next(p for p in status["parameter"] if p["name"] == name)
    return found


def pas_response(notification: dict[str, Any]) -> dict[str, Any]:
    """Return the PAS response Bundle a notification carries."""
    bundle: dict[str, Any] = notification["entry"][1]["resource"]
    assert bundle["resourceType"] == "Bundle"
    return bundle


def review_actions(notification: dict[str, Any]) -> list[str]:
    """Return the reviewActionCode of every item of the carried ClaimResponse."""
    claim_response = pas_response(notification)["entry"][0]["resource"]
    assert claim_response["resourceType"] == "ClaimResponse"
    codes = []
    for item in claim_response["item"]:
        for adjudication in item["adjudication"]:
            for extension in adjudication.get("extension", []):
                for part in extension.get("extension", []):
                    if part["url"].endswith("extension-reviewActionCode"):
                        codes.append(part["valueCodeableConcept"]["coding"][0]["code"])
    return codes
