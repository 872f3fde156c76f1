"""The code systems and identifier systems our FHIR and CDS Hooks answers name.

`precert.example.org` stands for the program's own namespace until the state names one.
"""

from __future__ import annotations

OURS = "http://precert.example.org/fhir"
REASON_SYSTEM = f"{OURS}/CodeSystem/reason"  # our reason codes (precert.rules.reasons)
THERAPY_SYSTEM = f"{OURS}/CodeSystem/therapy"  # physical_therapy, chiropractic, acupuncture
PRECERT_SYSTEM = f"{OURS}/CodeSystem/precert"  # e.g. the plan-of-care supportingInfo category
MEMBER_ID_SYSTEM = f"{OURS}/sid/mo-healthnet-id"  # MO HealthNet participant IDs we write
