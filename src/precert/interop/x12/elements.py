"""Check the elements of a 278's segments, collecting every problem as a 999 reports it."""

from __future__ import annotations

from datetime import date

from precert.interop.x12.envelope import Envelope
from precert.interop.x12.tokens import Segment, SyntaxProblem


class ElementReader:
    """Collects every problem of one transaction set, with positions counted from ST."""

    def __init__(self, envelope: Envelope) -> None:
        self.st = envelope.st_position
        self.problems: list[SyntaxProblem] = []

    def at(self, segment: Segment) -> int:
        return segment.position - self.st + 1

    def missing(self, segment_id: str, loop: str, position: int, detail: str) -> None:
        self.problems.append(
            SyntaxProblem(detail, segment_id, position, loop=loop[:4], segment_code="3")
        )

    def element(
        self,
        segment: Segment,
        loop: str,
        n: int,
        reference: str,
        code: str,
        detail: str,
        *,
        component: int | None = None,
    ) -> None:
        value = segment.get(n) if component is None else segment.part(n, component)
        self.problems.append(
            SyntaxProblem(
                detail,
                segment.id,
                self.at(segment),
                loop=loop[:4],
                element=n,
                component=component,
                reference=reference,
                element_code=code,
                bad_value=value,
            )
        )

    def required(self, segment: Segment, loop: str, n: int, reference: str, what: str) -> str:
        value = segment.get(n)
        if not value:
            self.element(
                segment, loop, n, reference, "1", f"{loop} {segment.id}{n:02d} ({what}) is required"
            )
        return value

    def code(
        self, segment: Segment, loop: str, n: int, reference: str, allowed: tuple[str, ...]
    ) -> str:
        value = segment.get(n)
        if value not in allowed:
            self.element(
                segment,
                loop,
                n,
                reference,
                "1" if not value else "7",
                f"{loop} {segment.id}{n:02d} is {value!r}; expected {' or '.join(allowed)}",
            )
        return value

    def date(
        self, segment: Segment, loop: str, n: int, reference: str
    ) -> tuple[date | None, date | None]:
        """Read a D8 (CCYYMMDD) or RD8 (CCYYMMDD-CCYYMMDD) date element (its format in n-1)."""
        form, value = segment.get(n - 1), segment.get(n)
        texts = value.split("-") if form == "RD8" else [value]
        if form not in ("D8", "RD8"):
            self.element(
                segment,
                loop,
                n - 1,
                "1250",
                "7",
                f"{loop} {segment.id}{n - 1:02d} must be D8 or RD8",
            )
            return None, None
        days = [_day(t) for t in texts]
        if len(texts) != (2 if form == "RD8" else 1) or any(d is None for d in days):
            self.element(
                segment,
                loop,
                n,
                reference,
                "8",
                f"{loop} {segment.id}{n:02d} {value!r} is not a {form} date",
            )
            return None, None
        start, end = days[0], days[-1]
        if start and end and end < start:
            self.element(
                segment,
                loop,
                n,
                reference,
                "8",
                f"{loop} {segment.id}{n:02d} ends before it starts",
            )
            return None, None
        return start, (end if form == "RD8" else None)


def _day(text: str) -> date | None:
    """Return a CCYYMMDD date of the years the program keeps (1900-2999), else None."""
    if len(text) != 8 or not text.isdigit() or not 1900 <= int(text[:4]) <= 2999:
        return None
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return None
