"""The per-participant, per-benefit-year ledger row: the lock that keeps the limit true.

Units are authorized to the year holding a period's start date, and used on claims in the year
holding the date of service.
"""

from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from precert.db import Base


class UnitLedger(Base):
    __tablename__ = "unit_ledgers"

    participant_id: Mapped[str] = mapped_column(
        ForeignKey("participants.participant_id"), primary_key=True
    )
    # `calendar:2026-01-01`, `state_fiscal:2026-07-01`, or `rolling` (see rules.dates.ledger_key)
    year_key: Mapped[str] = mapped_column(String(40), primary_key=True)
    authorized_units: Mapped[int] = mapped_column(Integer, default=0)
    # Units covered on claims whose date of service falls in this year (all therapies).
    used_units: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
