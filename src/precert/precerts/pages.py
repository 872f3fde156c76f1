"""Portal pages of the pre-certification: step 1, finding and completing, the decision, review.

Every page calls the same services as the JSON API (`service`, `completion`, `review`), so the
rules, transactions, access checks and reason codes are the API's.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from precert.common.actor import Role
from precert.errors import DomainError, FieldProblem, validation_error
from precert.interop.dtr import answers as dtr_answers
from precert.participants import repository as participants
from precert.participants import service as participant_service
from precert.policy.search import describe, find_diagnoses
from precert.precerts import access, completion, forms, review, service
from precert.precerts.queue import deadline
from precert.rules.decision import Status
from precert.users.admin import names_of
from precert.web.portal import Page, form_of, redirect, signed_in

router = APIRouter(include_in_schema=False)

PRIORITIES = ("standard", "expedited")


# ---- step 1 -------------------------------------------------------------------------------


def _participant_summary(current: Page, participant_id: str) -> dict[str, Any]:
    """Return who the participant is and their units this benefit year."""
    ctx = current.ctx
    current.viewed("participant summary", participant_id=participant_id)
    return {
        "profile": participant_service.profile(ctx, participant_id),
        "units": participant_service.units(ctx, participant_id, year=None),
    }


def _start_on(form: Any, today: date) -> date:
    try:
        return date.fromisoformat(forms.text(form, "start_date"))
    except ValueError:
        return today


def _new_request_page(
    current: Page,
    form: Any,
    *,
    problems: dict[str, list[str]] | None = None,
    status: int = 200,
) -> Response:
    access.require_role(current.ctx.actor, Role.PHYSICIAN, Role.STAFF)
    ctx = current.ctx
    problems = dict(problems or {})
    participant_id = forms.text(form, "participant_id")
    summary = None
    if participant_id:
        problem = participant_service.id_problem(ctx, participant_id)
        if problem is None:
            summary = _participant_summary(current, participant_id)
        elif "participant_id" not in problems:
            problems["participant_id"] = [problem]
    on = _start_on(form, ctx.today)
    policy = ctx.nearest_policy(on)
    query = forms.text(form, "diagnosis_query")
    context = {
        "form": {name: forms.text(form, name) for name in _STEP1_FIELDS},
        "form_key": forms.text(form, "form_key") or forms.new_form_key(),
        "problems": problems,
        "summary": summary,
        "therapies": policy.therapies,
        "priorities": PRIORITIES,
        "diagnosis_on": on,
        "query": query,
        "found": find_diagnoses(policy, query, on=on) if query else None,
        "entered": describe(policy, forms.codes(forms.text(form, "diagnosis_codes")), on=on),
        "max_codes": policy.max_diagnosis_codes,
    }
    return current.render("precert_new.html", context, status=422 if problems else status)


_STEP1_FIELDS = (
    "participant_id",
    "prescriber_npi",
    "therapy",
    "diagnosis_codes",
    "plan_of_care_date",
    "start_date",
    "priority",
)


@router.get("/precerts/new")
async def new_request(request: Request) -> Response:
    query = dict(request.query_params)
    return await signed_in(request, lambda current: _new_request_page(current, query))


@router.post("/precerts/new")
async def submit_request(request: Request) -> Response:
    form = await form_of(request)
    action = forms.text(form, "action") or "submit"

    def work(current: Page) -> Response:
        access.require_role(current.ctx.actor, Role.PHYSICIAN, Role.STAFF)
        if action.startswith("add:"):
            typed = forms.codes(forms.text(form, "diagnosis_codes"))
            fields = {**form, "diagnosis_codes": ", ".join([*typed, action[4:]])}
            return _new_request_page(current, fields)
        if action != "submit":  # look up the participant or find diagnoses: nothing stored
            return _new_request_page(current, form)
        ctx = current.ctx
        key = forms.text(form, "form_key")
        made = forms.already_taken(ctx.session, ctx.actor.user_id, key)
        if made is None:
            made = service.start_referral(ctx, forms.referral_body(ctx.actor, form))["id"]
            forms.take(ctx.session, ctx.actor.user_id, key, made, ctx.now)
        return redirect(f"/precerts/{made}")

    def problem(current: Page, error: DomainError) -> Response:
        return _new_request_page(current, form, problems=forms.problems_of(error), status=422)

    return await signed_in(request, work, form=form, on_problem=problem)


# ---- finding and completing (step 2) ---------------------------------------------------


@router.get("/precerts/find")
async def find_requests(request: Request) -> Response:
    participant_id = (request.query_params.get("participant_id") or "").strip()

    def work(current: Page) -> Response:
        ctx = current.ctx
        access.require_role(ctx.actor, Role.PROVIDER, Role.STAFF)
        problems: dict[str, list[str]] = {}
        found = None
        if participant_id:
            problem = participant_service.id_problem(ctx, participant_id)
            if problem is not None:
                problems["participant_id"] = [problem]
            else:
                current.viewed("find requests", participant_id=participant_id)
                found = service.find(
                    ctx,
                    participant_id=participant_id,
                    status=None,
                    therapy=None,
                    limit=100,
                    offset=0,
                )["items"]
        context = {
            "participant_id": participant_id,
            "problems": problems,
            "found": found,
            "awaiting": Status.AWAITING_PROVIDER.value,
        }
        return current.render("precert_find.html", context, status=422 if problems else 200)

    return await signed_in(request, work)


def _completion_page(
    current: Page,
    precert_id: str,
    form: Any,
    *,
    problems: dict[str, list[str]] | None = None,
    status: int = 200,
) -> Response:
    ctx = current.ctx
    access.require_role(ctx.actor, Role.PROVIDER, Role.STAFF)
    precert = service.read(ctx, precert_id)
    current.viewed(
        "complete request", participant_id=precert["participant_id"], precert_id=precert_id
    )
    policy = ctx.nearest_policy(precert["start_date"])
    therapy = policy.therapy(precert["therapy"])
    offered = [
        p.code
        for p in (therapy.procedure_codes if therapy else ())
        if p.deleted_on is None or p.deleted_on > ctx.today
    ]
    chosen = set(form.getlist("procedure_codes")) if isinstance(form, FormData) else set()
    context = {
        "precert": precert,
        "open": precert["status"] == Status.AWAITING_PROVIDER.value,
        "therapy": therapy,
        "offered": offered,
        "chosen": chosen,
        "form": {
            "units": forms.text(form, "units"),
            "start_date": forms.text(form, "start_date") or precert["start_date"].isoformat(),
            "provider_npi": forms.text(form, "provider_npi"),
        },
        "form_key": forms.text(form, "form_key") or forms.new_form_key(),
        "problems": problems or {},
        "minutes_per_unit": policy.minutes_per_unit,
        "max_units": policy.max_units_per_request,
        "participant": participants.get(ctx.session, precert["participant_id"]),
    }
    return current.render("precert_complete.html", context, status=status)


@router.get("/precerts/{precert_id}/complete")
async def completion_form(precert_id: str, request: Request) -> Response:
    return await signed_in(request, lambda current: _completion_page(current, precert_id, {}))


@router.post("/precerts/{precert_id}/complete")
async def complete_request(precert_id: str, request: Request) -> Response:
    form = await form_of(request)

    def work(current: Page) -> Response:
        ctx = current.ctx
        key = forms.text(form, "form_key")
        made = forms.already_taken(ctx.session, ctx.actor.user_id, key)
        if made is None:
            problems: list[FieldProblem] = []
            body = forms.completion_body(ctx.actor, form, problems)
            if problems:
                raise validation_error(problems)
            made = completion.complete_referral(ctx, precert_id, body)["id"]
            forms.take(ctx.session, ctx.actor.user_id, key, made, ctx.now)
        return redirect(f"/precerts/{made}")

    def problem(current: Page, error: DomainError) -> Response:
        ctx = current.ctx
        made = forms.already_taken(ctx.session, ctx.actor.user_id, forms.text(form, "form_key"))
        if made is not None:  # a second post of this form lost the race to the first one
            return redirect(f"/precerts/{made}")
        return _completion_page(
            current, precert_id, form, problems=forms.problems_of(error), status=error.status
        )

    return await signed_in(request, work, form=form, on_problem=problem)


# ---- the decision page and staff review ------------------------------------------------


def _decision_page(
    current: Page,
    precert_id: str,
    *,
    review_form: Any = None,
    problems: dict[str, list[str]] | None = None,
    status: int = 200,
) -> Response:
    ctx = current.ctx
    precert = service.read(ctx, precert_id)
    current.viewed("request", participant_id=precert["participant_id"], precert_id=precert_id)
    policy = ctx.policies.by_version(precert["policy_version"]) or ctx.nearest_policy(
        precert["start_date"]
    )
    therapy = policy.therapy(precert["therapy"])
    context = {
        "precert": precert,
        "therapy_label": therapy.label if therapy else precert["therapy"],
        "diagnoses": describe(policy, precert["diagnosis_codes"], on=precert["start_date"]),
        "participant": participants.get(ctx.session, precert["participant_id"]),
        "actors": names_of(
            ctx.session,
            sorted({e["actor_user_id"] for e in precert["history"] if e["actor_user_id"]}),
        ),
        "minutes_per_unit": policy.minutes_per_unit,
        # Pended at its last update, as in the work queue (see queue.work_queue).
        "due_at": deadline(policy, precert["priority"], precert["updated_at"]),
        "may_complete": precert["status"] == Status.AWAITING_PROVIDER.value
        and ctx.actor.role in (Role.PROVIDER, Role.STAFF),
        "may_review": precert["status"] == Status.PENDED.value and ctx.actor.role is Role.STAFF,
        "review": {
            "decision": forms.text(review_form or {}, "decision"),
            "units": forms.text(review_form or {}, "units"),
            "note": forms.text(review_form or {}, "note"),
        },
        "problems": problems or {},
        # DTR answers sent with the request (PAS supportingInfo); seen by whoever sees it.
        "documentation": dtr_answers.answers_of(ctx.session, precert_id),
    }
    return current.render("precert.html", context, status=status)


@router.get("/precerts/{precert_id}")
async def decision(precert_id: str, request: Request) -> Response:
    return await signed_in(request, lambda current: _decision_page(current, precert_id))


@router.post("/precerts/{precert_id}/review")
async def review_request(precert_id: str, request: Request) -> Response:
    form = await form_of(request)

    def work(current: Page) -> Response:
        problems: list[FieldProblem] = []
        body = forms.review_body(form, problems)
        if problems:
            raise validation_error(problems)
        review.review(current.ctx, precert_id, body)
        return redirect(f"/precerts/{precert_id}")

    def problem(current: Page, error: DomainError) -> Response:
        return _decision_page(
            current,
            precert_id,
            review_form=form,
            problems=forms.problems_of(error),
            status=error.status,
        )

    return await signed_in(request, work, form=form, on_problem=problem)
