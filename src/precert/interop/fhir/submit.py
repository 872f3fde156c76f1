"""`Claim/$submit`: a PAS request decided as step 1, step 2 or both, answered as PAS says."""

from __future__ import annotations

import logging
from typing import Any

from precert.common.actor import Role
from precert.common.context import Context
from precert.interop import authorization
from precert.interop import repository as messages
from precert.interop.actions import determine
from precert.interop.authorization import AuthorizationRequest, Message
from precert.interop.fhir.current import response_for
from precert.interop.fhir.outcome import Invalid, Issue
from precert.interop.fhir.request import PasRequest, precert_ids, read_request
from precert.interop.fhir.response import response_bundle
from precert.precerts import service
from precert.providers import repository as providers

log = logging.getLogger("precert.interop")

STANDARD = "pas"


def submit(ctx: Context, body: Any, *, base: str) -> dict[str, Any]:
    """Decide the request a PAS Bundle makes; return the PAS response Bundle."""
    pas = read_request(body)
    replayed = _replayed(ctx, pas, base)
    if replayed is not None:
        return replayed
    physician, performer, where = _parties(ctx, pas)
    request = AuthorizationRequest(
        member_id=pas.member_id,
        birth_date=pas.birth_date,
        physician_npi=physician,
        performer_npi=performer,
        services=pas.services,
        diagnosis_codes=pas.diagnosis_codes,
        plan_of_care_date=pas.plan_of_care_date,
        priority=pas.priority,
        prior_id=_prior_id(ctx, pas),
        documentation=tuple(answers.resource for answers in pas.answers),
        where=where,
    )
    system, value = pas.identifier
    outcome = authorization.submit(ctx, request, Message(STANDARD, system, value, body=pas.bundle))
    precert_id = outcome.precert["id"]
    log.info("pas.submit precert_id=%s step=%s", precert_id, outcome.step)
    determination = determine(outcome.precert, pas.services)
    return response_bundle(pas.bundle, determination, base=base, now=ctx.now)


def _replayed(ctx: Context, pas: PasRequest, base: str) -> dict[str, Any] | None:
    """Answer a request sent again (a retry) with its current response instead of deciding it
    twice; refuse a different request that reuses a Claim identifier."""
    system, value = pas.identifier
    precert_id = messages.precert_for_source(ctx.session, STANDARD, system, value)
    if precert_id is None:
        return None
    kept = messages.messages_of(ctx.session, precert_id, STANDARD)
    if not any(
        m.body == pas.bundle for m in kept if (m.source_system, m.source_id) == (system, value)
    ):
        raise Invalid(
            [
                Issue(
                    f"{pas.claim.path}.identifier",
                    f"{system}|{value} already identifies another request (pre-certification "
                    f"{precert_id}); a change is a new Claim whose related.claim is the prior "
                    "one",
                    "duplicate",
                )
            ],
            422,
        )
    precert = service.read(ctx, precert_id)
    log.info("pas.submit.replayed precert_id=%s", precert_id)
    return response_for(ctx.session, precert, base=base, now=ctx.now)


def _parties(ctx: Context, pas: PasRequest) -> tuple[str | None, str | None, dict[str, str]]:
    """Return the physician's and the performer's NPIs, and where the message names them.

    Without a care-team role, the requester (`Claim.provider`) is the party the sender's
    role implies: a physician's token the physician, a provider's the performer; for staff,
    the roster's type of the requester's NPI decides.
    """
    where = dict(pas.where)
    physician = pas.physician.npi if pas.physician else None
    performer = pas.performer.npi if pas.performer else None
    requester = pas.requester.npi
    if requester and requester not in (physician, performer):
        role = ctx.actor.role
        if role is Role.STAFF:
            found = providers.facts_of(ctx.session, requester)
            role = (
                Role.PHYSICIAN
                if found is not None and found.provider_type == "physician"
                else Role.PROVIDER
            )
        if role is Role.PHYSICIAN and physician is None:
            physician = requester
            where["prescriber_npi"] = pas.requester.path
        elif role is Role.PROVIDER and performer is None:
            performer = requester
            where["provider_npi"] = pas.requester.path
    return physician, performer, where


def _prior_id(ctx: Context, pas: PasRequest) -> str | None:
    """Return the pre-certification a claim update names (by our ID or the prior Claim's)."""
    if not pas.prior:
        return None
    for precert_id in precert_ids(pas.prior):
        return precert_id
    for system, value in pas.prior:
        found = messages.precert_for_source(ctx.session, STANDARD, system, value)
        if found:
            return found
    named = ", ".join(f"{s}|{v}" for s, v in pas.prior)
    raise Invalid(
        [
            Issue(
                f"{pas.claim.path}.related",
                f"the prior claim ({named}) is not a request this program has received",
                "not-found",
            )
        ],
        422,
    )
