"""Step 2: the performing provider completes the request."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from precert.policy.models import Policy, Therapy
from precert.rules.checks import diagnosis_findings, participant_findings
from precert.rules.dates import period_end
from precert.rules.decision import Decision, Status
from precert.rules.facts import Authorization, Completion, Participant, Provider
from precert.rules.ledger import AUTHORIZING, limit_finding, units_charged
from precert.rules.reasons import Finding, Reason


def decide_completion(
    *,
    request: Completion,
    participant: Participant,
    provider: Provider | None,
    authorizations: Sequence[Authorization],
    policy: Policy,
    documentation: Sequence[Finding] = (),
) -> Decision:
    """Return approved, partially_approved, pended or denied, with every reason that applies.

    Denials come first; a duplicate, or documentation that does not show chronic pain (see
    `rules.documentation`, when the policy lets it count), only pends a request that would
    otherwise be approved.
    """
    on = request.start_date
    therapy = policy.therapy(request.therapy)
    if therapy is None:  # the service rejects unknown therapies before deciding
        raise ValueError(f"unknown therapy {request.therapy!r}")
    end = period_end(on, policy.approval_period_months)
    denials = participant_findings(policy, participant, on)
    denials += _provider_findings(therapy, request.provider_npi, provider, on)
    denials += diagnosis_findings(policy, request.diagnosis_codes, on)

    codes = tuple(c for c in request.procedure_codes if c in therapy.codes)
    not_covered = [
        Finding.of(Reason.PROCEDURE_NOT_COVERED, code=c, therapy=therapy.label)
        for c in request.procedure_codes
        if c not in therapy.codes
    ]

    charged, year = units_charged(policy, authorizations, on)
    remaining = max(policy.annual_unit_limit - charged, 0)
    units = request.units
    limit = limit_finding(policy, year, remaining, units, AUTHORIZING)
    limit_findings: list[Finding] = []
    if limit is not None and remaining == 0:
        denials.append(limit)
    elif limit is not None:
        limit_findings.append(limit)
        units = remaining

    if denials or not codes:
        return Decision(
            Status.DENIED, (*denials, *not_covered), approved_units=0, start_date=on, end_date=end
        )
    status = Status.PARTIALLY_APPROVED if limit_findings else Status.APPROVED
    duplicates = [
        Finding.of(
            Reason.DUPLICATE_AUTHORIZATION,
            other_id=a.precert_id,
            therapy=therapy.label,
            other_start=a.start_date,
            other_end=a.end_date,
        )
        for a in authorizations
        if a.therapy == therapy.key and a.start_date <= end and on <= a.end_date
    ]
    findings = (*not_covered, *limit_findings, *duplicates, *documentation)
    if duplicates or documentation:
        return Decision(Status.PENDED, findings, None, codes, on, end)
    return Decision(status, findings, units, codes, on, end)


def _provider_findings(
    therapy: Therapy, npi: str, provider: Provider | None, on: date
) -> list[Finding]:
    if provider is None or not provider.enrolled_on(on):
        return [Finding.of(Reason.PROVIDER_NOT_ENROLLED, npi=npi, on=on)]
    if provider.provider_type not in therapy.performing_provider_types:
        return [
            Finding.of(
                Reason.PROVIDER_TYPE_MISMATCH,
                npi=npi,
                provider_type=provider.provider_type,
                therapy=therapy.label,
            )
        ]
    return []
