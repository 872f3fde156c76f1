"""Request and response models of the pre-certification API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, field_validator

from precert.common.fields import CptCode, Icd10Code, IsoDate, Npi, ParticipantId


def _dedupe(codes: list[str]) -> list[str]:
    return list(dict.fromkeys(codes))


class _In(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


class ReferralIn(_In):
    """Step 1: the prescribing physician starts a request."""

    participant_id: ParticipantId
    prescriber_npi: Npi
    therapy: StrictStr
    diagnosis_codes: list[Icd10Code] = Field(min_length=1)  # at most: the policy says
    plan_of_care_date: IsoDate
    start_date: IsoDate
    priority: Literal["standard", "expedited"] = "standard"
    channel: Literal["api", "phone", "web"] | None = None

    @field_validator("diagnosis_codes")
    @classmethod
    def _normalise(cls, codes: list[str]) -> list[str]:
        return _dedupe(codes)


class CompletionIn(_In):
    """Step 2: the performing provider completes it."""

    provider_npi: Npi
    procedure_codes: list[CptCode] = Field(min_length=1, max_length=20)
    units: StrictInt = Field(ge=1)  # at most: the policy says
    start_date: IsoDate
    channel: Literal["api", "phone", "web"] | None = None

    @field_validator("procedure_codes")
    @classmethod
    def _normalise(cls, codes: list[str]) -> list[str]:
        return _dedupe(codes)


class ReviewIn(_In):
    """Staff decide a pended request."""

    decision: Literal["approve", "deny"]
    units: StrictInt | None = Field(default=None, ge=1)  # at most: the units requested
    note: StrictStr = Field(min_length=1, max_length=4000)
    channel: Literal["api", "phone", "web"] | None = None


class CancellationIn(_In):
    note: StrictStr = Field(min_length=1, max_length=4000)
    channel: Literal["api", "phone", "web"] | None = None


class ReasonOut(BaseModel):
    code: str
    message: str


class EventOut(BaseModel):
    seq: int
    action: str
    from_status: str | None
    to_status: str
    at: datetime
    actor_user_id: int | None
    actor_role: str
    channel: str
    inputs: dict[str, Any]
    reasons: list[ReasonOut]
    policy_version: str
    note: str | None


class PrecertOut(BaseModel):
    id: str
    status: str
    priority: str
    participant_id: str
    therapy: str
    prescriber_npi: str
    provider_npi: str | None
    diagnosis_codes: list[str]
    plan_of_care_date: date
    requested_procedure_codes: list[str]
    procedure_codes: list[str]
    requested_units: int | None
    approved_units: int | None
    approved_minutes: int | None
    used_units: int = Field(description="Units covered on claims (voided lines excluded)")
    units_remaining: int | None = Field(description="Approved units not yet used on claims")
    start_date: date
    end_date: date | None
    expires_on: date | None
    reasons: list[ReasonOut]
    history: list[EventOut]
    policy_version: str
    created_at: datetime
    updated_at: datetime


class PrecertList(BaseModel):
    items: list[PrecertOut]
    total: int
