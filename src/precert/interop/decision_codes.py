"""X12 886 (Health Care Service Review Decision Reason) codes mapped from our reasons.

The 886 list is maintained by X12 and licensed; X12 publishes it at
https://x12.org/codes/service-review-decision-reason-codes. The codes here are ones that page
documents (the same list is also reproduced in public code), chosen only where one fits:

- PARTICIPANT_UNDER_MINIMUM_AGE -> 0Y "Service inconsistent with Patient's Age"
- PRESCRIBER_TYPE_NOT_ALLOWED, PROVIDER_TYPE_MISMATCH -> 0X "Service Inconsistent with
  Provider Type"
- DIAGNOSIS_NOT_APPROVED -> 0R "Service Inconsistent with Diagnosis"
- PROCEDURE_NOT_COVERED -> 0M "Non-covered Service"
- ANNUAL_LIMIT_REACHED, UNITS_REDUCED_TO_LIMIT -> 0L "Exceeds Plan Maximums"
- DUPLICATE_AUTHORIZATION -> 0Q "Duplicate Request"
- UNITS_REDUCED_ON_REVIEW -> 10 "Product/service/procedure delivery pattern (e.g., units,
  days, visits, weeks, hours, months)"
- CANCELLED -> 07 "Administrative Cancellation"
- STEP2_EXPIRED -> 17 "Time limits not met"

No 886 code fits PARTICIPANT_NOT_ELIGIBLE (eligibility is not a review reason in 886),
PRESCRIBER_NOT_ENROLLED and PROVIDER_NOT_ENROLLED (886 has "Out of Network", which is about
networks, not Medicaid enrollment) or DENIED_ON_REVIEW (the reviewer's reason is not known):
they map to nothing. Every response also carries our own reason code and message beside the
886 code, so a reader never depends on the 886 code alone. docs/x12-278.md keeps this table.
"""

from __future__ import annotations

from precert.rules.reasons import Reason

# Our reasons -> 886 codes. Reasons with no fitting 886 code map to nothing.
_BY_REASON: dict[Reason, tuple[str, ...]] = {
    Reason.PARTICIPANT_UNDER_MINIMUM_AGE: ("0Y",),
    Reason.PRESCRIBER_TYPE_NOT_ALLOWED: ("0X",),
    Reason.PROVIDER_TYPE_MISMATCH: ("0X",),
    Reason.DIAGNOSIS_NOT_APPROVED: ("0R",),
    Reason.PROCEDURE_NOT_COVERED: ("0M",),
    Reason.ANNUAL_LIMIT_REACHED: ("0L",),
    Reason.UNITS_REDUCED_TO_LIMIT: ("0L",),
    Reason.DUPLICATE_AUTHORIZATION: ("0Q",),
    Reason.UNITS_REDUCED_ON_REVIEW: ("10",),
    Reason.CANCELLED: ("07",),
    Reason.STEP2_EXPIRED: ("17",),
}


def codes_886(reason_code: str) -> tuple[str, ...]:
    """Return the X12 886 codes for one of our reason codes (none when none fits)."""
    reason = Reason.__members__.get(reason_code)
    return _BY_REASON.get(reason, ()) if reason is not None else ()
