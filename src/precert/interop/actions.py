"""The outcome of each requested service as the standards say it: X12 306 review actions.

A pre-certification authorizes a pool of units for its approved codes. The standards decide
each service line, so the pool is handed to the lines in the order they were sent: a line
that gets all its units is certified (A1), a line that gets fewer is modified (A6, with the
units it got), a code the therapy does not cover is not certified (A3). A request awaiting
step 2 or pended for review is A4, a denied, cancelled or expired one A3. Every action
carries the pre-certification's own reasons (code and message) beside the X12 886 codes
mapped from them (`decision_codes`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from precert.interop.authorization import Service
from precert.interop.decision_codes import codes_886
from precert.rules.decision import Status
from precert.rules.reasons import Finding, Reason


class ReviewAction(StrEnum):
    """X12 element 306 (HCR01), as PAS's reviewActionCode carries it."""

    CERTIFIED = "A1"
    NOT_CERTIFIED = "A3"
    PENDED = "A4"
    MODIFIED = "A6"

    @property
    def display(self) -> str:
        return _DISPLAY[self]


_DISPLAY = {
    ReviewAction.CERTIFIED: "Certified in total",
    ReviewAction.NOT_CERTIFIED: "Not Certified",
    ReviewAction.PENDED: "Pended",
    ReviewAction.MODIFIED: "Modified",
}


@dataclass(frozen=True, slots=True)
class ItemAction:
    """What was decided for one requested service line (1-based `sequence`)."""

    sequence: int
    service: Service
    action: ReviewAction
    units: int | None  # units authorized for this line; None unless certified or modified
    reasons: tuple[dict[str, str], ...]  # our own code and message
    x12_reasons: tuple[str, ...]  # X12 886 codes mapped from `reasons`


@dataclass(frozen=True, slots=True)
class Determination:
    """A pre-certification's answer to a request, line by line."""

    precert_id: str
    status: str
    action: ReviewAction  # the request as a whole: the "worst" line decides
    period: tuple[date, date] | None  # the approved period (itemPreAuthPeriod, DTP*AAH)
    authorized_units: int | None
    items: tuple[ItemAction, ...]
    reasons: tuple[dict[str, str], ...]


AWAITING_STEP2 = Finding.of(Reason.AWAITING_PERFORMING_PROVIDER).as_dict()


def determine(
    precert: dict[str, Any], services: Sequence[Service], *, pooled: bool = False
) -> Determination:
    """Return the review action of each of `services` from the pre-certification's state.

    `pooled`: every line asks for the whole pool (a request made without units per line,
    e.g. in the portal), so each certified line is given the whole pool authorized.
    """
    status = str(precert["status"])
    reasons = tuple(precert["reasons"])
    if status in (Status.APPROVED, Status.PARTIALLY_APPROVED):
        items = _allocated(precert, services, pooled=pooled)
    elif status in (Status.AWAITING_PROVIDER, Status.PENDED):
        why = (AWAITING_STEP2,) if status == Status.AWAITING_PROVIDER else reasons
        items = tuple(_item(n, s, ReviewAction.PENDED, None, why) for n, s in _numbered(services))
    else:
        items = tuple(
            _item(n, s, ReviewAction.NOT_CERTIFIED, None, reasons) for n, s in _numbered(services)
        )
    period = None
    if status in (Status.APPROVED, Status.PARTIALLY_APPROVED) and precert["end_date"]:
        period = (precert["start_date"], precert["end_date"])
    return Determination(
        precert_id=precert["id"],
        status=status,
        action=_overall(items),
        period=period,
        authorized_units=precert["approved_units"],
        items=items,
        reasons=reasons if status != Status.AWAITING_PROVIDER else (AWAITING_STEP2,),
    )


def _allocated(
    precert: dict[str, Any], services: Sequence[Service], *, pooled: bool
) -> tuple[ItemAction, ...]:
    pool = left = int(precert["approved_units"] or 0)
    approved = set(precert["procedure_codes"])
    not_covered = Reason.PROCEDURE_NOT_COVERED.code
    limit_reasons = tuple(r for r in precert["reasons"] if r["code"] != not_covered)
    items = []
    for number, service in _numbered(services):
        if service.code not in approved:
            why = tuple(
                r
                for r in precert["reasons"]
                if r["code"] == not_covered and service.code in r["message"]
            )
            items.append(_item(number, service, ReviewAction.NOT_CERTIFIED, None, why))
            continue
        units = min(service.units, pool if pooled else left)
        left -= units
        if units == service.units:
            items.append(_item(number, service, ReviewAction.CERTIFIED, units, ()))
        else:
            items.append(_item(number, service, ReviewAction.MODIFIED, units, limit_reasons))
    return tuple(items)


def _numbered(services: Sequence[Service]) -> list[tuple[int, Service]]:
    return list(enumerate(services, start=1))


def _item(
    number: int,
    service: Service,
    action: ReviewAction,
    units: int | None,
    reasons: Sequence[dict[str, str]],
) -> ItemAction:
    x12 = tuple(dict.fromkeys(c for r in reasons for c in codes_886(r["code"])))
    return ItemAction(number, service, action, units, tuple(reasons), x12)


def _overall(items: Sequence[ItemAction]) -> ReviewAction:
    """Return the request's action: A1 or A3 only when every line is; A4 when any line waits."""
    actions = {i.action for i in items}
    if len(actions) == 1:
        return actions.pop()
    if ReviewAction.PENDED in actions:
        return ReviewAction.PENDED
    return ReviewAction.MODIFIED  # some lines certified, some fewer or none
