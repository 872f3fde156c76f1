"""What the national-standard interfaces keep: the messages that made a pre-certification,
documentation sent with it, and FHIR subscriptions with their deliveries."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from precert.db import Base
from precert.models.precert import Json


class InteropMessage(Base):
    """A request that reached a pre-certification through PAS or X12 278, as it was sent.

    The response is rebuilt from the pre-certification's current state and this request
    (PAS echoes the request's resources), so an inquiry shows what was decided since.
    """

    __tablename__ = "interop_messages"
    __table_args__ = (
        Index("ix_interop_messages_source", "standard", "source_system", "source_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    precert_id: Mapped[str] = mapped_column(ForeignKey("precerts.id"), index=True)
    standard: Mapped[str] = mapped_column(String(10))  # "pas" or "x12-278"
    # The sender's own identifier of the request: the Claim's identifier, or the 278's trace.
    source_system: Mapped[str] = mapped_column(String(200))
    source_id: Mapped[str] = mapped_column(String(100))
    step: Mapped[str] = mapped_column(String(10))  # "1", "2" or "1+2"
    body: Mapped[dict[str, Any]] = mapped_column(Json)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class QuestionnaireAnswers(Base):
    """A DTR QuestionnaireResponse sent with a request, stored with its pre-certification."""

    __tablename__ = "questionnaire_answers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    precert_id: Mapped[str] = mapped_column(ForeignKey("precerts.id"), index=True)
    questionnaire: Mapped[str] = mapped_column(String(300))
    resource: Mapped[dict[str, Any]] = mapped_column(Json)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Subscription(Base):
    """An R4-backport rest-hook subscription to PAS results about one organization (an NPI)."""

    __tablename__ = "fhir_subscriptions"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    npi: Mapped[str | None] = mapped_column(String(10), nullable=True, index=True)
    endpoint: Mapped[str] = mapped_column(String(2000))
    headers: Mapped[list[str]] = mapped_column(Json, default=list)
    status: Mapped[str] = mapped_column(String(20))  # requested, active, error, off
    events: Mapped[int] = mapped_column(Integer, default=0)  # events since the subscription
    resource: Mapped[dict[str, Any]] = mapped_column(Json)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Delivery(Base):
    """One notification to one subscriber: kept until delivered, retried with back-off."""

    __tablename__ = "fhir_deliveries"
    __table_args__ = (Index("ix_fhir_deliveries_due", "delivered_at", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    subscription_id: Mapped[str] = mapped_column(ForeignKey("fhir_subscriptions.id"), index=True)
    precert_id: Mapped[str] = mapped_column(ForeignKey("precerts.id"))
    event_number: Mapped[int] = mapped_column(Integer)
    payload: Mapped[dict[str, Any]] = mapped_column(Json)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
