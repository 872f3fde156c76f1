"""The claim line as OpenAPI documents it; `lines.read_line` reads exactly these fields."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field


class ClaimLineIn(BaseModel):
    claim_id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,49}$")
    line_number: int = Field(ge=1, le=999_999)
    frequency: Literal["original", "replacement", "void", "1", "7", "8"] = "original"
    original_claim_id: str | None = Field(
        default=None, description="Required for a replacement or a void: the claim it corrects"
    )
    participant_id: str = Field(pattern=r"^[0-9]{8}$")
    billing_npi: str = Field(pattern=r"^[0-9]{10}$")
    rendering_npi: str = Field(pattern=r"^[0-9]{10}$")
    procedure_code: str = Field(pattern=r"^[0-9]{4}[0-9A-Z]$")
    diagnosis_codes: list[str] = Field(min_length=1, max_length=12, description="First is primary")
    date_of_service: date
    units: int = Field(ge=1, le=120)


class ClaimLinesIn(BaseModel):
    lines: list[ClaimLineIn] = Field(min_length=1, max_length=1000)


class ReasonOut(BaseModel):
    code: str
    message: str


class ClaimLineOut(BaseModel):
    claim_id: str
    line_number: int
    outcome: Literal["covered", "reduced", "not_covered"]
    covered_units: int
    precert_id: str | None
    reasons: list[ReasonOut]


class ClaimLinesOut(BaseModel):
    lines: list[ClaimLineOut]
