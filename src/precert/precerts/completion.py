"""Step 2: the performing provider completes a request the physician started."""

from __future__ import annotations

import logging
from typing import Any

from precert.common.actor import Role
from precert.common.context import Context
from precert.common.parsing import check_at_most, parse, raise_if
from precert.errors import FieldProblem, conflict
from precert.interop.dtr.answers import latest
from precert.participants import repository as participants
from precert.policy.models import Policy
from precert.precerts import access, repository
from precert.precerts.ledger import lock_and_gather
from precert.precerts.present import effective_status
from precert.precerts.schemas import CompletionIn
from precert.precerts.service import check_not_retroactive, open_therapies
from precert.precerts.transitions import record
from precert.providers import repository as providers
from precert.rules.completion import decide_completion
from precert.rules.decision import Status
from precert.rules.documentation import documentation_findings
from precert.rules.facts import Completion
from precert.rules.reasons import Finding

log = logging.getLogger("precert.decisions")


def complete_referral(ctx: Context, precert_id: str, body: Any) -> dict[str, Any]:
    """Decide and store step 2; return the pre-certification."""
    actor = ctx.actor
    access.require_role(actor, Role.PROVIDER, Role.STAFF)
    access.require_own_npi(actor, body, "provider_npi")
    precert = access.ensure_visible(
        actor,
        repository.get(ctx.session, precert_id, for_update=True),
        open_therapies=open_therapies(ctx),
        today=ctx.today,
    )
    problems: list[FieldProblem] = []
    request = parse(CompletionIn, body, problems)
    policy = None
    if request is not None:
        policy = ctx.policy_on(request.start_date, "start_date", problems)
        if policy is not None and policy.therapy(precert["therapy"]) is None:
            problems.append(
                FieldProblem(
                    "start_date",
                    f"the policy in effect on {request.start_date} ({policy.version}) does not "
                    f"cover {precert['therapy']}",
                )
            )
        if request.start_date < precert["referral_start_date"]:
            problems.append(
                FieldProblem(
                    "start_date",
                    f"{request.start_date} is before the start date the physician gave in "
                    f"step 1 ({precert['referral_start_date']})",
                )
            )
        else:
            check_not_retroactive(ctx, request.start_date, problems)
    most = (policy or ctx.current_policy()).max_units_per_request
    check_at_most(body, "units", most, problems, what="units")
    raise_if(problems)
    assert request is not None and policy is not None

    status = effective_status(precert, ctx.today)
    if status == Status.EXPIRED.value:
        raise conflict(
            "PRECERT_EXPIRED",
            f"Pre-certification {precert_id} expired on {precert['expires_on']}: step 2 did "
            "not come in time. The physician must start a new request.",
        )
    if status != Status.AWAITING_PROVIDER.value:
        raise conflict(
            "PRECERT_NOT_OPEN",
            f"Pre-certification {precert_id} is {status}, not awaiting a provider.",
        )

    participant_id = precert["participant_id"]
    key, held = lock_and_gather(
        ctx.session, participant_id=participant_id, policy=policy, on=request.start_date
    )
    participant = participants.facts_of(ctx.session, participant_id)
    assert participant is not None
    decision = decide_completion(
        request=Completion(
            therapy=precert["therapy"],
            diagnosis_codes=tuple(precert["diagnosis_codes"]),
            provider_npi=request.provider_npi,
            procedure_codes=tuple(request.procedure_codes),
            units=request.units,
            start_date=request.start_date,
        ),
        participant=participant,
        provider=providers.facts_of(ctx.session, request.provider_npi),
        authorizations=held,
        policy=policy,
        documentation=_documentation(ctx, precert_id, policy),
    )
    before = precert["status"]
    reasons = [f.as_dict() for f in decision.findings]
    repository.save(
        ctx.session,
        precert,
        {
            "status": decision.status.value,
            "provider_npi": request.provider_npi,
            "requested_procedure_codes": list(request.procedure_codes),
            "procedure_codes": list(decision.procedure_codes),
            "requested_units": request.units,
            "approved_units": decision.approved_units,
            "start_date": request.start_date,
            "end_date": decision.end_date,
            "ledger_key": key,
            "reasons": reasons,
            "policy_version": policy.version,
            "updated_at": ctx.now,
        },
    )
    if decision.status.holds_units and decision.approved_units:
        repository.add_to_ledger(ctx.session, participant_id, key, decision.approved_units)
    log.info(
        "decision.made precert_id=%s step=2 outcome=%s units=%s reasons=%s",
        precert_id,
        precert["status"],
        precert["approved_units"],
        ",".join(decision.reason_codes) or "-",
    )
    return record(
        ctx, precert, action="completion", before=before, request=request, reasons=reasons
    )


def _documentation(ctx: Context, precert_id: str, policy: Policy) -> list[Finding]:
    """Return what the DTR answers kept with the request say, if the policy lets them count."""
    if policy.documentation is None or not policy.documentation.affects_decision:
        return []  # off (the default): the answers are not even read
    found = latest(ctx.session, precert_id)
    if found is None:
        return []
    questionnaire, answers = found
    return documentation_findings(policy, questionnaire=questionnaire, answers=answers)
