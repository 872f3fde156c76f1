"""Small factories for the plain values the rules decide from, over the shipped policy."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from enum import Enum
from itertools import count

from precert.policy.loader import default_policy_book
from precert.policy.models import BenefitYearKind, Policy
from precert.rules.codes import npi_with_check_digit
from precert.rules.completion import decide_completion
from precert.rules.dates import period_end
from precert.rules.decision import Decision
from precert.rules.facts import (
    Authorization,
    Completion,
    Participant,
    Provider,
    Referral,
    Span,
)
from precert.rules.referral import decide_referral

START = date(2026, 3, 2)
OPEN_SINCE_2020 = ((date(2020, 1, 1), None),)
PARTICIPANT_ID = "10000001"

# The provider type that performs each therapy, and one CPT code on its list.
PERFORMER = {
    "physical_therapy": "physical_therapist",
    "chiropractic": "chiropractor",
    "acupuncture": "acupuncturist",
}
CPT = {"physical_therapy": "97110", "chiropractic": "98940", "acupuncture": "97810"}
# A diagnosis approved on every date the shipped policy governs.
OPEN_DIAGNOSIS = "M54.2"

_ids = count(1)


def npi(n: int) -> str:
    """Return a valid NPI numbered `n`."""
    return npi_with_check_digit(f"{n:09d}")


PRESCRIBER_NPI = npi(1)
PROVIDER_NPI = npi(2)


def policy_on(day: date = START, *, benefit_year: BenefitYearKind | None = None) -> Policy:
    """Return the shipped policy in effect on `day`, optionally counting another benefit year."""
    policy = default_policy_book().in_effect(day)
    if benefit_year is None:
        return policy
    return policy.model_copy(update={"benefit_year": benefit_year})


def spans(pairs: Sequence[tuple[date, date | None]]) -> tuple[Span, ...]:
    return tuple(Span(start, end) for start, end in pairs)


def participant(
    *,
    birth_date: date = date(1980, 1, 1),
    eligibility: Sequence[tuple[date, date | None]] = OPEN_SINCE_2020,
) -> Participant:
    return Participant(PARTICIPANT_ID, birth_date, spans(eligibility))


def provider(
    provider_type: str,
    *,
    number: int = 2,
    enrollment: Sequence[tuple[date, date | None]] = OPEN_SINCE_2020,
) -> Provider:
    return Provider(npi(number), provider_type, spans(enrollment))


def physician(*, enrollment: Sequence[tuple[date, date | None]] = OPEN_SINCE_2020) -> Provider:
    return provider("physician", number=1, enrollment=enrollment)


def performer(
    therapy: str, *, enrollment: Sequence[tuple[date, date | None]] = OPEN_SINCE_2020
) -> Provider:
    return provider(PERFORMER[therapy], number=2, enrollment=enrollment)


def held(therapy: str, start: date, units: int, *, precert_id: str | None = None) -> Authorization:
    """Return units the participant already holds, for a 12-month period from `start`."""
    return Authorization(
        precert_id or f"PC-{next(_ids):06d}", therapy, start, period_end(start, 12), units
    )


class _Default(Enum):
    """Marks an argument left out, so that None can mean "not on the roster"."""

    TOKEN = 0


_DEFAULT = _Default.TOKEN


def refer(
    *,
    start: date = START,
    therapy: str = "physical_therapy",
    diagnoses: Sequence[str] = (OPEN_DIAGNOSIS,),
    who: Participant | None = None,
    prescriber: Provider | _Default | None = _DEFAULT,
    policy: Policy | None = None,
) -> Decision:
    """Decide step 1 with everything in order unless told otherwise."""
    return decide_referral(
        request=Referral(PARTICIPANT_ID, PRESCRIBER_NPI, therapy, tuple(diagnoses), start),
        participant=who or participant(),
        prescriber=physician() if isinstance(prescriber, _Default) else prescriber,
        policy=policy or policy_on(start),
    )


def complete(
    *,
    therapy: str = "physical_therapy",
    start: date = START,
    units: int = 40,
    procedures: Sequence[str] | None = None,
    diagnoses: Sequence[str] = (OPEN_DIAGNOSIS,),
    who: Participant | None = None,
    by: Provider | _Default | None = _DEFAULT,
    holding: Sequence[Authorization] = (),
    policy: Policy | None = None,
) -> Decision:
    """Decide step 2 with everything in order unless told otherwise."""
    request = Completion(
        therapy=therapy,
        diagnosis_codes=tuple(diagnoses),
        provider_npi=PROVIDER_NPI,
        procedure_codes=tuple(procedures if procedures is not None else (CPT[therapy],)),
        units=units,
        start_date=start,
    )
    return decide_completion(
        request=request,
        participant=who or participant(),
        provider=performer(therapy) if isinstance(by, _Default) else by,
        authorizations=tuple(holding),
        policy=policy or policy_on(start),
    )


def message(decision: Decision, code: str) -> str:
    """Return the message of the one finding with `code`."""
    (found,) = [f.message for f in decision.findings if f.code == code]
    return found
