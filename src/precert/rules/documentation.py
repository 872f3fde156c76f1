"""What the DTR documentation says about a request, when the policy lets it count.

The answers come from the documentation Questionnaire (linkId -> value, as
`precert.interop.dtr.answers.values_of` gives them). Its linkIds are a contract.
"""

from __future__ import annotations

from collections.abc import Mapping

from precert.policy.models import Policy
from precert.rules.reasons import Finding, Reason

PAIN_DURATION_MONTHS = "pain-duration-months"


def documentation_findings(
    policy: Policy, *, questionnaire: str, answers: Mapping[str, object]
) -> list[Finding]:
    """Return the findings that send the request to the Pre-Certification Unit.

    None when the policy's setting is off (or absent), or when the answers are to another
    questionnaire than the policy's (`questionnaire` is its canonical, `|version` allowed).
    """
    setting = policy.documentation
    if setting is None or not setting.affects_decision:
        return []
    if questionnaire.partition("|")[0].strip() != setting.questionnaire:
        return []
    months = answers.get(PAIN_DURATION_MONTHS)
    minimum = setting.chronic_pain_months
    if not isinstance(months, int) or isinstance(months, bool):
        shows = "does not say how long the pain has lasted"
    elif months < minimum:
        shows = f"says the pain has lasted {months} month{'' if months == 1 else 's'}"
    else:
        return []
    return [Finding.of(Reason.DOCUMENTATION_NOT_CHRONIC, shows=shows, months=minimum)]
