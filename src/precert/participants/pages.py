"""Portal pages of participants, for the Pre-Certification Unit: search, history and units."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from precert.claims import repository as claims
from precert.common.actor import Role
from precert.participants import service
from precert.participants.chart import units_chart
from precert.precerts import access
from precert.precerts import repository as precerts
from precert.precerts import service as precert_service
from precert.rules.dates import add_months
from precert.web.portal import Page, redirect, signed_in

router = APIRouter(include_in_schema=False)


@router.get("/participants")
async def search(request: Request) -> Response:
    participant_id = (request.query_params.get("participant_id") or "").strip()

    def work(current: Page) -> Response:
        access.require_role(current.ctx.actor, Role.STAFF)
        problems: dict[str, list[str]] = {}
        if participant_id:
            problem = service.id_problem(current.ctx, participant_id)
            if problem is None:
                return redirect(f"/participants/{participant_id}")
            problems["participant_id"] = [problem]
        context = {"participant_id": participant_id, "problems": problems}
        return current.render("participant_search.html", context, status=422 if problems else 200)

    return await signed_in(request, work)


@router.get("/participants/{participant_id}")
async def participant(participant_id: str, request: Request) -> Response:
    year = request.query_params.get("year") or None

    def work(current: Page) -> Response:
        ctx = current.ctx
        access.require_role(ctx.actor, Role.STAFF)
        profile = service.profile(ctx, participant_id)
        units = service.units(ctx, participant_id, year=year)
        current.viewed("participant", participant_id=participant_id)
        first, last = units["benefit_year"]["start"], units["benefit_year"]["end"]
        policy = ctx.nearest_policy(last)
        held = precerts.authorizations(ctx.session, participant_id, first=first, last=last)
        chart = units_chart(
            first=first,
            last=last,
            limit=units["limit"],
            therapies=[(t.key, t.label) for t in policy.therapies],
            held=held,
            today=ctx.today,
            used=claims.used_by_day(ctx.session, participant_id, first, last),
        )
        history = precert_service.find(
            ctx, participant_id=participant_id, status=None, therapy=None, limit=500, offset=0
        )
        context = {
            "profile": profile,
            "units": units,
            "chart": chart,
            "requests": history["items"],
            "total": history["total"],
            "labels": {t.key: t.label for t in policy.therapies},
            "year": first.year if first.month == 1 else None,
            "previous_year": add_months(first, -1).year,
            "next_year": add_months(last, 1).year,
        }
        return current.render("participant.html", context)

    return await signed_in(request, work)
