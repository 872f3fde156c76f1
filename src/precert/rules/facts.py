"""The plain values a decision is made from."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, slots=True)
class Span:
    """A closed span of dates; `end` None means open-ended."""

    start: date
    end: date | None = None

    def covers(self, on: date) -> bool:
        return self.start <= on and (self.end is None or on <= self.end)


@dataclass(frozen=True, slots=True)
class Participant:
    participant_id: str
    birth_date: date
    eligibility: tuple[Span, ...]

    def eligible_on(self, on: date) -> bool:
        return any(span.covers(on) for span in self.eligibility)


@dataclass(frozen=True, slots=True)
class Provider:
    npi: str
    provider_type: str
    enrollment: tuple[Span, ...]

    def enrolled_on(self, on: date) -> bool:
        return any(span.covers(on) for span in self.enrollment)


@dataclass(frozen=True, slots=True)
class Authorization:
    """Units a participant already holds: an approved or partially approved pre-certification."""

    precert_id: str
    therapy: str
    start_date: date
    end_date: date
    units: int


@dataclass(frozen=True, slots=True)
class Holding:
    """An approved pre-certification: its period, units approved and units billed on claims."""

    precert_id: str
    therapy: str
    start: date
    end: date
    approved_units: int
    used_units: int

    @property
    def left(self) -> int:
        return max(self.approved_units - self.used_units, 0)

    def covers(self, on: date) -> bool:
        return self.start <= on <= self.end


@dataclass(frozen=True, slots=True)
class Referral:
    """Step 1, as the prescribing physician sends it (codes already normalised)."""

    participant_id: str
    prescriber_npi: str
    therapy: str
    diagnosis_codes: tuple[str, ...]
    start_date: date


@dataclass(frozen=True, slots=True)
class Completion:
    """Step 2, as the performing provider sends it, with what step 1 fixed."""

    therapy: str
    diagnosis_codes: tuple[str, ...]
    provider_npi: str
    procedure_codes: tuple[str, ...]
    units: int
    start_date: date
