"""Check a policy's code lists against the ICD-10-CM edition shipped by simple-icd-10-cm."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from precert.policy.models import Policy


@dataclass(frozen=True, slots=True)
class LintWarning:
    code: str
    kind: str
    message: str

    def __str__(self) -> str:
        return f"warning: {self.code}: {self.message}"


def lint_policy(policy: Policy, *, today: date) -> list[LintWarning]:
    """Return warnings about codes that are not billable today; never fail on them."""
    import warnings

    with warnings.catch_warnings():  # the library imports the deprecated pkg_resources
        warnings.simplefilter("ignore")
        import simple_icd_10_cm as icd

    found: list[LintWarning] = []
    for diagnosis in policy.diagnoses:
        code = diagnosis.code
        if not icd.is_valid_item(code):
            found.append(
                LintWarning(code, "icd10_unknown", "not a code in the shipped ICD-10-CM edition")
            )
        elif not icd.is_leaf(code):
            children = ", ".join(icd.get_children(code))
            status = "still approved" if diagnosis.in_effect(today) else "no longer approved"
            found.append(
                LintWarning(
                    code,
                    "icd10_not_billable",
                    f"no longer a billable leaf code in the shipped ICD-10-CM edition; it was "
                    f"split into {children} ({status} in this policy on {today.isoformat()})",
                )
            )
    for therapy in policy.therapies:
        for proc in therapy.procedure_codes:
            if proc.deleted_on is not None:
                status = "deleted" if proc.deleted_on <= today else "to be deleted"
                found.append(
                    LintWarning(
                        proc.code,
                        "cpt_deleted",
                        f"CPT code {status} on {proc.deleted_on.isoformat()} but still on the "
                        f"{therapy.key} list",
                    )
                )
    return found
