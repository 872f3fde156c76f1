"""The two steps across surfaces: step 1 by PAS and step 2 in the portal, and the reverse."""

from __future__ import annotations

from typing import Any

from tests.interop.dtr import samples
from tests.interop.dtr.test_portal import rows, section
from tests.interop.fhir import pas
from tests.interop.fhir.test_documentation import with_answers
from tests.portal.conftest import Cast, cast, status_of
from tests.portal.test_requests_pages import made_by, step_one, step_two

__all__ = ["cast"]


def _submit(cast: Cast, bundle: dict[str, Any], who: str) -> dict[str, Any]:
    with cast.client() as client:
        r = client.post("/fhir/Claim/$submit", headers=cast.tokens[who], json=bundle)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def test_step_1_by_pas_then_step_2_in_the_portal(cast: Cast) -> None:
    answer = _submit(
        cast, pas.request(requester=cast.npis["doc_a"], items=[("97110", 8, "2026-03-02")]), "doc_a"
    )
    precert_id = pas.claim_response(answer)["preAuthRef"]
    with cast.signed_in("pt") as client:
        found = client.get("/precerts/find", params={"participant_id": "10000001"})
        assert f"/precerts/{precert_id}/complete" in found.text
        done = client.post(f"/precerts/{precert_id}/complete", data=step_two(client, precert_id))
        assert made_by(done) == precert_id
        page = client.get(f"/precerts/{precert_id}")
    assert status_of(page.text) == "approved"
    events = cast.events(precert_id)
    assert [(e.action, e.channel) for e in events] == [("referral", "api"), ("completion", "web")]


def test_step_1_in_the_portal_then_step_2_by_pas(cast: Cast) -> None:
    with cast.signed_in("doc_a") as client:
        precert_id = made_by(client.post("/precerts/new", data=step_one(client)))
    update = pas.request(
        requester=cast.npis["pt"],
        physician=cast.npis["doc_a"],
        items=[("97110", 6, "2026-03-02"), ("97530", 2, "2026-03-02")],
        diagnoses=("M54.50", "M54.6"),
    )
    answer = _submit(cast, update, "pt")
    assert pas.claim_response(answer)["preAuthRef"] == precert_id
    assert pas.actions(answer) == ["A1", "A1"]
    with cast.signed_in("doc_a") as client:
        page = client.get(f"/precerts/{precert_id}")
    assert status_of(page.text) == "approved"
    stored = cast.precert(precert_id)
    assert stored.approved_units == 8 and stored.procedure_codes == ["97110", "97530"]


def test_answers_sent_with_pas_are_shown_on_the_request_page(cast: Cast) -> None:
    bundle = with_answers(samples.response(months=14, opioids=True), requester=cast.npis["doc_a"])
    precert_id = pas.claim_response(_submit(cast, bundle, "doc_a"))["preAuthRef"]
    with cast.signed_in("doc_a") as client:
        page = client.get(f"/precerts/{precert_id}")
    shown = dict(rows(section(page.text)))
    assert any("14" in answer for answer in shown.values()), shown
    assert any("Tramadol 50 mg daily" in answer for answer in shown.values()), shown
