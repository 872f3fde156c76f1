"""Settings, read once from PRECERT_* environment variables."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PRECERT_", frozen=True)

    database_url: str = "sqlite:///./precert.db"
    # "Today" is the date in Missouri; `today` pins it (demos, acceptance runs, tests).
    timezone: str = "America/Chicago"
    today: date | None = None
    policy_dir: Path | None = None
    log_level: str = "INFO"
    db_pool_size: int = 10
    # The portal's sign-in: cookies marked Secure when served over HTTPS, idle and absolute
    # session limits, and the lock-out after repeated failures.
    secure_cookies: bool = False
    session_idle_minutes: int = 30
    session_max_hours: int = 12
    sign_in_max_failures: int = 5
    sign_in_lockout_minutes: int = 15
    # FHIR subscriptions (docs/subscriptions.md): the public FHIR base that notifications name
    # (default: the base a subscription was created at), the background delivery worker (on
    # when serving; tests that build their own app turn it off), how often it looks for due
    # notifications, the exponential back-off after a failed delivery (base, doubled per
    # attempt, capped), and how long one POST to a subscriber may take.
    fhir_base_url: str | None = None
    subscriptions_worker: bool = True
    subscriptions_poll_seconds: float = 2.0
    subscriptions_backoff_seconds: float = 10.0
    subscriptions_backoff_cap_seconds: float = 3600.0
    subscriptions_timeout_seconds: float = 10.0

    def current_date(self) -> date:
        """Return today's date in Missouri (or the pinned date)."""
        if self.today is not None:
            return self.today
        return datetime.now(ZoneInfo(self.timezone)).date()
