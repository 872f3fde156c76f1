"""Participants on the MO HealthNet roster and their eligibility spans."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from precert.db import Base


class Participant(Base):
    __tablename__ = "participants"

    participant_id: Mapped[str] = mapped_column(String(8), primary_key=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    birth_date: Mapped[date] = mapped_column(Date)
    eligibility: Mapped[list[EligibilitySpan]] = relationship(
        back_populates="participant",
        cascade="all, delete-orphan",
        order_by="EligibilitySpan.start_date",
        lazy="selectin",
    )


class EligibilitySpan(Base):
    __tablename__ = "eligibility_spans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    participant_id: Mapped[str] = mapped_column(
        ForeignKey("participants.participant_id", ondelete="CASCADE"), index=True
    )
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    participant: Mapped[Participant] = relationship(back_populates="eligibility")
