"""Read the service lines of an X12 837P (005010X222A1/A2) claim file as claims-import rows.

The file is parsed by `x12sdk`: its segment reader splits the segments, its model reader builds
and validates one `HealthCareClaimProfessional` per transaction set (ST..SE). This module only
picks the fields of our claims import out of those models; `precert.claims.lines.read_line`
checks them afterwards, so values are passed through as text.
"""

from __future__ import annotations

import datetime
import os
import pathlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from pydantic import ValidationError
from x12sdk.io import X12ModelReader, X12SegmentReader
from x12sdk.models import X12SegmentName
from x12sdk.v5010.x12_837_005010X222A2.transaction_set import HealthCareClaimProfessional

ISA_LENGTH = 106  # the ISA segment is fixed-width; its last character is the segment terminator
ENVELOPE = frozenset({"ISA", "GS", "GE", "IEA"})
PRINCIPAL, OTHER = "ABK", "ABF"  # ICD-10-CM principal and other diagnosis qualifiers (HI01-1)
CORRECTIONS = frozenset({"7", "8"})  # CLM05-3 replacement and void
KNOWN_SEGMENTS = frozenset(name.value for name in X12SegmentName)
Place = tuple[str | int, ...]  # a place in the model, as in a pydantic error's `loc`


@dataclass
class _Transaction:
    """Where one ST..SE transaction set sits in the file, from the segment pass."""

    control: str
    start: int
    end: int = 0
    lines: list[tuple[int, str]] = field(default_factory=list)  # (LX position, LX01)
    # The segment opening each loop, by its place in the model: only to say where a
    # validation error is.
    places: dict[Place, tuple[int, str]] = field(default_factory=dict)


class _Places:
    """Follows HL, CLM and LX to know which loop of the model each segment opens."""

    def __init__(self, transaction: _Transaction) -> None:
        self.transaction = transaction
        self.provider: Place = ()
        self.subscriber: Place = ()
        self.patient: Place = ()
        self.claim: Place = ()
        self.counts: dict[Place, int] = {}

    def _next(self, parent: Place, loop: str, position: int, name: str) -> Place:
        key = (*parent, loop)
        index = self.counts.get(key, 0)
        self.counts[key] = index + 1
        place = (*parent, loop, index)
        self.transaction.places[place] = (position, name)
        return place

    def see(self, position: int, name: str, fields: list[str]) -> None:
        if name == "HL":
            level = fields[3] if len(fields) > 3 else ""
            if level == "20":
                self.provider = self._next((), "loop_2000a", position, name)
            elif level == "22":
                self.subscriber = self._next(self.provider, "loop_2000b", position, name)
                self.patient = self.subscriber
            elif level == "23":
                self.patient = self._next(self.subscriber, "loop_2000c", position, name)
        elif name == "CLM":
            self.claim = self._next(self.patient, "loop_2300", position, name)
        elif name == "LX":
            self._next(self.claim, "loop_2400", position, name)


@dataclass
class _Plan:
    text: str
    component: str
    transactions: list[_Transaction]


def read_837p(source: str | pathlib.Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield `(position, raw)` for each service line (loop 2400) of an 837P, in file order.

    `source` is a path, or a `str` holding the X12 text itself when it begins with "ISA"
    (and is not the name of an existing file); any other `str` is taken as a path. Segments
    may end with `~` alone or with `~` and a line break (LF or CRLF).

    `position` is the 1-based number of the service line's LX segment among all the segments
    of the file, counting from ISA = 1 (envelope segments included, line breaks ignored), so a
    report can say "segment 42".

    `raw` has the keys of a claims-import CSV row, all text except `diagnosis_codes` (a list):
    claim_id (CLM01), line_number (LX01), frequency (CLM05-3), original_claim_id (REF*F8 of
    loop 2300 for frequency 7 or 8, else ""), participant_id (NM109 of 2010BA), billing_npi
    (NM109 of 2010AA when NM108 is XX), rendering_npi (2420A, else 2310B, else the billing
    NPI), procedure_code (SV101-2), diagnosis_codes (HI: ABK first, then ABF, undotted),
    date_of_service (DTP*472 of 2400, else of 2300; D8 or the start of RD8; as YYYY-MM-DD)
    and units (SV104; a whole number as "8", anything else as written).

    Raises `ValueError` with a one-line message when the file cannot be read as an 837P: not
    X12, truncated, another transaction type, or rejected by the library's validation. The
    envelope and transaction boundaries are checked before this returns; a transaction set's
    own validation happens as the iteration reaches it, so with several ST..SE sets in one
    file, lines of the earlier sets may be yielded before the error for a later one.
    """
    plan = _scan(_text_of(source))
    return _service_lines(plan)


def _is_text(source: str | pathlib.Path) -> bool:
    """True for a `str` holding X12 rather than naming a file (such as "ISA_0001.837")."""
    if not isinstance(source, str) or not source.lstrip("\ufeff \t\r\n").startswith("ISA"):
        return False
    return len(source) >= ISA_LENGTH or not os.path.exists(source)


def _text_of(source: str | pathlib.Path) -> str:
    if _is_text(source):
        text = str(source)
    else:
        path = pathlib.Path(source)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise ValueError(f"cannot read {str(path)[:200]}: {exc.strerror or exc}") from None
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = data.decode("latin-1")
    text = text.lstrip("\ufeff \t\r\n")
    if not text.startswith("ISA"):
        raise ValueError("not an X12 interchange: it does not begin with an ISA segment")
    if len(text) < ISA_LENGTH:
        raise ValueError("not an X12 interchange: shorter than an ISA segment (106 characters)")
    terminator = text[ISA_LENGTH - 1]
    if terminator.isspace() or terminator.isalnum():
        raise ValueError(
            f"segment terminator {terminator!r} (ISA position 106) is not supported; "
            "expected a symbol such as '~'"
        )
    # The library drops LF between segments but not CR.
    return text.replace("\r", "") if "\r" in text else text


def _scan(text: str) -> _Plan:
    """Check the envelope and note each transaction set and LX segment, by position."""
    transactions: list[_Transaction] = []
    current: _Transaction | None = None
    places: _Places | None = None
    version = ""
    last = ""
    try:
        with X12SegmentReader(text) as reader:
            if reader.delimiters is None:  # pragma: no cover - set by __enter__
                raise ValueError("no delimiters")
            component = reader.delimiters.component_separator
            for position, (name, fields) in enumerate(reader.segments(), start=1):
                last = name
                if position == 1 and name != "ISA":
                    raise ValueError("not an X12 interchange: it does not begin with ISA")
                if name not in KNOWN_SEGMENTS:
                    found = f"unknown segment {name[:20]!r}" if name else "an empty segment"
                    raise ValueError(f"segment {position}: {found}")
                if name == "GS":
                    version = fields[8] if len(fields) > 8 else ""
                elif name == "ST":
                    if current is not None:
                        raise ValueError(
                            f"segment {position}: ST before the SE of the transaction set "
                            f"starting at segment {current.start}"
                        )
                    kind = fields[1] if len(fields) > 1 else ""
                    implementation = version or (fields[3] if len(fields) > 3 else "")
                    if kind != "837" or not implementation.startswith("005010X222"):
                        found = f"{kind} {implementation}".strip() or "nothing"
                        raise ValueError(
                            f"segment {position}: transaction set is {found}, "
                            "not an 837P (837 005010X222A1/A2)"
                        )
                    control = fields[2] if len(fields) > 2 else ""
                    current = _Transaction(control, position)
                    places = _Places(current)
                    transactions.append(current)
                elif current is None:
                    if name not in ENVELOPE:
                        raise ValueError(
                            f"segment {position}: {name or 'an empty segment'} "
                            "is outside a transaction set (ST..SE)"
                        )
                elif name in ENVELOPE:
                    raise ValueError(
                        f"segment {position}: {name} inside the transaction set starting "
                        f"at segment {current.start} (its SE is missing)"
                    )
                elif name == "SE":
                    current.end = position
                    current = None
                else:
                    if name == "LX":
                        current.lines.append((position, fields[1] if len(fields) > 1 else ""))
                    if places is not None:
                        places.see(position, name, fields)
    except ValueError as exc:
        raise ValueError(_one_line(exc)) from None
    except Exception as exc:  # the library failing on malformed input
        raise ValueError(f"not a readable X12 file: {_one_line(exc)}") from None
    if current is not None:
        raise ValueError(
            f"truncated: the transaction set starting at segment {current.start} has no SE"
        )
    if last != "IEA":
        raise ValueError("truncated: the interchange does not end with an IEA segment")
    if not transactions:
        raise ValueError("no transaction set (ST..SE) in the interchange")
    return _Plan(text, component, transactions)


def _service_lines(plan: _Plan) -> Iterator[tuple[int, dict[str, Any]]]:
    pending = iter(plan.transactions)
    with X12ModelReader(plan.text) as reader:
        models = reader.models()
        for transaction in pending:
            where = f"transaction set {transaction.control} (segments {transaction.start}-"
            where += f"{transaction.end})"
            try:
                model = next(models)
            except StopIteration:
                raise ValueError(f"{where}: the library returned no model") from None
            except ValidationError as exc:
                problem = _validation(exc, transaction)
                raise ValueError(f"{where} is not a valid 837P: {problem}") from None
            except KeyError as exc:  # a segment the library has no model for
                problem = f"unsupported segment {exc.args[0] if exc.args else ''!s}"
                raise ValueError(f"{where} cannot be parsed: {_one_line(problem)}") from None
            except Exception as exc:
                raise ValueError(f"{where} cannot be parsed: {_one_line(exc)}") from None
            if not isinstance(model, HealthCareClaimProfessional):
                raise ValueError(f"{where} is not an 837P")
            yield from _lines_of(model, transaction, plan.component, where)


def _lines_of(
    model: HealthCareClaimProfessional, transaction: _Transaction, component: str, where: str
) -> Iterator[tuple[int, dict[str, Any]]]:
    found = [(claim, line) for claim in model.claims() for line in claim.service_lines]
    numbers = [str(line.lx_segment.assigned_number) for _, line in found]
    if numbers != [number for _, number in transaction.lines]:
        raise ValueError(f"{where}: the service lines do not match the file's LX segments")
    for (position, _), (claim, line) in zip(transaction.lines, found, strict=True):
        yield position, _raw(claim, line, component)


def _raw(claim: Any, line: Any, component: str) -> dict[str, Any]:
    clm = claim.claim.clm_segment
    location = _components(clm.health_care_service_location_information, component)
    frequency = location[2] if len(location) > 2 else ""
    original = ""
    if frequency in CORRECTIONS:
        original = _reference(claim.claim.ref_segment, "F8")
    billing = claim.billing_provider_npi or ""
    service_date = _service_date(line.dtp_segment) or _service_date(claim.claim.dtp_segment)
    return {
        "claim_id": clm.patient_control_number,
        "line_number": str(line.lx_segment.assigned_number),
        "frequency": frequency,
        "original_claim_id": original,
        "participant_id": claim.member_id or "",
        "billing_npi": billing,
        "rendering_npi": _rendering(claim.claim, line) or billing,
        "procedure_code": _procedure(line.sv1_segment.product_service_id_qualifier, component),
        "diagnosis_codes": _diagnoses(claim.claim.hi_segment),
        "date_of_service": service_date,
        "units": _units(line.sv1_segment.service_unit_count),
    }


def _components(value: Any, separator: str) -> list[str]:
    """A composite element as its parts (the library keeps some composites as one string)."""
    if value is None:
        return []
    if isinstance(value, list):
        return [str(part) if part is not None else "" for part in value]
    return str(value).split(separator)


def _reference(segments: Any, qualifier: str) -> str:
    for segment in segments or []:
        if segment.reference_identification_qualifier == qualifier:
            return str(segment.reference_identification or "")
    return ""


def _rendering(claim: Any, line: Any) -> str:
    for loop in (line.loop_2420a, claim.loop_2310b):
        if loop is not None and loop.nm1_segment.identification_code:
            return str(loop.nm1_segment.identification_code)
    return ""


def _procedure(value: Any, component: str) -> str:
    parts = _components(value, component)
    if len(parts) >= 2 and parts[0] == "HC":
        return parts[1]
    return component.join(parts)  # not an HCPCS/CPT code: as written, for the validator


def _diagnoses(segments: Any) -> list[str]:
    principal: list[str] = []
    other: list[str] = []
    for segment in segments or []:
        for index in range(1, 13):
            parts = getattr(segment, f"health_care_code_{index}", None) or []
            if len(parts) < 2:
                continue
            if parts[0] == PRINCIPAL:
                principal.append(parts[1])
            elif parts[0] == OTHER:
                other.append(parts[1])
    return principal + other


def _service_date(segments: Any) -> str:
    for segment in segments or []:
        if segment.date_time_qualifier != "472":
            continue
        value = segment.date_time_period
        if isinstance(value, datetime.datetime):
            return value.date().isoformat()
        if isinstance(value, datetime.date):
            return value.isoformat()
        text = str(value).split("-")[0]  # RD8: CCYYMMDD-CCYYMMDD, the first date
        if len(text) == 8 and text.isdigit():
            return f"{text[:4]}-{text[4:6]}-{text[6:]}"
        return str(value)
    return ""


def _units(value: Any) -> str:
    if isinstance(value, Decimal):
        if value.is_finite() and value == value.to_integral_value():
            return str(int(value))
        return format(value, "f")
    return str(value)


def _validation(exc: ValidationError, transaction: _Transaction) -> str:
    """The first error of `exc`, at the segment opening the innermost loop it names."""
    errors = exc.errors()
    if not errors:
        return _one_line(exc)
    first = errors[0]
    loc: Place = tuple(first.get("loc", ()))
    segment = ""
    for cut in range(len(loc), 0, -1):
        if loc[:cut] in transaction.places:
            position, name = transaction.places[loc[:cut]]
            segment = f"in the loop starting at segment {position} ({name}): "
            loc = loc[cut:]
            break
    place = ".".join(str(part) for part in loc)
    message = f"{place}: {first.get('msg', '')}" if place else str(first.get("msg", ""))
    message = segment + message
    if len(errors) > 1:
        message += f" (and {len(errors) - 1} more)"
    return _one_line(message)


def _one_line(value: object) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= 300 else text[:297] + "..."
