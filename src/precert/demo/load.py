"""Synthetic demo data: rosters and one user of each role. No real person's data."""

from __future__ import annotations

import secrets
from pathlib import Path

from sqlalchemy import select

from precert.config import Settings
from precert.db import make_engine, make_sessionmaker, transaction
from precert.demo.requests import seed_requests
from precert.models import User
from precert.participants.roster import load_participants
from precert.policy.loader import PolicyBook
from precert.providers.roster import load_providers
from precert.users.service import add_user, rotate_token
from precert.users.sign_in import hash_password

HERE = Path(__file__).parent

DEMO_USERS = (
    ("physician", "Dr. Avery Synth (demo)", "1000000012", "avery"),
    ("physician", "Dr. Blake Synth (demo)", "1000000020", "blake"),
    ("provider", "Show-Me Physical Therapy (demo)", "2000000010", "showme-pt"),
    ("provider", "Ozark Chiropractic (demo)", "2000000028", "ozark-chiro"),
    ("provider", "Gateway Acupuncture (demo)", "2000000036", "gateway-acu"),
    ("staff", "Pre-Certification Unit (demo)", None, "pcu-staff"),
    ("admin", "Administrator (demo)", None, "admin"),
    ("claims_system", "MO HealthNet claims processing (demo)", None, "claims"),
)


def load_demo(settings: Settings, policies: PolicyBook) -> list[str]:
    """Load the demo rosters and (re)issue the demo users' tokens; return lines to print."""
    engine = make_engine(settings.database_url)
    sessions = make_sessionmaker(engine)
    lines = []
    with transaction(sessions) as session:
        counts, problems = load_participants(session, HERE / "participants.csv")
        assert not problems, problems
        lines.append(f"demo participants: {counts}")
        kinds = policies.policies[-1].provider_types
        counts, problems = load_providers(session, HERE / "providers.csv", provider_types=kinds)
        assert not problems, problems
        lines.append(f"demo providers: {counts}")
        lines.append(
            "demo users: sign in at /login, or send the token to the API "
            "(both are new each run; the old ones stop working):"
        )
        for role, name, npi, username in DEMO_USERS:
            password = secrets.token_urlsafe(9)
            user = session.scalar(select(User).where(User.username == username))
            if user is None:
                user, token = add_user(
                    session,
                    role=role,
                    name=name,
                    npi=npi,
                    username=username,
                    password_hash=hash_password(password),
                )
            else:
                token = rotate_token(session, user)
                user.password_hash = hash_password(password)
                user.failed_logins, user.locked_until = 0, None
            lines.append(
                f"  {role:<13} {username:<12} password {password:<12}  NPI {npi or '-':<10}  "
                f"token {token}"
            )
        session.flush()
        lines += seed_requests(session, policies, settings.current_date())
    engine.dispose()
    return lines
