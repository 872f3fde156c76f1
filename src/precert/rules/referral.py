"""Step 1: the prescribing physician starts a request."""

from __future__ import annotations

from precert.policy.models import Policy
from precert.rules.checks import diagnosis_findings, participant_findings
from precert.rules.decision import Decision, Status
from precert.rules.facts import Participant, Provider, Referral
from precert.rules.reasons import Finding, Reason


def decide_referral(
    *,
    request: Referral,
    participant: Participant,
    prescriber: Provider | None,
    policy: Policy,
) -> Decision:
    """Return `awaiting_provider`, or `denied` with every reason that applies."""
    on = request.start_date
    findings = participant_findings(policy, participant, on)
    if prescriber is None or not prescriber.enrolled_on(on):
        findings.append(
            Finding.of(Reason.PRESCRIBER_NOT_ENROLLED, npi=request.prescriber_npi, on=on)
        )
    elif prescriber.provider_type not in policy.prescriber_types:
        findings.append(
            Finding.of(
                Reason.PRESCRIBER_TYPE_NOT_ALLOWED,
                npi=request.prescriber_npi,
                provider_type=prescriber.provider_type,
                allowed=", ".join(policy.prescriber_types),
            )
        )
    findings += diagnosis_findings(policy, request.diagnosis_codes, on)
    if findings:
        return Decision(Status.DENIED, tuple(findings), approved_units=0, start_date=on)
    return Decision(Status.AWAITING_PROVIDER, (), start_date=on)
