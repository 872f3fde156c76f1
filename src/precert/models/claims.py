"""Claim lines as decided at claims time: the answer given, and the units they used."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from precert.db import Base

Json = JSON().with_variant(JSONB(), "postgresql")


class ClaimLineRecord(Base):
    """One recorded claim line; a retry of the same (claim_id, line_number) gets this answer."""

    __tablename__ = "claim_lines"
    __table_args__ = (
        Index("ix_claim_lines_participant_service", "participant_id", "date_of_service"),
    )

    claim_id: Mapped[str] = mapped_column(String(50), primary_key=True)
    line_number: Mapped[int] = mapped_column(Integer, primary_key=True)
    frequency: Mapped[str] = mapped_column(String(12))
    original_claim_id: Mapped[str | None] = mapped_column(String(50), nullable=True)
    participant_id: Mapped[str] = mapped_column(ForeignKey("participants.participant_id"))
    billing_npi: Mapped[str] = mapped_column(String(10))
    rendering_npi: Mapped[str] = mapped_column(String(10))
    procedure_code: Mapped[str] = mapped_column(String(5))
    diagnosis_codes: Mapped[list[str]] = mapped_column(Json)
    date_of_service: Mapped[date] = mapped_column(Date)
    units: Mapped[int] = mapped_column(Integer)
    therapy: Mapped[str | None] = mapped_column(String(40), nullable=True)
    outcome: Mapped[str] = mapped_column(String(12))
    covered_units: Mapped[int] = mapped_column(Integer)
    precert_id: Mapped[str | None] = mapped_column(String(20), nullable=True)
    # The ledger row (participant, year of the date of service) its covered units count in.
    year_key: Mapped[str | None] = mapped_column(String(40), nullable=True)
    reasons: Mapped[list[dict[str, str]]] = mapped_column(Json)
    # The claim that voided or replaced this line; its units no longer count.
    voided_by: Mapped[str | None] = mapped_column(String(50), nullable=True)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
