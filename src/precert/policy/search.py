"""Find approved diagnoses by code or by words of their ICD-10-CM description."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from precert.policy.models import Diagnosis, Policy
from precert.rules.codes import normalize_icd10


@dataclass(frozen=True, slots=True)
class Found:
    """An approved diagnosis as a request form shows it: is it in effect on the start date?"""

    code: str
    description: str
    in_effect: bool
    effective_from: date | None
    effective_to: date | None

    @property
    def when(self) -> str:
        if self.effective_from and self.effective_to:
            return f"approved {self.effective_from} to {self.effective_to}"
        if self.effective_to:
            return f"approved until {self.effective_to}"
        if self.effective_from:
            return f"approved from {self.effective_from}"
        return "approved"


def _found(diagnosis: Diagnosis, on: date) -> Found:
    return Found(
        diagnosis.code,
        diagnosis.description,
        diagnosis.in_effect(on),
        diagnosis.effective_from,
        diagnosis.effective_to,
    )


def find_diagnoses(policy: Policy, query: str, *, on: date, limit: int = 30) -> list[Found]:
    """Return approved codes starting with `query` (dot optional) or whose description holds
    every word of it; those in effect on `on` first."""
    words = query.lower().split()
    if not words:
        return []
    compact = query.strip().upper().replace(".", "")
    matches = [
        d
        for d in policy.diagnoses
        if d.code.replace(".", "").startswith(compact)
        or all(word in d.description.lower() for word in words)
    ]
    found = [_found(d, on) for d in matches]
    found.sort(key=lambda f: (not f.in_effect, f.code))
    return found[:limit]


def describe(policy: Policy, codes: list[str], *, on: date) -> list[Found | str]:
    """Return each typed code as the policy knows it on `on`, or the code itself if unlisted."""
    shown: list[Found | str] = []
    for code in codes:
        try:
            normal = normalize_icd10(code)
        except ValueError:
            shown.append(code)
            continue
        listed = [d for d in policy.diagnoses if d.code == normal]
        current = next((d for d in listed if d.in_effect(on)), listed[-1] if listed else None)
        shown.append(_found(current, on) if current else code)
    return shown
