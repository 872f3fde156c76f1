"""Use cases of the pre-certification: step 1, reading and finding."""

from __future__ import annotations

import logging
import secrets
from datetime import date, timedelta
from typing import Any

from precert.common.actor import Role
from precert.common.context import Context
from precert.common.parsing import check_at_most, parse, raise_if
from precert.errors import FieldProblem
from precert.participants import repository as participants
from precert.policy.models import Policy
from precert.precerts import access, repository
from precert.precerts.present import present
from precert.precerts.repository import Record
from precert.precerts.schemas import ReferralIn
from precert.precerts.transitions import record
from precert.providers import repository as providers
from precert.rules.codes import PARTICIPANT_ID_PATTERN
from precert.rules.decision import Status
from precert.rules.facts import Referral
from precert.rules.referral import decide_referral

log = logging.getLogger("precert.decisions")


def new_precert_id() -> str:
    return "PC-" + "".join(secrets.choice(repository.ID_ALPHABET) for _ in range(10))


def start_referral(ctx: Context, body: Any) -> dict[str, Any]:
    """Decide and store step 1; return the new pre-certification."""
    actor = ctx.actor
    access.require_role(actor, Role.PHYSICIAN, Role.STAFF)
    access.require_own_npi(actor, body, "prescriber_npi")
    problems: list[FieldProblem] = []
    request = parse(ReferralIn, body, problems)
    raw = body if isinstance(body, dict) else {}
    # The roster and the policy are checked even when the body has other problems, so that
    # every problem is reported at once.
    _check_participant(ctx, raw.get("participant_id"), problems)
    policy = ctx.policy_on(request.start_date, "start_date", problems) if request else None
    rules = policy or ctx.current_policy()
    _check_therapy(rules, raw.get("therapy"), problems)
    check_at_most(raw, "diagnosis_codes", rules.max_diagnosis_codes, problems, what="codes")
    if request is None:
        raise_if(problems)
    assert request is not None
    check_not_retroactive(ctx, request.start_date, problems)
    if request.plan_of_care_date > request.start_date:
        problems.append(
            FieldProblem("plan_of_care_date", "the plan of care date is after the start date")
        )
    raise_if(problems)
    assert policy is not None

    participant = participants.facts_of(ctx.session, request.participant_id)
    assert participant is not None
    prescriber = providers.facts_of(ctx.session, request.prescriber_npi)
    decision = decide_referral(
        request=Referral(
            participant_id=request.participant_id,
            prescriber_npi=request.prescriber_npi,
            therapy=request.therapy,
            diagnosis_codes=tuple(request.diagnosis_codes),
            start_date=request.start_date,
        ),
        participant=participant,
        prescriber=prescriber,
        policy=policy,
    )
    reasons = [f.as_dict() for f in decision.findings]
    precert: Record = {
        "id": new_precert_id(),
        "status": decision.status.value,
        "priority": request.priority,
        "participant_id": request.participant_id,
        "therapy": request.therapy,
        "prescriber_npi": request.prescriber_npi,
        "provider_npi": None,
        "diagnosis_codes": list(request.diagnosis_codes),
        "plan_of_care_date": request.plan_of_care_date,
        "referral_start_date": request.start_date,
        "requested_procedure_codes": [],
        "procedure_codes": [],
        "requested_units": None,
        "approved_units": decision.approved_units,
        "start_date": request.start_date,
        "end_date": None,
        "ledger_key": None,
        "reasons": reasons,
        "policy_version": policy.version,
        "created_on": ctx.today,
        "expires_on": ctx.today + timedelta(days=policy.step1_expiry_days),
        "created_at": ctx.now,
        "updated_at": ctx.now,
    }
    repository.insert(ctx.session, precert)
    log.info(
        "decision.made precert_id=%s step=1 outcome=%s reasons=%s",
        precert["id"],
        precert["status"],
        ",".join(decision.reason_codes) or "-",
    )
    return record(ctx, precert, action="referral", before=None, request=request, reasons=reasons)


def check_not_retroactive(ctx: Context, start: date, problems: list[FieldProblem]) -> None:
    """Note a start date before today unless staff enter it (eligibility can be retroactive)."""
    if start < ctx.today and not ctx.actor.is_staff:
        problems.append(
            FieldProblem(
                "start_date",
                f"{start} is before today ({ctx.today}); only the Pre-Certification Unit may "
                "enter a retroactive start date",
            )
        )


def _check_filters(
    ctx: Context, participant_id: str | None, status: str | None, therapy: str | None
) -> None:
    problems: list[FieldProblem] = []
    if participant_id is not None and not PARTICIPANT_ID_PATTERN.fullmatch(participant_id):
        problems.append(FieldProblem("participant_id", "must be an 8-digit participant ID"))
    if status is not None and status not in {s.value for s in Status}:
        names = ", ".join(s.value for s in Status)
        problems.append(FieldProblem("status", f"unknown status; use one of {names}"))
    if therapy is not None:
        _check_therapy(ctx.current_policy(), therapy, problems)
    raise_if(problems)


def _check_therapy(policy: Policy, therapy: Any, problems: list[FieldProblem]) -> None:
    if not isinstance(therapy, str) or policy.therapy(therapy.strip()) is not None:
        return
    names = ", ".join(t.key for t in policy.therapies)
    problems.append(FieldProblem("therapy", f"unknown therapy {therapy!r}; use one of {names}"))


def _check_participant(ctx: Context, participant_id: Any, problems: list[FieldProblem]) -> None:
    if any(p.field == "participant_id" for p in problems) or not isinstance(participant_id, str):
        return
    if not participants.exists(ctx.session, participant_id.strip()):
        problems.append(
            FieldProblem("participant_id", f"no MO HealthNet participant has ID {participant_id}")
        )


def open_therapies(ctx: Context) -> list[str]:
    """Return the therapies whose open requests the actor (a performing provider) may find."""
    if ctx.actor.role is not Role.PROVIDER:
        return []
    return access.therapies_for(ctx.current_policy(), ctx.actor.provider_type)


def read(ctx: Context, precert_id: str) -> dict[str, Any]:
    """Return one pre-certification the actor may see."""
    access.require_role(ctx.actor, Role.PHYSICIAN, Role.PROVIDER, Role.STAFF)
    precert = access.ensure_visible(
        ctx.actor,
        repository.get(ctx.session, precert_id),
        open_therapies=open_therapies(ctx),
        today=ctx.today,
    )
    events = repository.history(ctx.session, [precert["id"]])[precert["id"]]
    return present(precert, events, today=ctx.today, policies=ctx.policies)


def find(
    ctx: Context,
    *,
    participant_id: str | None,
    status: str | None,
    therapy: str | None,
    limit: int,
    offset: int,
) -> dict[str, Any]:
    """Return the pre-certifications the actor may see that match the filters."""
    access.require_role(ctx.actor, Role.PHYSICIAN, Role.PROVIDER, Role.STAFF)
    _check_filters(ctx, participant_id, status, therapy)
    visible = access.visible_condition(
        ctx.actor,
        open_therapies=open_therapies(ctx),
        today=ctx.today,
        participant_id=participant_id,
    )
    rows, total = repository.search(
        ctx.session,
        visible=visible,
        participant_id=participant_id,
        status=status,
        therapy=therapy,
        today=ctx.today,
        limit=limit,
        offset=offset,
    )
    events = repository.history(ctx.session, [p["id"] for p in rows])
    items = [present(p, events[p["id"]], today=ctx.today, policies=ctx.policies) for p in rows]
    return {"items": items, "total": total}
