"""Split an X12 interchange into segments, with the separators its ISA declares.

The ISA is fixed-width (106 characters): the element separator is its 4th character, the
repetition separator ISA11, the component separator ISA16 and the segment terminator the
character after ISA16. Line breaks after a terminator are tolerated. What cannot be read is
a `SyntaxProblem`, acknowledged with a 999 (see `ack999`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

ISA_LENGTH = 106
LINE_BREAKS = "\r\n"


@dataclass(frozen=True, slots=True)
class Separators:
    element: str = "*"
    component: str = ":"
    repetition: str = "^"
    segment: str = "~"

    def write(self, segments: list[list[str]]) -> str:
        """Return `segments` (lists of elements, the ID first) as X12 text, one per line."""
        end = self.segment if self.segment in LINE_BREAKS else self.segment + "\n"
        return "".join(self.element.join(_trim(elements)) + end for elements in segments)


def _special(c: str) -> bool:
    """Whether `c` may be a separator: printable ASCII, neither a letter, a digit nor a space."""
    return "!" <= c <= "~" and not c.isalnum()


def plain(value: str, separators: Separators) -> str:
    """Return `value` in X12's character set (printable ASCII), clear of the separators."""
    banned = {separators.element, separators.component, separators.repetition, separators.segment}
    kept = "".join(c if " " <= c <= "~" and c not in banned else " " for c in value)
    return " ".join(kept.split())


def _trim(elements: list[str]) -> list[str]:
    """Drop empty trailing elements (X12 does not send them)."""
    end = len(elements)
    while end > 1 and elements[end - 1] == "":
        end -= 1
    return elements[:end]


@dataclass(frozen=True, slots=True)
class Segment:
    """One segment; `elements[0]` is its ID, `elements[n]` its nth element."""

    elements: tuple[str, ...]
    position: int  # 1-based position in the interchange (ISA = 1)
    component: str = ":"

    @property
    def id(self) -> str:
        return self.elements[0]

    def get(self, n: int) -> str:
        return self.elements[n].strip() if n < len(self.elements) else ""

    def part(self, n: int, k: int) -> str:
        """Return component `k` (1-based) of element `n`."""
        parts = self.get(n).split(self.component)
        return parts[k - 1].strip() if k <= len(parts) else ""


@dataclass(frozen=True, slots=True)
class SyntaxProblem:
    """One envelope or syntax error, as a 999 reports it (IK3/IK4, IK5, AK9)."""

    detail: str  # plain words, for people (the CLI, the docs); never in the 999 itself
    segment: str  # IK301
    position: int  # IK302: in the transaction set (ST = 1); outside it, in the interchange
    loop: str = ""  # IK303 (4 characters at most, e.g. "2010" for 2010C)
    segment_code: str = "8"  # IK304: 3 missing, 8 element errors, 1 unrecognized, 2 unexpected
    element: int | None = None  # IK401-1
    component: int | None = None  # IK401-2
    reference: str = ""  # IK402: the data element's reference number
    element_code: str = "1"  # IK403: 1 missing, 7 invalid code, 8 invalid date, 6 bad character
    bad_value: str = ""  # IK404
    set_code: str = "5"  # IK502
    group_code: str = ""  # AK905, for errors of the functional group


class X12SyntaxError(Exception):
    """The interchange cannot be decided; `problems` say where."""

    def __init__(self, problems: list[SyntaxProblem]) -> None:
        super().__init__("; ".join(p.detail for p in problems))
        self.problems = problems


@dataclass
class Interchange:
    separators: Separators
    isa: Segment
    segments: list[Segment] = field(default_factory=list)  # after the ISA


def tokenize(text: str) -> Interchange:
    """Return the interchange's separators and segments; raise X12SyntaxError if unreadable."""
    body = text.lstrip("\ufeff \t\r\n")
    if not body:
        raise _isa_problem("the body is empty: an X12 interchange starts with an ISA segment")
    if not body.startswith("ISA"):
        raise _isa_problem("the body does not start with an ISA segment", segment_code="1")
    if len(body) < ISA_LENGTH:
        raise _isa_problem(
            f"the ISA segment is {len(body)} characters; it is fixed at {ISA_LENGTH}"
        )
    element = body[3]
    fields = body[: ISA_LENGTH - 1].split(element)
    if not _special(element) or len(fields) != 17:
        raise _isa_problem(
            "the ISA segment does not declare its separators: its 4th character must be the "
            f"element separator and it must have 16 elements in {ISA_LENGTH} characters",
            element=1,
        )
    repetition, component, terminator = fields[11], fields[16], body[ISA_LENGTH - 1]
    separators = Separators(element, component, repetition, terminator)
    used = [element, component, repetition, terminator]
    if (
        len(component) != 1
        or len(repetition) != 1
        or not all(_special(c) for c in used[:3])
        or not (_special(terminator) or terminator in LINE_BREAKS)
        or len(set(used)) != 4
    ):
        raise _isa_problem(
            "the ISA separators are not four different special characters (element "
            f"{element!r}, repetition ISA11 {repetition!r}, component ISA16 {component!r}, "
            f"segment terminator {terminator!r})",
            element=16,
            bad_value=component,
        )
    isa = Segment(tuple(fields), 1, component)
    segments = []
    position = 1
    rest = body[ISA_LENGTH:]
    for raw in rest.split(terminator):
        chunk = raw.strip(LINE_BREAKS) if terminator not in LINE_BREAKS else raw
        if not chunk.strip():
            continue
        position += 1
        segments.append(Segment(tuple(chunk.split(element)), position, component))
    return Interchange(separators, isa, segments)


def _isa_problem(
    detail: str, *, segment_code: str = "8", element: int | None = None, bad_value: str = ""
) -> X12SyntaxError:
    return X12SyntaxError(
        [
            SyntaxProblem(
                detail,
                "ISA",
                1,
                segment_code=segment_code,
                element=element or 1,
                element_code="6" if element else "1",
                bad_value=bad_value,
            )
        ]
    )
