"""What a decision returns."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from precert.rules.reasons import Finding


class Status(StrEnum):
    AWAITING_PROVIDER = "awaiting_provider"
    APPROVED = "approved"
    PARTIALLY_APPROVED = "partially_approved"
    DENIED = "denied"
    PENDED = "pended"
    CANCELLED = "cancelled"
    EXPIRED = "expired"

    @property
    def holds_units(self) -> bool:
        return self in (Status.APPROVED, Status.PARTIALLY_APPROVED)

    @property
    def closed(self) -> bool:
        return self in (Status.DENIED, Status.CANCELLED, Status.EXPIRED)


@dataclass(frozen=True, slots=True)
class Decision:
    status: Status
    findings: tuple[Finding, ...]
    approved_units: int | None = None
    procedure_codes: tuple[str, ...] = ()
    start_date: date | None = None
    end_date: date | None = None

    @property
    def reason_codes(self) -> tuple[str, ...]:
        return tuple(f.code for f in self.findings)
