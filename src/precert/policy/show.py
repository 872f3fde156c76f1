"""Render a policy for a person at a terminal."""

from __future__ import annotations

from datetime import date

from precert.policy.models import Policy


def render(policy: Policy, on: date) -> str:
    """Return the policy in effect on `on` as readable text."""
    lines = [
        f"{policy.program}",
        f"policy version {policy.version}, in effect {policy.effective_from} to "
        f"{policy.effective_to or 'open'}; shown for {on}",
        "",
        f"minimum age              {policy.minimum_age}",
        f"approval period          {policy.approval_period_months} months "
        "(end = start + months - 1 day)",
        f"annual limit             {policy.annual_unit_limit} units, 1 unit = "
        f"{policy.minutes_per_unit} minutes, shared by all therapies",
        f"benefit year             {policy.benefit_year.value}",
        f"step 2 must follow in    {policy.step1_expiry_days} days of step 1",
        f"staff decide within      {policy.decision_hours.standard} hours "
        f"({policy.decision_hours.expedited} when expedited)",
        f"prescribers              {', '.join(policy.prescriber_types)}",
        "",
        "therapies (CPT codes only; descriptions are AMA-copyrighted):",
    ]
    for therapy in policy.therapies:
        codes = ", ".join(
            p.code + (f" (deleted {p.deleted_on})" if p.deleted_on else "")
            for p in therapy.procedure_codes
        )
        lines.append(
            f"  {therapy.key} - performed by {', '.join(therapy.performing_provider_types)}"
        )
        lines.append(f"    {codes}")
    approved = policy.approved_diagnoses(on)
    lines += ["", f"diagnoses approved on {on} ({len(approved)} of {len(policy.diagnoses)}):"]
    for d in policy.diagnoses:
        window = ""
        if d.effective_from or d.effective_to:
            window = f"  [{d.effective_from or '...'} to {d.effective_to or 'open'}]"
        mark = " " if d.code in approved else "x"
        lines.append(f"  {mark} {d.code:<8} {d.description}{window}")
    lines.append("  (x = not approved on this date)")
    return "\n".join(lines)
