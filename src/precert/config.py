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

    def current_date(self) -> date:
        """Return today's date in Missouri (or the pinned date)."""
        if self.today is not None:
            return self.today
        return datetime.now(ZoneInfo(self.timezone)).date()
