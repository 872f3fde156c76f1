"""Write 278 requests (005010X217) for tests, the way a clearinghouse would send them.

`request_278(...)` returns the interchange text; `segments` and `envelope` let a test break
one thing at a time (a wrong count, a missing loop, another version).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tests.api.conftest import PARTICIPANT

ISA_CONTROL = "000000905"


@dataclass
class Line:
    code: str = "97110"
    units: int = 8
    dates: str | None = "20260310"  # D8, or "CCYYMMDD-CCYYMMDD" for RD8


@dataclass
class Request:
    physician_npi: str
    performer_npi: str | None = None
    member_id: str = PARTICIPANT
    birth_date: str | None = "19800101"
    diagnoses: tuple[str, ...] = ("M5450",)
    lines: list[Line] = field(default_factory=lambda: [Line()])
    prior: str | None = None  # REF*BB in 2000E
    trace: str = "TRACE-0001"
    event_dates: str | None = None  # 2000E DTP*AAH
    created: str = "20260302"
    version: str = "005010X217"

    def transaction(self) -> list[str]:
        """Return the segments from ST to SE (SE01 counted)."""
        out = [
            f"ST*278*0001*{self.version}",
            f"BHT*0007*13*REQ-{self.trace}*{self.created}*1200",
            "HL*1**20*1",
            "NM1*X3*2*MO HEALTHNET*****PI*MOHEALTHNET",
            "HL*2*1*21*1",
            f"NM1*1P*1*DOCTOR*TEST****XX*{self.physician_npi}",
            "HL*3*2*22*1",
            f"NM1*IL*1*PARTICIPANT*TEST****MI*{self.member_id}",
        ]
        if self.birth_date:
            out.append(f"DMG*D8*{self.birth_date}")
        out += [
            f"HL*4*3*EV*{1 if self.lines else 0}",
            f"TRN*1*{self.trace}*9SUBMITTER",
            "UM*HS*I*PT",
        ]
        if self.prior:
            out.append(f"REF*BB*{self.prior}")
        if self.event_dates:
            form = "RD8" if "-" in self.event_dates else "D8"
            out.append(f"DTP*AAH*{form}*{self.event_dates}")
        if self.diagnoses:
            codes = [f"{'ABK' if i == 0 else 'ABF'}:{c}" for i, c in enumerate(self.diagnoses)]
            out.append("HI*" + "*".join(codes))
        if self.performer_npi:
            out.append(f"NM1*SJ*1*THERAPIST*TEST****XX*{self.performer_npi}")
        for n, line in enumerate(self.lines, start=5):
            out += [f"HL*{n}*4*SS*0", "UM*HS*I*PT"]
            if line.dates:
                form = "RD8" if "-" in line.dates else "D8"
                out.append(f"DTP*472*{form}*{line.dates}")
            out.append(f"SV1*HC:{line.code}*0*UN*{line.units}")
        out.append(f"SE*{len(out) + 1}*0001")
        return out


def envelope(
    transaction: list[str], *, version: str = "005010X217", terminator: str = "~\n"
) -> str:
    """Wrap ST..SE in an interchange with matching control numbers and counts."""
    isa = (
        "ISA*00*          *00*          *ZZ*SUBMITTER      *ZZ*MOHEALTHNET    "
        f"*260302*1200*^*00501*{ISA_CONTROL}*0*T*:"
    )
    assert len(isa) == 105
    segments = [isa, f"GS*HI*SUBMITTER*MOHEALTHNET*20260302*1200*17*X*{version}", *transaction]
    segments += ["GE*1*17", f"IEA*1*{ISA_CONTROL}"]
    return terminator.join(segments) + terminator


def request_278(**kwargs: object) -> str:
    """Return a whole interchange holding one 278 request."""
    request = Request(**kwargs)  # type: ignore[arg-type]
    return envelope(request.transaction(), version=request.version)
