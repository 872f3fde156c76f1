"""Map a read 278 request onto the program's `AuthorizationRequest`.

Who is who: the requester (2010B `NM1*1P`, NPI in NM109 with NM108 `XX`) is the prescribing
physician; the performing provider is 2010EA `NM1*SJ`; the member is 2010C `NM1*IL` with
NM108 `MI`. Each 2000F `SV1` is one service (CPT in SV101-2, 15-minute units in SV104), dated
by its `DTP*472`, else by the event's `DTP*AAH`. A 278 that completes an existing
pre-certification names it in 2000E `REF*BB` (or `REF*NT`). The plan-of-care date is the
transaction's date (BHT04). `where` names the X12 location of every field, so that problems
are reported where the sender put the value.
"""

from __future__ import annotations

from precert.interop.authorization import AuthorizationRequest, Service
from precert.interop.x12.request import Request278
from precert.rules.codes import normalize_icd10


def to_authorization(request: Request278) -> AuthorizationRequest:
    """Return the program's request for `request` (dates fall back to the event's)."""
    services = []
    where: dict[str, str] = {
        "*": "2000E",
        "participant_id": "2010C NM109",
        "birth_date": "2010C DMG02",
        "prescriber_npi": "2010B NM109",
        "provider_npi": "2010EA NM109",
        "diagnosis_codes": "2000E HI",
        "procedure_codes": "2000F SV101-2",
        "therapy": "2000F SV101-2",
        "units": "2000F SV104",
        "start_date": "2000F DTP03",
        "plan_of_care_date": "BHT04",
        "prior": "2000E REF02",
    }
    first_line_of: dict[str, int] = {}
    for number, line in enumerate(request.lines, start=1):
        start = line.start or request.event_start or request.created
        end = line.end if line.start else (request.event_end if request.event_start else None)
        services.append(Service(line.code, line.units, start, end))
        first_line_of.setdefault(line.code, number)
    for index, code in enumerate(first_line_of):
        where[f"procedure_codes[{index}]"] = f"2000F[{first_line_of[code]}] SV101-2"
    if len(request.lines) == 1:  # the request's totals are that line's
        for name in ("procedure_codes", "therapy", "units", "start_date"):
            where[name] = where[name].replace("2000F ", "2000F[1] ")
    if request.lines and not any(line.start for line in request.lines):
        where["start_date"] = "2000E DTP03"
    for index, place in enumerate(_diagnosis_places(request)):
        where[f"diagnosis_codes[{index}]"] = place
    return AuthorizationRequest(
        member_id=request.member_id,
        birth_date=request.birth_date,
        physician_npi=request.physician_npi or None,
        performer_npi=request.performer_npi or None,
        services=tuple(services),
        diagnosis_codes=tuple(_icd10(code) for code in request.diagnoses),
        plan_of_care_date=request.created,
        prior_id=request.prior_id,
        where=where,
    )


def _icd10(code: str) -> str:
    """Return the dotted code (M5450 -> M54.50); a malformed one is passed on for the rules."""
    try:
        return normalize_icd10(code)
    except ValueError:
        return code


def _diagnosis_places(request: Request278) -> list[str]:
    places = []
    for hi in request.event.all("HI"):
        places += [f"2000E HI{n:02d}-2" for n in range(1, 13) if hi.get(n)]
    return places
