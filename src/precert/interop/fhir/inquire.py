"""`Claim/$inquire`: the current PAS responses for a member and an ordering or performing NPI."""

from __future__ import annotations

from typing import Any

from precert.common.actor import Role
from precert.common.context import Context
from precert.interop import repository as messages
from precert.interop.fhir.current import response_for
from precert.interop.fhir.outcome import Invalid, Issue
from precert.interop.fhir.request import bundle_entries, member_of, npi_of
from precert.precerts import access, service
from precert.precerts import repository as precerts
from precert.precerts.present import present

MOST = 100  # responses in one answer, newest first


def inquire(ctx: Context, body: Any, *, base: str) -> dict[str, Any]:
    """Return a Parameters resource holding one response Bundle per matching request."""
    access.require_role(ctx.actor, Role.PHYSICIAN, Role.PROVIDER, Role.STAFF)
    _, entries = bundle_entries(body)
    claim = entries.items[0]
    issues: list[Issue] = []
    member, _, _ = member_of(entries, claim, issues)
    npis = {npi_of(entries, entries.follow(claim, claim.resource.get("provider")))}
    for member_ in claim.resource.get("careTeam") or []:
        npis.add(npi_of(entries, entries.follow(claim, member_.get("provider"))))
    npis.discard(None)
    if member is None and not issues:
        issues.append(Issue(f"{claim.path}.insurance", "the inquiry must name the member"))
    if not npis:
        issues.append(
            Issue(
                f"{claim.path}.provider",
                "the inquiry must name the ordering or performing provider with an NPI",
                "required",
            )
        )
    if issues:
        raise Invalid(issues, 422)
    assert member is not None
    visible = access.visible_condition(
        ctx.actor,
        open_therapies=service.open_therapies(ctx),
        today=ctx.today,
        participant_id=member,
    )
    rows, _ = precerts.search(
        ctx.session,
        visible=visible,
        participant_id=member,
        status=None,
        therapy=None,
        today=ctx.today,
        limit=MOST,
        offset=0,
    )
    matched = [r for r in rows if r["prescriber_npi"] in npis or r["provider_npi"] in npis]
    named = _named(ctx, claim.resource)
    if named:
        matched = [r for r in matched if r["id"] in named] or matched
    return {
        "resourceType": "Parameters",
        "parameter": [
            {
                "name": "responseBundle",
                "resource": response_for(
                    ctx.session,
                    present(r, [], today=ctx.today, policies=ctx.policies),
                    base=base,
                    now=ctx.now,
                    inquiry=True,
                ),
            }
            for r in matched
        ],
    }


def _named(ctx: Context, claim: dict[str, Any]) -> set[str]:
    """Return the pre-certifications the inquiry's own identifiers name (our ID, or theirs)."""
    found = set()
    for ident in claim.get("identifier") or []:
        system, value = str(ident.get("system") or ""), str(ident.get("value") or "")
        precert_id = messages.precert_for_source(ctx.session, "pas", system, value)
        if precert_id:
            found.add(precert_id)
        if value.startswith("PC-"):
            found.add(value)
    return found
