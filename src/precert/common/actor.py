"""Who is acting: a signed-in user with a role and, for clinicians, an NPI."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    PHYSICIAN = "physician"
    PROVIDER = "provider"
    STAFF = "staff"
    ADMIN = "admin"
    CLAIMS_SYSTEM = "claims_system"  # MO HealthNet's claims processing: records claim lines


class Channel(StrEnum):
    WEB = "web"
    API = "api"
    PHONE = "phone"


@dataclass(frozen=True, slots=True)
class Actor:
    user_id: int
    role: Role
    npi: str | None
    name: str
    channel: Channel = Channel.API
    # The roster's type of a performing provider's NPI: what therapies it may find and complete.
    provider_type: str | None = None

    @property
    def is_staff(self) -> bool:
        return self.role is Role.STAFF
