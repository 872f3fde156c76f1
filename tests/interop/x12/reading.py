"""Read our 278 responses and 999s back, and check them with independent means.

pyx12 has a 5010 999 map but no 005010X217 278 map: `pyx12_errors` validates our 999s with
pyx12 (an independent validator), and `check_278_response` is a careful structural check of
the 278 responses written from the guide's layout: the envelope counts and control numbers,
the HL hierarchy, the loops' order, and the order of segments inside each loop.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass

import pyx12.params
import pyx12.x12n_document

Segments = list[list[str]]


def segments(text: str) -> Segments:
    """Split X12 text (with the separators its ISA declares) into lists of elements."""
    assert text.startswith("ISA"), text[:40]
    element, terminator = text[3], text[105]
    out = []
    for raw in text.split(terminator):
        raw = raw.strip("\r\n")
        if raw:
            out.append(raw.split(element))
    return out


def find(found: Segments, segment_id: str) -> list[list[str]]:
    return [s for s in found if s[0] == segment_id]


def ids(found: Segments) -> list[str]:
    return [s[0] for s in found]


@dataclass
class Loops:
    """The response's loops: name -> list of (segments) in order."""

    order: list[str]
    loops: list[tuple[str, Segments]]

    def of(self, name: str) -> list[Segments]:
        return [body for loop, body in self.loops if loop == name]

    def one(self, name: str) -> Segments:
        found = self.of(name)
        assert len(found) == 1, (name, self.order)
        return found[0]


LEVELS = {"20": "2000A", "21": "2000B", "22": "2000C", "EV": "2000E", "SS": "2000F"}
# Segment order inside each loop of a 278 response (005010X217), NM1 opening the 2010 loops.
ORDER = {
    "2000A": ["HL", "AAA", "NM1", "AAA"],
    "2000B": ["HL", "NM1", "REF", "N3", "N4", "PER", "AAA", "PRV"],
    "2000C": ["HL", "NM1", "REF", "N3", "N4", "AAA", "DMG", "INS"],
    "2000E": ["HL", "TRN", "AAA", "UM", "HCR", "REF", "DTP", "HI", "HSD", "MSG", "NM1", "AAA"],
    "2000F": ["HL", "TRN", "AAA", "UM", "HCR", "REF", "DTP", "SV1", "HSD", "MSG", "NM1"],
}
ACTIONS = {"A1", "A3", "A4", "A6"}


def check_278_response(text: str) -> Loops:
    """Assert the structure of a 278 response interchange; return its loops."""
    found = segments(text)
    isa = found[0]
    assert len(text.split(text[105])[0]) == 105, "the ISA is fixed at 106 characters"
    assert len(isa) == 17 and isa[12] == "00501" and len(isa[13]) == 9
    assert [s[0] for s in found[1:2]] == ["GS"] and found[1][1] == "HI"
    assert found[1][8] == "005010X217"
    assert found[-1] == ["IEA", "1", isa[13]]
    assert found[-2] == ["GE", "1", found[1][6]]
    st, se = found[2], found[-3]
    assert st == ["ST", "278", st[2], "005010X217"]
    assert se == ["SE", str(len(found) - 4), st[2]], "SE01 counts ST to SE"
    bht = found[3]
    assert bht[:3] == ["BHT", "0007", "11"] and bht[3], "BHT02 11: a response"
    body = found[4:-3]
    loops: list[tuple[str, Segments]] = []
    parents: dict[str, str] = {}
    for segment in body:
        if segment[0] == "HL":
            level = LEVELS[segment[3]]
            hl_id, parent = segment[1], segment[2]
            assert hl_id not in parents, "HL01 is unique"
            expected_parent = {"2000A": None, "2000B": "2000A", "2000C": "2000B"}.get(
                level, "2000C" if level == "2000E" else "2000E"
            )
            assert (parents.get(parent) if parent else None) == expected_parent, segment
            parents[hl_id] = level
            loops.append((level, [segment]))
        else:
            assert loops, f"{segment[0]} before the first HL"
            loops[-1][1].append(segment)
    order = [name for name, _ in loops]
    assert order[:3] == ["2000A", "2000B", "2000C"] and order[3] == "2000E", order
    assert all(name == "2000F" for name in order[4:]), order
    for name, body_segments in loops:
        _check_order(name, body_segments)
        hl = body_segments[0]
        has_children = any(
            s[0] == "HL" and len(s) > 2 and s[2] == hl[1] for _, b in loops for s in b[:1]
        )
        assert hl[4] == ("1" if has_children else "0"), f"HL04 of {name}"
        for segment in body_segments:
            _check_segment(segment)
    return Loops(order, loops)


def _check_order(name: str, found: Segments) -> None:
    layout = ORDER[name]
    position = 0
    for segment in found:
        while position < len(layout) and layout[position] != segment[0]:
            position += 1
        assert position < len(layout), f"{segment[0]} out of place in {name}: {ids(found)}"
        if segment[0] == "NM1" and name in ("2000E", "2000F"):
            position = layout.index("NM1")  # 2010EA/2010F repeat: NM1, AAA


def _check_segment(segment: list[str]) -> None:
    if segment[0] == "HCR":
        assert segment[1] in ACTIONS, segment
        certified = segment[1] in ("A1", "A6")
        assert bool(len(segment) > 2 and segment[2]) == certified, "HCR02 iff certified"
        if len(segment) > 3:
            assert segment[3] == "" or len(segment[3]) == 2, "HCR03 is an 886 code"
    if segment[0] == "AAA":
        assert segment[1] == "N" and segment[2] == "" and len(segment[3]) == 2, segment
        assert segment[4] in ("C", "N"), segment
    if segment[0] == "MSG":
        assert 1 <= len(segment[1]) <= 264
    if segment[0] == "DTP" and segment[2] == "RD8":
        start, end = segment[3].split("-")
        assert len(start) == len(end) == 8 and start <= end


def pyx12_errors(text: str) -> list[str]:
    """Validate a 999 with pyx12's 005010X231A1 map; return the errors it reports."""
    records: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.levelno >= logging.ERROR:
                records.append(record.getMessage())

    handler = Collect()
    logger = logging.getLogger("pyx12")
    logger.addHandler(handler)
    try:
        valid = pyx12.x12n_document.x12n_document(
            pyx12.params.params(), io.StringIO(text), None, None, fd_json=io.StringIO()
        )
    finally:
        logger.removeHandler(handler)
    if not valid and not records:
        records.append("pyx12 says the document is not valid")
    return records
