"""Turn a problem the services report (a `DomainError`) into 278 AAA segments.

Each problem becomes `AAA*N**<901 reject reason>*<889 follow-up>` in the loop that holds the
value at fault: the member (2010C), the requester (2010B), the performing provider (2010EA),
a service line (2000F) or the patient event (2000E). Reject reasons are from X12 element 901
as publicly documented for the 278 (see docs/x12-278.md): 75 subscriber/insured not found,
72 invalid/missing subscriber/insured ID, 71 patient birth date does not match, 43
invalid/missing provider identification, 41 authorization/access restrictions (also for
a step the sender's role may not take: a physician completing, a provider starting), 57
invalid/missing date(s) of service, 15 required application data missing, 33 input errors.
Follow-up (889): C please correct and resubmit, N resubmission not allowed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from precert.errors import DomainError

CORRECT, NO_RESUBMISSION = "C", "N"
_LINE = re.compile(r"^2000F\[(\d+)\]")


@dataclass(frozen=True, slots=True)
class Rejection:
    loop: str  # 2010B, 2010C, 2010EA, 2000E or 2000F
    line: int | None  # the 2000F line (1-based), when the problem is in one
    reason: str  # AAA03 (901)
    follow_up: str  # AAA04 (889)
    where: str  # the X12 location, e.g. "2010C NM109"
    message: str

    def segment(self) -> list[str]:
        return ["AAA", "N", "", self.reason, self.follow_up]


def rejections(exc: DomainError, where: dict[str, str], lines: int) -> list[Rejection]:
    """Return the AAA rejections for `exc`, whose fields are X12 locations from `where`."""
    field_of = {place: name for name, place in where.items()}
    if not exc.fields:
        if exc.status == 403:
            # A token naming an NPI other than its own: the performer's is in 2010EA.
            loop = "2010EA" if exc.detail.startswith("provider_npi") else "2010B"
            return [Rejection(loop, None, "41", NO_RESUBMISSION, f"{loop} NM109", exc.detail)]
        return [Rejection("2000E", None, "33", _follow_up(exc), "2000E", exc.detail)]
    out = []
    for problem in exc.fields:
        name = _base(field_of.get(problem.field, problem.field))
        loop, line = _loop_of(problem.field, lines)
        out.append(
            Rejection(
                loop,
                line,
                _reason(name, problem.message, exc.status),
                _follow_up(exc),
                problem.field,
                problem.message,
            )
        )
    return out


def _base(name: str) -> str:
    return name.split("[", 1)[0]


def _loop_of(place: str, lines: int) -> tuple[str, int | None]:
    line = _LINE.match(place)
    if line and 1 <= int(line.group(1)) <= lines:
        return "2000F", int(line.group(1))
    head = place.split(" ", 1)[0]
    if head in ("2010B", "2010C", "2010EA"):
        return head, None
    return "2000E", None


def _reason(name: str, message: str, status: int) -> str:
    if status == 403:
        return "41"
    if name == "participant_id":
        return "75" if message.startswith("no MO HealthNet participant") else "72"
    if name == "birth_date":
        return "71"
    if name in ("prescriber_npi", "provider_npi"):
        return "43"
    if name in ("start_date",):
        return "57"
    if name == "prior":  # who may start and who may complete: the roles of the REST API
        return "41"
    if "required" in message or "names no" in message:
        return "15"
    return "33"


def _follow_up(exc: DomainError) -> str:
    return NO_RESUBMISSION if exc.status in (403, 409) else CORRECT
