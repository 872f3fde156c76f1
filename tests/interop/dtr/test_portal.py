"""The pre-certification page shows the DTR answers kept with it, to whoever may see it."""

from __future__ import annotations

import html as html_lib
import re
from datetime import UTC, datetime

import pytest

from precert.db import transaction
from precert.interop.dtr.answers import keep
from tests.interop.dtr.samples import response
from tests.portal.conftest import Cast


def with_answers(cast: Cast, *, opioids: bool = False) -> str:
    """Return the ID of a started request with a kept response."""
    precert = cast.started("doc_a")
    with transaction(cast.world.sessions) as session:
        keep(
            session,
            precert_id=precert["id"],
            resource=response(opioids=opioids),
            at=datetime(2026, 3, 2, 15, 30, tzinfo=UTC),
        )
    return str(precert["id"])


def section(page: str) -> str:
    found = re.search(
        r'<section aria-labelledby="documentation-title" class="documentation">(.*?)</section>',
        page,
        re.S,
    )
    assert found, "the page has a Documentation (DTR) section"
    return found.group(1)


def rows(part: str) -> list[tuple[str, str]]:
    """Return (question, answer) of every answered row, as a person reads them."""
    found = re.findall(
        r'<tr data-link-id="[^"]+"><th scope="row">(.*?)</th><td>(.*?)</td></tr>', part, re.S
    )
    return [(_text(q), _text(a)) for q, a in found]


def _text(fragment: str) -> str:
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


@pytest.mark.parametrize("who", ["doc_a", "staff"])
def test_request_page_shows_the_documentation_questions_with_answers(cast: Cast, who: str) -> None:
    precert_id = with_answers(cast, opioids=True)

    with cast.signed_in(who) as client:
        page = client.get(f"/precerts/{precert_id}")

    assert page.status_code == 200
    part = section(page.text)
    assert '<h2 id="documentation-title">Documentation (DTR)</h2>' in part
    assert "Chronic pain documentation received 2026-03-02 09:30 CST" in part
    assert '<th scope="col">Question</th><th scope="col">Answer</th>' in part
    assert (
        '<th scope="rowgroup" colspan="2">PEG scale: pain, enjoyment of life and general activity'
        in part
    )
    shown = rows(part)
    assert shown[0] == (
        "For how many months has the participant had this pain? Pain that has lasted 3 months "
        "or more is chronic.",
        "14 months",
    )
    assert (
        "What number best describes your pain on average in the past week? (0 = no pain, "
        "10 = pain as bad as you can imagine)",
        "7",
    ) in shown
    assert (
        "Which treatments for this pain has the participant already tried? Select all that apply.",
        "Physical therapy Non-opioid pain medication",
    ) in shown
    assert ("Does the participant currently take opioid pain medication?", "Yes") in shown
    assert ("Which opioid medication, at what dose and how often?", "Tramadol 50 mg daily") in shown
    assert [q for q, _ in shown][-2:] == [
        "Date of the plan of care",
        "What are the goals of the therapy, and how will progress be measured?",
    ]


def test_unasked_follow_up_is_not_shown(cast: Cast) -> None:
    precert_id = with_answers(cast, opioids=False)

    with cast.signed_in("doc_a") as client:
        part = section(client.get(f"/precerts/{precert_id}").text)

    assert ("Does the participant currently take opioid pain medication?", "No") in rows(part)
    assert "Which opioid medication" not in part


def test_answers_are_escaped(cast: Cast) -> None:
    precert = cast.started("doc_a")
    sent = response()
    sent["item"][-1]["answer"] = [{"valueString": "<script>alert(1)</script>"}]
    with transaction(cast.world.sessions) as session:
        keep(session, precert_id=precert["id"], resource=sent, at=datetime(2026, 3, 2, tzinfo=UTC))

    with cast.signed_in("doc_a") as client:
        page = client.get(f"/precerts/{precert['id']}").text

    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in section(page)


def test_request_without_documentation_has_no_section(cast: Cast) -> None:
    precert = cast.started("doc_a")

    with cast.signed_in("doc_a") as client:
        page = client.get(f"/precerts/{precert['id']}")

    assert page.status_code == 200
    assert "Documentation (DTR)" not in page.text


def test_someone_who_may_not_see_the_request_sees_none_of_its_answers(cast: Cast) -> None:
    precert_id = with_answers(cast)

    with cast.signed_in("doc_b") as client:
        page = client.get(f"/precerts/{precert_id}")

    assert page.status_code == 404
    assert "Documentation (DTR)" not in page.text and "14 months" not in page.text
