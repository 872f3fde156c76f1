"""Check an interchange's envelope (ISA/IEA, GS/GE, ST/SE) and return its one 278.

One interchange carries one functional group (GS01 HI) with one 278 transaction set of
005010X217 (ST03 and GS08). Control numbers must pair up (ISA13 = IEA02, GS06 = GE02, ST02 =
SE02) and the counts must be real (SE01 segments, GE01 transaction sets, IEA01 groups). Every
problem found is reported at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from precert.interop.x12.tokens import (
    Interchange,
    Segment,
    Separators,
    SyntaxProblem,
    X12SyntaxError,
    tokenize,
)

VERSION = "005010X217"


@dataclass
class Envelope:
    """What the envelope says; as much as could be read when it has problems."""

    separators: Separators
    sender: tuple[str, str]  # ISA05, ISA06
    receiver: tuple[str, str]  # ISA07, ISA08
    control: str  # ISA13
    usage: str  # ISA15: P or T
    group_sender: str = ""  # GS02
    group_receiver: str = ""  # GS03
    group_control: str = ""  # GS06
    set_control: str = ""  # ST02
    transaction: list[Segment] = field(default_factory=list)  # ST .. SE

    @property
    def st_position(self) -> int:
        return self.transaction[0].position if self.transaction else 1


class EnvelopeError(X12SyntaxError):
    def __init__(self, problems: list[SyntaxProblem], envelope: Envelope | None) -> None:
        super().__init__(problems)
        self.envelope = envelope


def read(text: str) -> Envelope:
    """Return the envelope and its 278 transaction set; raise EnvelopeError on any problem."""
    try:
        interchange = tokenize(text)
    except X12SyntaxError as exc:
        raise EnvelopeError(exc.problems, None) from None
    envelope = _header(interchange)
    problems: list[SyntaxProblem] = []
    _check_isa(interchange.isa, problems)
    segments = interchange.segments
    groups = [s for s in segments if s.id == "GS"]
    _check_trailer(interchange, len(groups), problems)
    if not groups:
        where = segments[0] if segments else interchange.isa
        problems.append(
            _outside(where, "GS", "the interchange has no functional group (GS)", code="3")
        )
        raise EnvelopeError(problems, envelope)
    gs = groups[0]
    envelope.group_sender, envelope.group_receiver = gs.get(2), gs.get(3)
    envelope.group_control = gs.get(6)
    if len(groups) > 1:
        problems.append(
            _outside(groups[1], "GS", "send one functional group per interchange", code="2")
        )
    _check_gs(gs, problems)
    inside = _between(segments, gs, "GE")
    sets = [s for s in inside if s.id == "ST"]
    ge = next((s for s in segments if s.id == "GE" and s.position > gs.position), None)
    _check_ge(gs, ge, len(sets), segments, problems)
    if not sets:
        problems.append(
            _outside(gs, "ST", "the functional group has no transaction set (ST)", code="3")
        )
        raise EnvelopeError(problems, envelope)
    if len(sets) > 1:
        problems.append(
            SyntaxProblem(
                "send one 278 transaction set per interchange",
                "ST",
                sets[1].position - sets[0].position + 1,
                segment_code="2",
                set_code="5",
            )
        )
    envelope.set_control = sets[0].get(2)
    envelope.transaction = _transaction(sets[0], inside, problems)
    if problems:
        raise EnvelopeError(problems, envelope)
    return envelope


def _header(interchange: Interchange) -> Envelope:
    isa = interchange.isa
    return Envelope(
        separators=interchange.separators,
        sender=(isa.get(5), isa.get(6)),
        receiver=(isa.get(7), isa.get(8)),
        control=isa.get(13),
        usage=isa.get(15) if isa.get(15) in ("P", "T") else "P",
    )


def _check_isa(isa: Segment, problems: list[SyntaxProblem]) -> None:
    if isa.get(12) != "00501":
        problems.append(
            _isa(12, "7", isa.get(12), f"ISA12 is {isa.get(12)!r}; this interface reads 00501")
        )
    if not (isa.get(13).isdigit() and len(isa.get(13)) == 9):
        problems.append(_isa(13, "6", isa.get(13), "ISA13 must be a 9-digit control number"))


def _check_trailer(interchange: Interchange, groups: int, problems: list[SyntaxProblem]) -> None:
    segments = interchange.segments
    last = segments[-1] if segments else None
    if last is None or last.id != "IEA":
        position = (last.position + 1) if last else 2
        problems.append(
            SyntaxProblem(
                "the interchange does not end with an IEA segment",
                "IEA",
                position,
                segment_code="3",
            )
        )
        return
    if last.get(1) != str(groups):
        problems.append(
            _element(
                last,
                1,
                "",
                "7",
                f"IEA01 says {last.get(1)!r} functional groups; the interchange has {groups}",
            )
        )
    if last.get(2) != interchange.isa.get(13):
        problems.append(
            _element(
                last,
                2,
                "",
                "7",
                f"IEA02 {last.get(2)!r} is not the ISA13 control number "
                f"{interchange.isa.get(13)!r}",
            )
        )


def _check_gs(gs: Segment, problems: list[SyntaxProblem]) -> None:
    if gs.get(1) != "HI":
        problems.append(
            _element(gs, 1, "479", "7", f"GS01 is {gs.get(1)!r}; a 278 travels in group HI", "1")
        )
    if not gs.get(6).isdigit():
        problems.append(_element(gs, 6, "28", "6", "GS06 must be a numeric control number", "6"))
    if gs.get(8) != VERSION:
        problems.append(
            _element(
                gs, 8, "480", "7", f"GS08 is {gs.get(8)!r}; this interface reads {VERSION}", "2"
            )
        )


def _check_ge(
    gs: Segment,
    ge: Segment | None,
    sets: int,
    segments: list[Segment],
    problems: list[SyntaxProblem],
) -> None:
    if ge is None:
        after = segments[-1].position if segments else gs.position
        problems.append(
            SyntaxProblem(
                "the functional group has no GE trailer",
                "GE",
                after,
                segment_code="3",
                group_code="3",
            )
        )
        return
    if ge.get(1) != str(sets):
        problems.append(
            _element(
                ge,
                1,
                "97",
                "7",
                f"GE01 says {ge.get(1)!r} transaction sets; the group has {sets}",
                "5",
            )
        )
    if ge.get(2) != gs.get(6):
        problems.append(
            _element(
                ge,
                2,
                "28",
                "7",
                f"GE02 {ge.get(2)!r} is not the GS06 control number {gs.get(6)!r}",
                "4",
            )
        )


def _transaction(
    st: Segment, inside: list[Segment], problems: list[SyntaxProblem]
) -> list[Segment]:
    """Return ST .. SE, checking the header and the trailer against each other."""
    body = [s for s in inside if s.position >= st.position]
    se_index = next((i for i, s in enumerate(body) if s.id == "SE"), None)
    if st.get(1) != "278":
        problems.append(
            _in_set(st, st, 1, "143", "7", f"ST01 is {st.get(1)!r}; send a 278", set_code="6")
        )
    if not 4 <= len(st.get(2)) <= 9:
        problems.append(
            _in_set(st, st, 2, "329", "4", "ST02 must be a 4 to 9 character control number", "7")
        )
    if st.get(3) != VERSION:
        problems.append(
            _in_set(
                st,
                st,
                3,
                "1705",
                "7",
                f"ST03 is {st.get(3)!r}; this interface reads {VERSION}",
                "I6",
            )
        )
    if se_index is None:
        end = body[-1].position - st.position + 2
        problems.append(
            SyntaxProblem(
                "the transaction set has no SE trailer", "SE", end, segment_code="3", set_code="2"
            )
        )
        return body
    transaction = body[: se_index + 1]
    se = transaction[-1]
    if se.get(1) != str(len(transaction)):
        problems.append(
            _in_set(
                st,
                se,
                1,
                "96",
                "7",
                f"SE01 says {se.get(1)!r} segments; the transaction set has {len(transaction)} "
                "(ST to SE)",
                set_code="4",
            )
        )
    if se.get(2) != st.get(2):
        problems.append(
            _in_set(st, se, 2, "329", "7", f"SE02 {se.get(2)!r} is not the ST02 {st.get(2)!r}", "3")
        )
    return transaction


def _between(segments: list[Segment], start: Segment, end_id: str) -> list[Segment]:
    out = []
    for s in segments:
        if s.position <= start.position:
            continue
        if s.id in (end_id, "IEA", "GS"):
            break
        out.append(s)
    return out


def _isa(element: int, code: str, value: str, detail: str) -> SyntaxProblem:
    return SyntaxProblem(detail, "ISA", 1, element=element, element_code=code, bad_value=value)


def _outside(at: Segment, segment: str, detail: str, *, code: str) -> SyntaxProblem:
    return SyntaxProblem(detail, segment, at.position, segment_code=code)


def _element(
    segment: Segment, n: int, reference: str, code: str, detail: str, group_code: str = ""
) -> SyntaxProblem:
    """A problem in an envelope segment outside the transaction set (ISA, GS, GE, IEA)."""
    return SyntaxProblem(
        detail,
        segment.id,
        segment.position,
        element=n,
        reference=reference,
        element_code=code,
        bad_value=segment.get(n),
        set_code="",  # outside the transaction set: AK9 (group_code) says it
        group_code=group_code,
    )


def _in_set(
    st: Segment,
    segment: Segment,
    n: int,
    reference: str,
    code: str,
    detail: str,
    set_code: str = "5",
) -> SyntaxProblem:
    return SyntaxProblem(
        detail,
        segment.id,
        segment.position - st.position + 1,
        element=n,
        reference=reference,
        element_code=code,
        bad_value=segment.get(n),
        set_code=set_code,
    )
