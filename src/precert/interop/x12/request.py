"""Read a 278 request (005010X217) into its loops and the fields the program needs.

The loops are found by their HL segments (HL03: 20 UMO, 21 requester, 22 subscriber, EV
patient event, SS service). What the guide requires and this program relies on is checked
here, and a missing loop, segment or element is a `SyntaxProblem` (acknowledged with a 999).
Whether the member, the providers and the codes are right is for the services to say: those
are business rejections (AAA segments in a 278 response).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from precert.interop.x12.elements import ElementReader
from precert.interop.x12.envelope import Envelope
from precert.interop.x12.tokens import Segment, SyntaxProblem, X12SyntaxError

LEVELS = {"20": "2000A", "21": "2000B", "22": "2000C", "23": "2000D", "EV": "2000E", "SS": "2000F"}
NAMES = {"2000A": "2010A", "2000B": "2010B", "2000C": "2010C", "2000D": "2010D"}
DIAGNOSIS_QUALIFIERS = ("ABK", "ABF")  # ICD-10-CM principal and other diagnosis
PRIOR_QUALIFIERS = ("BB", "NT")  # previous authorization number, administrative reference
EVENT_DATES = ("AAH", "472")


@dataclass
class Loop:
    """One HL loop with its segments (the HL first), named as the guide names it."""

    name: str
    segments: list[Segment]

    @property
    def hl(self) -> Segment:
        return self.segments[0]

    def all(self, segment_id: str, first: str | None = None) -> list[Segment]:
        return [
            s
            for s in self.segments[1:]
            if s.id == segment_id and (first is None or s.get(1) == first)
        ]

    def one(self, segment_id: str, first: str | None = None) -> Segment | None:
        found = self.all(segment_id, first)
        return found[0] if found else None


@dataclass
class Line:
    """One 2000F service line: a CPT code, its 15-minute units and its dates."""

    loop: Loop
    code: str
    units: int
    start: date | None
    end: date | None


@dataclass
class Request278:
    envelope: Envelope
    reference: str  # BHT03
    created: date  # BHT04
    umo: Loop
    requester: Loop
    subscriber: Loop
    event: Loop
    lines: list[Line]
    member_id: str
    birth_date: date | None
    physician_npi: str
    performer_npi: str | None
    diagnoses: list[str]
    event_start: date | None
    event_end: date | None
    prior_id: str | None
    traces: list[Segment] = field(default_factory=list)  # 2000E TRN

    @property
    def source_id(self) -> str:
        """The sender's own identifier of the request: the event's trace number, else BHT03."""
        return self.traces[0].get(2) if self.traces else self.reference


def read_request(envelope: Envelope) -> Request278:
    """Return the 278 request in `envelope`; raise X12SyntaxError naming every problem."""
    r = ElementReader(envelope)
    segments = envelope.transaction[1:-1]  # between ST and SE
    se = envelope.transaction[-1]
    if not segments or segments[0].id != "BHT":
        r.missing("BHT", "", 2, "the BHT segment must follow the ST")
        raise X12SyntaxError(r.problems)
    bht = segments[0]
    r.code(bht, "BHT", 1, "1005", ("0007",))
    r.code(bht, "BHT", 2, "353", ("13",))
    reference = r.required(bht, "BHT", 3, "127", "submitter transaction identifier")
    created, _ = r.date(_as_d8(bht), "BHT", 4, "373")
    loops = _loops(r, segments[1:])
    by_name: dict[str, list[Loop]] = {}
    for loop in loops:
        by_name.setdefault(loop.name, []).append(loop)
    end = r.at(se)
    umo = _level(r, by_name, "2000A", "20", end)
    requester = _level(r, by_name, "2000B", "21", end)
    subscriber = _level(r, by_name, "2000C", "22", end)
    event = _level(r, by_name, "2000E", "EV", end)
    _parents(r, loops)
    if umo:
        _name(r, umo, "X3", None)
    physician = _name(r, requester, "1P", "XX") if requester else None
    member = _name(r, subscriber, "IL", "MI") if subscriber else None
    birth = _birth_date(r, subscriber) if subscriber else None
    details = _event(r, event) if event else None
    lines = [_line(r, loop) for loop in by_name.get("2000F", [])]
    if r.problems or created is None:
        raise X12SyntaxError(r.problems)
    assert umo and requester and subscriber and event and details and physician and member
    diagnoses, start, stop, prior, performer = details
    return Request278(
        envelope=envelope,
        reference=reference,
        created=created,
        umo=umo,
        requester=requester,
        subscriber=subscriber,
        event=event,
        lines=[line for line in lines if line is not None],
        member_id=member,
        birth_date=birth,
        physician_npi=physician,
        performer_npi=performer,
        diagnoses=diagnoses,
        event_start=start,
        event_end=stop,
        prior_id=prior,
        traces=event.all("TRN"),
    )


def _as_d8(bht: Segment) -> Segment:
    """BHT04 is a plain CCYYMMDD date: read it as a D8 element."""
    return Segment(("BHT", "", "", "D8", bht.get(4)), bht.position, bht.component)


def _loops(r: ElementReader, segments: list[Segment]) -> list[Loop]:
    loops: list[Loop] = []
    for segment in segments:
        if segment.id == "HL":
            name = LEVELS.get(segment.get(3))
            if name is None:
                r.element(
                    segment,
                    "",
                    3,
                    "735",
                    "7",
                    f"HL03 {segment.get(3)!r} is not a level of a 278 request",
                )
                name = "?"
            loops.append(Loop(name, [segment]))
        elif not loops:
            r.problems.append(
                SyntaxProblem(
                    f"{segment.id} comes before the first HL loop",
                    segment.id,
                    r.at(segment),
                    segment_code="2",
                )
            )
        else:
            loops[-1].segments.append(segment)
    return loops


def _level(
    r: ElementReader, by_name: dict[str, list[Loop]], name: str, code: str, end: int
) -> Loop | None:
    found = by_name.get(name, [])
    if not found:
        r.problems.append(
            SyntaxProblem(
                f"the {name} loop (HL03 {code}) is missing",
                "HL",
                end,
                loop=name[:4],
                segment_code="3",
                element=3,
                reference="735",
                element_code="1",
            )
        )
        return None
    if len(found) > 1:
        r.problems.append(
            SyntaxProblem(
                f"the {name} loop occurs more than once",
                "HL",
                r.at(found[1].hl),
                loop=name[:4],
                segment_code="4",
            )
        )
    return found[0]


def _parents(r: ElementReader, loops: list[Loop]) -> None:
    """Check that each HL names its parent level (HL02) and that HL01 is unique."""
    parent_of = {
        "2000B": "2000A",
        "2000C": "2000B",
        "2000D": "2000C",
        "2000E": "2000C",
        "2000F": "2000E",
    }
    ids: dict[str, str] = {}
    for loop in loops:
        hl = loop.hl
        if not hl.get(1) or hl.get(1) in ids:
            r.element(
                hl,
                loop.name,
                1,
                "628",
                "1" if not hl.get(1) else "7",
                "HL01 must be a new hierarchical ID",
            )
        ids[hl.get(1)] = loop.name
        want = parent_of.get(loop.name)
        if want is None:
            continue
        parent = ids.get(hl.get(2))
        if parent != want and not (loop.name == "2000E" and parent == "2000D"):
            r.element(
                hl,
                loop.name,
                2,
                "734",
                "1" if not hl.get(2) else "7",
                f"{loop.name} HL02 {hl.get(2)!r} does not name its {want} parent",
            )


def _name(r: ElementReader, loop: Loop, entity: str, qualifier: str | None) -> str:
    """Return NM109 of the loop's NM1 (2010A/B/C), checking NM101 and NM108."""
    name = NAMES[loop.name]
    nm1 = loop.one("NM1")
    if nm1 is None:
        r.missing("NM1", name, r.at(loop.hl) + 1, f"the {name} NM1 segment is missing")
        return ""
    r.code(nm1, name, 1, "98", (entity,))
    if qualifier is None:
        return nm1.get(9)
    r.code(nm1, name, 8, "66", (qualifier,))
    return r.required(nm1, name, 9, "67", "identification code")


def _birth_date(r: ElementReader, subscriber: Loop) -> date | None:
    dmg = subscriber.one("DMG")
    if dmg is None:
        return None
    r.code(dmg, "2010C", 1, "1250", ("D8",))
    born, _ = r.date(dmg, "2010C", 2, "1251")
    return born


def _event(
    r: ElementReader, event: Loop
) -> tuple[list[str], date | None, date | None, str | None, str | None]:
    """Return the diagnoses, event dates, prior pre-certification and performer of 2000E."""
    um = event.one("UM")
    if um is None:
        r.missing("UM", "2000E", r.at(event.hl) + 1, "the 2000E UM segment is missing")
    else:
        r.required(um, "2000E", 1, "1525", "request category")
    diagnoses: list[str] = []
    for hi in event.all("HI"):
        for n in range(1, 13):
            if not hi.get(n):
                continue
            r.code(_component(hi, n, 1), "2000E", n, "1270", DIAGNOSIS_QUALIFIERS)
            code = hi.part(n, 2)
            if not code:
                r.element(
                    hi,
                    "2000E",
                    n,
                    "1271",
                    "1",
                    f"HI{n:02d}-2 (diagnosis code) is required",
                    component=2,
                )
            diagnoses.append(code)
    start = stop = None
    for dtp in event.all("DTP"):
        if dtp.get(1) in EVENT_DATES:
            start, stop = r.date(dtp, "2000E", 3, "1251")
    prior = next(
        (ref.get(2) for ref in event.all("REF") if ref.get(1) in PRIOR_QUALIFIERS and ref.get(2)),
        None,
    )
    performer = None
    sj = event.one("NM1", "SJ")
    if sj is not None:
        r.code(sj, "2010EA", 8, "66", ("XX",))
        performer = r.required(sj, "2010EA", 9, "67", "performing provider NPI")
    return diagnoses, start, stop, prior, performer


def _component(segment: Segment, n: int, k: int) -> Segment:
    """A view of `segment` whose element n is component k of it (to check a code in a composite)."""
    elements = list(segment.elements)
    elements[n] = segment.part(n, k)
    return Segment(tuple(elements), segment.position, segment.component)


def _line(r: ElementReader, loop: Loop) -> Line | None:
    sv1 = loop.one("SV1")
    if sv1 is None:
        r.missing("SV1", "2000F", r.at(loop.hl) + 1, "a 2000F service line needs an SV1 segment")
        return None
    qualifier, code = sv1.part(1, 1), sv1.part(1, 2)
    if qualifier != "HC":
        r.element(
            sv1,
            "2000F",
            1,
            "235",
            "1" if not qualifier else "7",
            "SV101-1 must be HC (CPT)",
            component=1,
        )
    if not code:
        r.element(sv1, "2000F", 1, "234", "1", "SV101-2 (the CPT code) is required", component=2)
    r.code(sv1, "2000F", 3, "355", ("UN",))
    units_text = sv1.get(4)
    units = int(units_text) if units_text.isdigit() else 0
    if not units_text.isdigit():
        r.element(
            sv1,
            "2000F",
            4,
            "380",
            "1" if not units_text else "6",
            "SV104 (units of 15 minutes) must be a whole number",
        )
    start = end = None
    for dtp in loop.all("DTP", "472"):
        start, end = r.date(dtp, "2000F", 3, "1251")
    return Line(loop, code.upper(), units, start, end)
