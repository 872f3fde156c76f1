"""Use cases of claims-time checks: check lines (nothing kept), or decide and record them."""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any

from precert.claims import engine, repository
from precert.claims.lines import read_line
from precert.common.actor import Role
from precert.common.context import Context
from precert.common.parsing import NotJson
from precert.errors import FieldProblem, validation_error
from precert.precerts.access import require_own_npi, require_role
from precert.rules.claims import ClaimLine, Frequency

log = logging.getLogger("precert.claims")
MAX_LINES = 1000


def check(ctx: Context, body: Any) -> dict[str, Any]:
    """Decide lines without recording them: a provider's "will this pay?" before billing."""
    require_role(ctx.actor, Role.PROVIDER, Role.STAFF, Role.CLAIMS_SYSTEM)
    _own_lines_only(ctx, body)
    lines = read_lines(ctx, body)
    answers = engine.decide_chunk(
        ctx.session, lines, policies=ctx.policies, now=ctx.now, record=False
    )
    return {"lines": answers}


def record(ctx: Context, body: Any) -> dict[str, Any]:
    """Decide and record lines: the claims system's call; a retried line gets its first answer."""
    require_role(ctx.actor, Role.CLAIMS_SYSTEM)
    lines = read_lines(ctx, body)
    answers = engine.decide_chunk(
        ctx.session, lines, policies=ctx.policies, now=ctx.now, record=True
    )
    counts = Counter(a["outcome"] for a in answers)
    log.info(
        "claims.recorded lines=%d covered=%d reduced=%d not_covered=%d",
        len(answers),
        counts["covered"],
        counts["reduced"],
        counts["not_covered"],
    )
    return {"lines": answers}


def _own_lines_only(ctx: Context, body: Any) -> None:
    """Refuse a provider checking lines billed under a valid NPI other than its own."""
    lines = body.get("lines") if isinstance(body, dict) else None
    for raw in lines if isinstance(lines, list) else []:
        require_own_npi(ctx.actor, raw, "billing_npi")


def read_lines(ctx: Context, body: Any) -> list[ClaimLine]:
    """Return every line of the body, or a 422 naming each bad line's index and field."""
    if isinstance(body, NotJson):
        raise validation_error([FieldProblem("body", body.problem)])
    raw_lines = body.get("lines") if isinstance(body, dict) else None
    if not isinstance(raw_lines, list) or not 1 <= len(raw_lines) <= MAX_LINES:
        raise validation_error(
            [FieldProblem("lines", f"must be a list of 1 to {MAX_LINES} claim lines")]
        )
    problems: list[FieldProblem] = []
    lines: list[tuple[int, ClaimLine]] = []
    for index, raw in enumerate(raw_lines):
        line, found = read_line(raw)
        problems += [FieldProblem(f"lines[{index}].{p.field}", p.message) for p in found]
        if line is not None:
            lines.append((index, line))
    problems += references(ctx, lines)
    if problems:
        raise validation_error(sorted(problems, key=_index_of))
    return [line for _, line in lines]


def _index_of(problem: FieldProblem) -> int:
    return int(problem.field.split("]", 1)[0].removeprefix("lines["))


def references(ctx: Context, lines: list[tuple[int, ClaimLine]]) -> list[FieldProblem]:
    """Name lines whose participant is unknown, or whose original line is not on record."""
    problems: list[FieldProblem] = []
    ids = {line.participant_id for _, line in lines}
    known = repository.known_participants(ctx.session, ids)
    originals = {line.original_claim_id for _, line in lines if line.original_claim_id}
    on_record = set(repository.lines_of_claims(ctx.session, originals))
    seen: set[tuple[str, int]] = set()
    for index, line in lines:
        if line.participant_id not in known:
            problems.append(
                FieldProblem(
                    f"lines[{index}].participant_id",
                    f"no MO HealthNet participant has ID {line.participant_id}",
                )
            )
        key = line.original_key
        if line.frequency is not Frequency.ORIGINAL and key not in on_record and key not in seen:
            problems.append(
                FieldProblem(
                    f"lines[{index}].original_claim_id",
                    f"claim {key[0] if key else ''} line {line.line_number} is not on record",
                )
            )
        seen.add(line.key)
    return problems
