"""The CDS Services this program offers, as CDS Hooks discovery lists them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Prefetch templates as in CRD 2.0.1's own discovery example (CRDServices.json): the patient,
# and the patient's active coverage as a search Bundle. Nothing more is asked for: the
# program's rules read the member ID, the order and its diagnoses.
PATIENT = "Patient/{{context.patientId}}"
COVERAGE = "Coverage?patient={{context.patientId}}&status=active"
BASED_ON = (
    "ServiceRequest?_id="
    "{{context.appointments.entry.resource.basedOn.resolve().ofType(ServiceRequest).id}}"
)


@dataclass(frozen=True, slots=True)
class HookService:
    id: str
    hook: str
    title: str
    description: str
    orders: str  # the context field holding the Bundle of orders or appointments
    prefetch: dict[str, str] = field(default_factory=dict)

    def discovery(self) -> dict[str, Any]:
        return {
            "hook": self.hook,
            "title": self.title,
            "description": self.description,
            "id": self.id,
            "prefetch": dict(self.prefetch),
        }


_WHAT = (
    "for MO HealthNet's chronic-pain therapies (physical therapy, chiropractic, acupuncture): "
    "whether the service is covered for the participant on its date, whether a "
    "pre-certification is needed or already approved, and the units left in the benefit year."
)

SERVICES = (
    HookService(
        id="order-sign-crd",
        hook="order-sign",
        title="MO HealthNet chronic-pain therapies: coverage requirements at order sign",
        description=f"Coverage requirements of draft orders {_WHAT}",
        orders="draftOrders",
        prefetch={"patient": PATIENT, "coverage": COVERAGE},
    ),
    HookService(
        id="order-select-crd",
        hook="order-select",
        title="MO HealthNet chronic-pain therapies: coverage requirements at order select",
        description=f"Coverage requirements of the selected draft orders {_WHAT}",
        orders="draftOrders",
        prefetch={"patient": PATIENT, "coverage": COVERAGE},
    ),
    HookService(
        id="appointment-book-crd",
        hook="appointment-book",
        title="MO HealthNet chronic-pain therapies: coverage requirements at appointment booking",
        description=f"Coverage requirements of the appointments being booked {_WHAT}",
        orders="appointments",
        prefetch={"patient": PATIENT, "coverage": COVERAGE, "serviceRequests": BASED_ON},
    ),
)
_BY_ID = {s.id: s for s in SERVICES}


def by_id(service_id: str) -> HookService | None:
    """Return the service published under `service_id`, if there is one."""
    return _BY_ID.get(service_id)


def discovery() -> dict[str, Any]:
    """Return the discovery document (`GET /cds-services`)."""
    return {"services": [s.discovery() for s in SERVICES]}
