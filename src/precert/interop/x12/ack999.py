"""Write a 999 implementation acknowledgment (005010X231A1) rejecting a 278.

AK1 names the functional group (GS06; 0 when no group could be read), AK2 the 278 (ST02;
0000 when none). Each problem is an IK3 naming the segment (ID, position, loop) and, when an
element is at fault, an IK4 naming it (position, data element number, error code and a copy
of the bad value). IK5 and AK9 reject the set and the group.
"""

from __future__ import annotations

import re
from datetime import datetime

from precert.interop.x12.envelope import VERSION, Envelope
from precert.interop.x12.tokens import Separators, SyntaxProblem, plain

ACK_VERSION = "005010X231A1"
OUR_ID = ("ZZ", "MOHEALTHNET")


def control_number(now: datetime) -> str:
    """Return a 9-digit interchange control number for a response written at `now`."""
    return f"{int(now.timestamp() * 1000) % 1_000_000_000:09d}"


def interchange_header(
    separators: Separators, envelope: Envelope | None, now: datetime, control: str
) -> list[str]:
    """Return our ISA answering `envelope` (sender and receiver swapped)."""
    sender = envelope.receiver if envelope else OUR_ID
    receiver = envelope.sender if envelope else ("ZZ", "UNKNOWN")
    sender = (_qualifier(sender[0], separators), plain(sender[1], separators) or OUR_ID[1])
    receiver = (_qualifier(receiver[0], separators), plain(receiver[1], separators) or "UNKNOWN")
    return [
        "ISA",
        "00",
        " " * 10,
        "00",
        " " * 10,
        sender[0],
        sender[1][:15].ljust(15),
        receiver[0],
        receiver[1][:15].ljust(15),
        now.strftime("%y%m%d"),
        now.strftime("%H%M"),
        separators.repetition,
        "00501",
        control,
        "0",
        envelope.usage if envelope else "P",
        separators.component,
    ]


# Interchange ID qualifiers (X12 I05) an ISA may carry.
QUALIFIERS = {"01", "14", "20", "27", "28", "29", "30", "33", "ZZ"}


def _qualifier(value: str, separators: Separators) -> str:
    """Return the sender's ISA05/ISA07 qualifier when it is one, else ZZ (mutually defined)."""
    value = plain(value, separators)
    return value if value in QUALIFIERS else "ZZ"


def write_999(problems: list[SyntaxProblem], envelope: Envelope | None, now: datetime) -> str:
    """Return the 999 rejecting the interchange for `problems`."""
    separators = envelope.separators if envelope else Separators()
    group_control = envelope.group_control if envelope and envelope.group_control.isdigit() else "0"
    set_control = envelope.set_control if envelope else ""
    set_control = set_control if re.fullmatch(r"[A-Za-z0-9]{4,9}", set_control) else "0000"
    body: list[list[str]] = [
        ["ST", "999", "0001", ACK_VERSION],
        ["AK1", "HI", group_control[:9], VERSION],
        ["AK2", "278", set_control, VERSION],
    ]
    for problem in problems:
        body += _ik3(problem, separators)
    set_codes = list(dict.fromkeys(p.set_code for p in problems if p.set_code))[:5] or ["5"]
    body.append(["IK5", "R", *set_codes])
    group_codes = list(dict.fromkeys(p.group_code for p in problems if p.group_code))[:5]
    body.append(["AK9", "R", "1", "1", "0", *group_codes])
    body.append(["SE", str(len(body) + 1), "0001"])
    return interchange(body, separators, envelope, now, functional_id="FA", version=ACK_VERSION)


def interchange(
    body: list[list[str]],
    separators: Separators,
    envelope: Envelope | None,
    now: datetime,
    *,
    functional_id: str,
    version: str,
) -> str:
    """Return one transaction set (`body`) in our ISA/GS envelope answering `envelope`."""
    control = control_number(now)
    group = str(int(control))
    sender = application(envelope.group_receiver if envelope else "", OUR_ID[1], separators)
    receiver = application(envelope.group_sender if envelope else "", "UNKNOWN", separators)
    gs_date, gs_time = now.strftime("%Y%m%d"), now.strftime("%H%M")
    return separators.write(
        [
            interchange_header(separators, envelope, now, control),
            ["GS", functional_id, sender, receiver, gs_date, gs_time, group, "X", version],
            *body,
            ["GE", "1", group],
            ["IEA", "1", control],
        ]
    )


def application(code: str, fallback: str, separators: Separators) -> str:
    """Return a GS02/GS03 application code (2 to 15 characters of X12's character set)."""
    code = plain(code, separators)
    return code[:15] if len(code) >= 2 else fallback


def _ik3(problem: SyntaxProblem, separators: Separators) -> list[list[str]]:
    segment_id = problem.segment if re.fullmatch(r"[A-Z0-9]{2,3}", problem.segment) else "UNK"
    out = [
        ["IK3", segment_id, str(max(problem.position, 1)), problem.loop[:4], problem.segment_code]
    ]
    if problem.element is not None:
        position = str(problem.element)
        if problem.component is not None:
            position += separators.component + str(problem.component)
        out.append(
            [
                "IK4",
                position,
                problem.reference,
                problem.element_code,
                _copy(problem.bad_value, separators),
            ]
        )
    return out


def _copy(value: str, separators: Separators) -> str:
    """Return the bad value as IK404 may carry it: no separators, 99 characters at most."""
    return plain(value, separators)[:99]
