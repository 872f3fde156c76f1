"""What the portal keeps besides sessions: who looked at whose data, and forms already taken."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from precert.db import Base


class AccessEntry(Base):
    """One page view that showed participant data: who, what, when (never the data itself)."""

    __tablename__ = "access_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    page: Mapped[str] = mapped_column(String(100))
    participant_id: Mapped[str | None] = mapped_column(String(8), nullable=True, index=True)
    precert_id: Mapped[str | None] = mapped_column(String(20), nullable=True)


class FormSubmission(Base):
    """A request form already taken: a second post of it (a double click) finds its result."""

    __tablename__ = "form_submissions"

    # SHA-256 of the form's one-time key, scoped by the user who was sent the form.
    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    precert_id: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
