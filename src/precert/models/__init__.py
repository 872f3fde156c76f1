"""ORM tables, one module per aggregate; imported together so metadata is complete."""

from precert.models.claims import ClaimLineRecord
from precert.models.interop import Delivery, InteropMessage, QuestionnaireAnswers, Subscription
from precert.models.ledger import UnitLedger
from precert.models.participant import EligibilitySpan, Participant
from precert.models.portal import AccessEntry, FormSubmission
from precert.models.precert import Precert, PrecertEvent
from precert.models.provider import EnrollmentSpan, Provider
from precert.models.user import User
from precert.models.web_session import WebSession

__all__ = [
    "AccessEntry",
    "ClaimLineRecord",
    "Delivery",
    "EligibilitySpan",
    "EnrollmentSpan",
    "FormSubmission",
    "InteropMessage",
    "Participant",
    "Precert",
    "PrecertEvent",
    "Provider",
    "QuestionnaireAnswers",
    "Subscription",
    "UnitLedger",
    "User",
    "WebSession",
]
