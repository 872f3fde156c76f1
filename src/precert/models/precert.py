"""The pre-certification (current state) and its append-only history of transitions."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from precert.db import Base

Json = JSON().with_variant(JSONB(), "postgresql")


class Precert(Base):
    __tablename__ = "precerts"
    __table_args__ = (
        Index("ix_precerts_participant_status", "participant_id", "status"),
        Index("ix_precerts_status_therapy", "status", "therapy"),
    )

    id: Mapped[str] = mapped_column(String(20), primary_key=True)
    status: Mapped[str] = mapped_column(String(30))
    priority: Mapped[str] = mapped_column(String(20), default="standard")
    participant_id: Mapped[str] = mapped_column(ForeignKey("participants.participant_id"))
    therapy: Mapped[str] = mapped_column(String(40))
    prescriber_npi: Mapped[str] = mapped_column(String(10), index=True)
    provider_npi: Mapped[str | None] = mapped_column(String(10), nullable=True, index=True)
    diagnosis_codes: Mapped[list[str]] = mapped_column(Json)
    plan_of_care_date: Mapped[date] = mapped_column(Date)
    referral_start_date: Mapped[date] = mapped_column(Date)
    requested_procedure_codes: Mapped[list[str]] = mapped_column(Json, default=list)
    procedure_codes: Mapped[list[str]] = mapped_column(Json, default=list)
    requested_units: Mapped[int | None] = mapped_column(Integer, nullable=True)
    approved_units: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # Units billed against it on claims and covered (voided lines give theirs back).
    used_units: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    ledger_key: Mapped[str | None] = mapped_column(String(40), nullable=True)
    reasons: Mapped[list[dict[str, str]]] = mapped_column(Json, default=list)
    policy_version: Mapped[str] = mapped_column(String(20))
    created_on: Mapped[date] = mapped_column(Date)
    expires_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    events: Mapped[list[PrecertEvent]] = relationship(
        order_by="PrecertEvent.seq", lazy="raise", viewonly=True
    )


class PrecertEvent(Base):
    """One transition: who, when, through which channel, with what inputs and reasons."""

    __tablename__ = "precert_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    precert_id: Mapped[str] = mapped_column(ForeignKey("precerts.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(30))
    from_status: Mapped[str | None] = mapped_column(String(30), nullable=True)
    to_status: Mapped[str] = mapped_column(String(30))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    actor_role: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(10))
    inputs: Mapped[dict[str, Any]] = mapped_column(Json)
    reasons: Mapped[list[dict[str, str]]] = mapped_column(Json)
    policy_version: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
