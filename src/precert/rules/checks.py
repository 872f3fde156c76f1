"""The checks step 1 and step 2 share: participant, diagnoses."""

from __future__ import annotations

from datetime import date

from precert.policy.models import Policy
from precert.rules.dates import birthday
from precert.rules.facts import Participant
from precert.rules.reasons import Finding, Reason


def participant_findings(policy: Policy, participant: Participant, on: date) -> list[Finding]:
    """Return why `participant` may not receive the benefit on `on` (empty when they may)."""
    findings = []
    if not participant.eligible_on(on):
        findings.append(Finding.of(Reason.PARTICIPANT_NOT_ELIGIBLE, on=on))
    turns = birthday(participant.birth_date, policy.minimum_age)
    if on < turns:
        findings.append(
            Finding.of(
                Reason.PARTICIPANT_UNDER_MINIMUM_AGE,
                minimum_age=policy.minimum_age,
                on=on,
                birthday=turns,
            )
        )
    return findings


def diagnosis_findings(policy: Policy, codes: tuple[str, ...], on: date) -> list[Finding]:
    """Return DIAGNOSIS_NOT_APPROVED when none of `codes` is approved on `on`."""
    if policy.approved_diagnoses(on).isdisjoint(codes):
        return [Finding.of(Reason.DIAGNOSIS_NOT_APPROVED, codes=", ".join(codes), on=on)]
    return []
