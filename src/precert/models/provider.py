"""Providers on the MO HealthNet roster and their enrollment spans."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from precert.db import Base


class Provider(Base):
    __tablename__ = "providers"

    npi: Mapped[str] = mapped_column(String(10), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    provider_type: Mapped[str] = mapped_column(String(40))
    enrollment: Mapped[list[EnrollmentSpan]] = relationship(
        back_populates="provider",
        cascade="all, delete-orphan",
        order_by="EnrollmentSpan.start_date",
        lazy="selectin",
    )


class EnrollmentSpan(Base):
    __tablename__ = "enrollment_spans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    npi: Mapped[str] = mapped_column(ForeignKey("providers.npi", ondelete="CASCADE"), index=True)
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    provider: Mapped[Provider] = relationship(back_populates="enrollment")
