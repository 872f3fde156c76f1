"""Synthetic demo requests, made through the same services as the API and the portal."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from precert.claims import engine
from precert.claims.lines import read_line
from precert.common.actor import Actor, Channel, Role
from precert.common.context import Context
from precert.models import Precert, Provider, User
from precert.policy.loader import PolicyBook
from precert.precerts import completion, service

# (participant, physician, therapy, diagnoses, priority, performer, procedures, units)
SCENARIOS: tuple[tuple[Any, ...], ...] = (
    (
        "10000001",
        "avery",
        "physical_therapy",
        ["M54.50"],
        "standard",
        "showme-pt",
        ["97110", "97530"],
        24,
    ),
    (
        "10000001",
        "avery",
        "chiropractic",
        ["M54.50", "M54.6"],
        "standard",
        "ozark-chiro",
        ["98940"],
        12,
    ),
    ("10000002", "blake", "acupuncture", ["G89.21"], "standard", None, [], 0),
    ("10000006", "avery", "physical_therapy", ["M54.2"], "standard", "showme-pt", ["97110"], 10),
    # A second physical therapy for the same months: sent to the Pre-Certification Unit.
    (
        "10000006",
        "blake",
        "physical_therapy",
        ["M54.2"],
        "expedited",
        "showme-pt",
        ["97110", "97140"],
        16,
    ),
    ("10000004", "avery", "physical_therapy", ["M54.50"], "standard", None, [], 0),
    ("10000008", "blake", "chiropractic", ["M54.5"], "standard", None, [], 0),
)


def seed_requests(session: Session, policies: PolicyBook, today: date) -> list[str]:
    """Make the demo requests once, into a database that has none; return lines to print."""
    if session.scalar(select(func.count()).select_from(Precert)):
        return []
    actors = _actors(session)
    made = []
    for pid, doctor, therapy, codes, priority, performer, procedures, units in SCENARIOS:
        referral = {
            "participant_id": pid,
            "prescriber_npi": actors[doctor].npi,
            "therapy": therapy,
            "diagnosis_codes": codes,
            "plan_of_care_date": today.isoformat(),
            "start_date": today.isoformat(),
            "priority": priority,
        }
        precert = service.start_referral(
            _context(session, policies, actors[doctor], today), referral
        )
        if performer and precert["status"] == "awaiting_provider":
            body = {
                "provider_npi": actors[performer].npi,
                "procedure_codes": procedures,
                "units": units,
                "start_date": today.isoformat(),
            }
            ctx = _context(session, policies, actors[performer], today)
            precert = completion.complete_referral(ctx, precert["id"], body)
        made.append(f"  {precert['id']}  {pid}  {therapy:<17} {precert['status']}")
    return ["demo requests:", *made, *_claims(session, policies, actors, today)]


def _claims(
    session: Session, policies: PolicyBook, actors: dict[str, Actor], today: date
) -> list[str]:
    """A few weeks of physical therapy and chiropractic billed for participant 10000001."""
    lines = []
    for week in range(4):
        for number, (who, code, units) in enumerate(
            (("showme-pt", "97110", 4), ("ozark-chiro", "98940", 2)), start=1
        ):
            npi = actors[who].npi or ""
            read, problems = read_line(
                {
                    "claim_id": f"DEMO-{week + 1:02d}-{who}",
                    "line_number": number,
                    "participant_id": "10000001",
                    "billing_npi": npi,
                    "rendering_npi": npi,
                    "procedure_code": code,
                    "diagnosis_codes": ["M54.50"],
                    "date_of_service": (today + timedelta(days=7 * week + 3)).isoformat(),
                    "units": units,
                }
            )
            assert read is not None, problems
            lines.append(read)
    answers = engine.decide_chunk(
        session, lines, policies=policies, now=datetime.now(UTC), record=True
    )
    covered = sum(a["covered_units"] for a in answers)
    return [f"demo claims: {len(answers)} lines for 10000001, {covered} units covered"]


def _actors(session: Session) -> dict[str, Actor]:
    rows = session.execute(
        select(User, Provider.provider_type)
        .outerjoin(Provider, Provider.npi == User.npi)
        .where(User.username.is_not(None))
    )
    return {
        user.username: Actor(
            user.id, Role(user.role), user.npi, user.name, Channel.WEB, provider_type=kind
        )
        for user, kind in rows
        if user.username
    }


def _context(session: Session, policies: PolicyBook, actor: Actor, today: date) -> Context:
    return Context(
        session=session, actor=actor, policies=policies, today=today, now=datetime.now(UTC)
    )
