"""Pure decisions per second: the rules engine alone, facts built once, on one core."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from precert.policy.loader import default_policy_book
from precert.rules.codes import npi_with_check_digit
from precert.rules.completion import decide_completion
from precert.rules.decision import Decision, Status
from precert.rules.facts import Authorization, Completion, Participant, Provider, Referral, Span

ON = date(2026, 3, 10)
SINCE_2020 = (Span(date(2020, 1, 1)),)


@dataclass(frozen=True)
class EngineResult:
    name: str
    decisions: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.decisions / self.seconds


def _completion_case() -> Callable[[], Decision]:
    """A typical step 2: eligible adult, enrolled therapist, two codes, units already held."""
    policy = default_policy_book().in_effect(ON)
    participant = Participant("10000001", date(1980, 1, 1), SINCE_2020)
    provider = Provider(npi_with_check_digit("000000002"), "physical_therapist", SINCE_2020)
    held = (
        Authorization("PC-CHIRO00001", "chiropractic", date(2026, 1, 5), date(2027, 1, 4), 24),
        Authorization("PC-ACUPU00001", "acupuncture", date(2025, 6, 1), date(2026, 5, 31), 16),
    )
    request = Completion(
        therapy="physical_therapy",
        diagnosis_codes=("M54.50", "M51.16"),
        provider_npi=provider.npi,
        procedure_codes=("97110", "97530"),
        units=8,
        start_date=ON,
    )

    def decide() -> Decision:
        return decide_completion(
            request=request,
            participant=participant,
            provider=provider,
            authorizations=held,
            policy=policy,
        )

    assert decide().status is Status.APPROVED and not decide().findings, decide()
    return decide


def _referral_case() -> Callable[[], Decision]:
    """A typical step 1: eligible adult, enrolled physician, an approved diagnosis."""
    from precert.rules.referral import decide_referral

    policy = default_policy_book().in_effect(ON)
    participant = Participant("10000001", date(1980, 1, 1), SINCE_2020)
    prescriber = Provider(npi_with_check_digit("000000001"), "physician", SINCE_2020)
    request = Referral(
        participant_id=participant.participant_id,
        prescriber_npi=prescriber.npi,
        therapy="physical_therapy",
        diagnosis_codes=("M54.50",),
        start_date=ON,
    )

    def decide() -> Decision:
        return decide_referral(
            request=request, participant=participant, prescriber=prescriber, policy=policy
        )

    assert decide().status is Status.AWAITING_PROVIDER, decide()
    return decide


def _measure(name: str, decide: Callable[[], Decision], seconds: float) -> EngineResult:
    for _ in range(1_000):  # warm up
        decide()
    batch = 1_000
    done = 0
    start = time.perf_counter()
    deadline = start + seconds
    while True:
        for _ in range(batch):
            decide()
        done += batch
        now = time.perf_counter()
        if now >= deadline:
            return EngineResult(name, done, now - start)


def run_engine(seconds: float) -> list[EngineResult]:
    """Return decisions per second of step 2 and step 1, each measured for `seconds`."""
    return [
        _measure("decide_completion", _completion_case(), seconds),
        _measure("decide_referral", _referral_case(), seconds),
    ]
