"""Write the 278 response (005010X217, BHT02 11) to a 278 request.

The request's loops are echoed (2010A/B/C names, 2000E TRN as `TRN*2`, UM, HI, the 2010EA
providers, each 2000F with its UM, DTP and SV1). A decided request carries `HCR` in 2000E and
in every 2000F: HCR01 the review action (A1/A3/A4/A6), HCR02 the certification number (our
pre-certification ID) when certified or modified, HCR03 the X12 886 reason when one applies;
`REF*NT` the pre-certification ID as administrative reference when there is no certification
number (pended or not certified); `DTP*AAH*RD8` the approved period; SV104 the units
authorized on a certified or modified line. `MSG` carries our own reason codes and messages
beside the 886 codes, always. A rejected request carries AAA segments in the loops at fault
and no HCR.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from precert.interop.actions import Determination, ItemAction, ReviewAction
from precert.interop.decision_codes import codes_886
from precert.interop.x12.ack999 import interchange
from precert.interop.x12.envelope import VERSION
from precert.interop.x12.rejections import Rejection
from precert.interop.x12.request import Loop, Request278
from precert.interop.x12.tokens import plain

MSG_LENGTH = 264
WITH_NUMBER = (ReviewAction.CERTIFIED, ReviewAction.MODIFIED)


@dataclass(frozen=True, slots=True)
class Outcome278:
    """What a response says: a determination, or rejections (AAA)."""

    determination: Determination | None = None
    rejections: tuple[Rejection, ...] = ()


def write_278(request: Request278, outcome: Outcome278, now: datetime) -> str:
    """Return the whole interchange answering `request`."""
    envelope = request.envelope
    body = _transaction(request, outcome, now)
    for segment in body:
        if segment[0] == "MSG":
            segment[1] = plain(segment[1], envelope.separators)[:MSG_LENGTH]
    return interchange(
        body, envelope.separators, envelope, now, functional_id="HI", version=VERSION
    )


def _transaction(request: Request278, outcome: Outcome278, now: datetime) -> list[list[str]]:
    determination = outcome.determination
    aaa = {
        loop: [r for r in outcome.rejections if r.loop == loop and r.line is None]
        for loop in ("2010B", "2010C", "2000E", "2010EA")
    }
    if request.event.one("NM1", "SJ") is None:  # no 2010EA performer: report in 2000E
        aaa["2000E"] += aaa.pop("2010EA")
        aaa["2010EA"] = []
    out: list[list[str]] = [
        ["ST", "278", "0001", VERSION],
        ["BHT", "0007", "11", request.reference, now.strftime("%Y%m%d"), now.strftime("%H%M")],
        ["HL", "1", "", "20", "1"],
        *_echo(request.umo, "NM1"),
        ["HL", "2", "1", "21", "1"],
        *_echo(request.requester, "NM1"),
        *_aaa(aaa["2010B"]),
        ["HL", "3", "2", "22", "1"],
        *_echo(request.subscriber, "NM1"),
        *_aaa(aaa["2010C"]),
        *_echo(request.subscriber, "DMG"),
        ["HL", "4", "3", "EV", "1" if request.lines else "0"],
        *[["TRN", "2", *list(t.elements[2:])] for t in request.traces],
        *_aaa(aaa["2000E"]),
        *_echo(request.event, "UM"),
    ]
    if determination is not None:
        out += _decision(determination)
    out += _echo(request.event, "HI")
    if determination is not None:
        out += _msg(determination.reasons)
    out += _providers(request.event, aaa["2010EA"])
    items = determination.items if determination else ()
    for number, line in enumerate(request.lines, start=1):
        item = items[number - 1] if number <= len(items) else None
        out += _service(request, number, line.loop, item, determination, outcome.rejections)
    out.append(["SE", str(len(out) + 1), "0001"])
    return out


def _decision(determination: Determination) -> list[list[str]]:
    action = determination.action
    number = determination.precert_id if action in WITH_NUMBER else ""
    out = [["HCR", action.value, number, _first_886(determination.reasons, determination)]]
    if not number:
        out.append(["REF", "NT", determination.precert_id])
    if determination.period is not None:
        out.append(["DTP", "AAH", "RD8", _span(*determination.period)])
    return out


def _first_886(reasons: Sequence[dict[str, str]], determination: Determination) -> str:
    """Return the 886 code of the request's first reason that has one (HCR03 holds one)."""
    if determination.action is ReviewAction.CERTIFIED:
        return ""
    for reason in reasons:
        for code in codes_886(reason["code"]):
            return code
    return ""


def _service(
    request: Request278,
    number: int,
    loop: Loop,
    item: ItemAction | None,
    determination: Determination | None,
    rejections: Sequence[Rejection],
) -> list[list[str]]:
    out = [["HL", str(4 + number), "4", "SS", "0"]]
    out += [["TRN", "2", *list(t.elements[2:])] for t in loop.all("TRN")]
    out += _aaa([r for r in rejections if r.line == number])
    out += _echo(loop, "UM")
    if item is not None and determination is not None:
        cert = determination.precert_id if item.action in WITH_NUMBER else ""
        out.append(
            ["HCR", item.action.value, cert, item.x12_reasons[0] if item.x12_reasons else ""]
        )
    out += _echo(loop, "DTP")
    sv1 = loop.one("SV1")
    if sv1 is not None:
        elements = list(sv1.elements)
        if item is not None and item.units is not None and len(elements) > 4:
            elements[4] = str(item.units)  # the units authorized (A1, A6)
        out.append(elements)
    if item is not None:
        out += _msg(item.reasons)
    return out


def _providers(event: Loop, rejections: list[Rejection]) -> list[list[str]]:
    """Echo the 2010EA names; AAA for the performing provider follows its NM1."""
    out: list[list[str]] = []
    for nm1 in event.all("NM1"):
        out.append(list(nm1.elements))
        if nm1.get(1) == "SJ":
            out += _aaa(rejections)
    return out


def _echo(loop: Loop, segment_id: str) -> list[list[str]]:
    return [list(s.elements) for s in loop.all(segment_id)]


def _aaa(rejections: Sequence[Rejection]) -> list[list[str]]:
    seen: list[list[str]] = []
    for r in rejections:
        if r.segment() not in seen:
            seen.append(r.segment())
    return seen[:9]


def _msg(reasons: Sequence[dict[str, str]]) -> list[list[str]]:
    """Return one MSG with our reason codes and messages (free text, 264 characters)."""
    if not reasons:
        return []
    return [["MSG", "; ".join(f"{r['code']} - {r['message']}" for r in reasons)]]


def _span(start: date, end: date) -> str:
    return f"{start:%Y%m%d}-{end:%Y%m%d}"
