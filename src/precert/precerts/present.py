"""Turn stored pre-certifications into what readers see."""

from __future__ import annotations

from datetime import date
from typing import Any

from precert.db import as_utc
from precert.policy.loader import PolicyBook
from precert.precerts.repository import Record
from precert.rules.decision import Status


def effective_status(precert: Record, today: date) -> str:
    """Return the status a reader sees: a request past its wait for step 2 reads as expired."""
    if precert["status"] == Status.AWAITING_PROVIDER.value and precert["expires_on"] < today:
        return Status.EXPIRED.value
    return str(precert["status"])


def present(
    precert: Record, events: list[Record], *, today: date, policies: PolicyBook
) -> dict[str, Any]:
    """Return the pre-certification as the API shows it."""
    policy = policies.by_version(precert["policy_version"]) or policies.policies[-1]
    minutes = policy.minutes_per_unit
    status = effective_status(precert, today)
    return {
        "id": precert["id"],
        "status": status,
        "priority": precert["priority"],
        "participant_id": precert["participant_id"],
        "therapy": precert["therapy"],
        "prescriber_npi": precert["prescriber_npi"],
        "provider_npi": precert["provider_npi"],
        "diagnosis_codes": list(precert["diagnosis_codes"]),
        "plan_of_care_date": precert["plan_of_care_date"],
        "requested_procedure_codes": list(precert["requested_procedure_codes"]),
        "procedure_codes": list(precert["procedure_codes"]),
        "requested_units": precert["requested_units"],
        "approved_units": precert["approved_units"],
        "approved_minutes": (
            None if precert["approved_units"] is None else precert["approved_units"] * minutes
        ),
        "used_units": precert.get("used_units") or 0,
        "units_remaining": (
            None
            if precert["approved_units"] is None
            else max(precert["approved_units"] - (precert.get("used_units") or 0), 0)
        ),
        "start_date": precert["start_date"],
        "end_date": precert["end_date"],
        "expires_on": precert["expires_on"] if status == Status.AWAITING_PROVIDER.value else None,
        "reasons": list(precert["reasons"]),
        "history": [
            {
                "seq": e["seq"],
                "action": e["action"],
                "from_status": e["from_status"],
                "to_status": e["to_status"],
                "at": as_utc(e["at"]),
                "actor_user_id": e["actor_user_id"],
                "actor_role": e["actor_role"],
                "channel": e["channel"],
                "inputs": e["inputs"],
                "reasons": e["reasons"],
                "policy_version": e["policy_version"],
                "note": e["note"],
            }
            for e in events
        ],
        "policy_version": precert["policy_version"],
        "created_at": as_utc(precert["created_at"]),
        "updated_at": as_utc(precert["updated_at"]),
    }
