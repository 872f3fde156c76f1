"""The CapabilityStatement: what this FHIR endpoint supports (PAS, DTR, subscriptions)."""

from __future__ import annotations

from datetime import date
from typing import Any

PAS_TOPIC = "http://hl7.org/fhir/us/davinci-pas/SubscriptionTopic/PASSubscriptionTopic"


def capability_statement(base: str, *, today: date, version: str) -> dict[str, Any]:
    """Return the server's CapabilityStatement (FHIR 4.0.1, JSON)."""
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": today.isoformat(),
        "publisher": "MO HealthNet (precert)",
        "kind": "instance",
        "instantiates": [
            "http://hl7.org/fhir/us/davinci-pas/CapabilityStatement/IntermediaryCapabilities",
            "http://hl7.org/fhir/us/davinci-dtr/CapabilityStatement/dtr-payer-service",
        ],
        "software": {"name": "precert", "version": version},
        "implementation": {
            "description": "MO HealthNet pre-certification for chronic pain therapies",
            "url": base,
        },
        "fhirVersion": "4.0.1",
        "format": ["application/fhir+json", "json"],
        "implementationGuide": [
            "http://hl7.org/fhir/us/davinci-pas/ImplementationGuide/hl7.fhir.us.davinci-pas|2.2.1",
            "http://hl7.org/fhir/us/davinci-dtr/ImplementationGuide/hl7.fhir.us.davinci-dtr|2.0.1",
            "http://hl7.org/fhir/uv/subscriptions-backport/ImplementationGuide/"
            "hl7.fhir.uv.subscriptions-backport",
        ],
        "rest": [
            {
                "mode": "server",
                "documentation": (
                    "Send the same bearer tokens as the REST API (Authorization: Bearer ...). "
                    "A physician's token sends step 1, a performing provider's step 2, staff's "
                    "either or both. See docs/pas.md."
                ),
                "security": {
                    "service": [
                        {
                            "coding": [
                                {
                                    "system": "http://terminology.hl7.org/CodeSystem/"
                                    "restful-security-service",
                                    "code": "OAuth",
                                }
                            ],
                            "text": "Bearer tokens",
                        }
                    ]
                },
                "resource": [
                    {
                        "type": "Claim",
                        "supportedProfile": [
                            "http://hl7.org/fhir/us/davinci-pas/StructureDefinition/profile-claim"
                        ],
                        "operation": [
                            {
                                "name": "submit",
                                "definition": "http://hl7.org/fhir/us/davinci-pas/"
                                "OperationDefinition/Claim-submit",
                            },
                            {
                                "name": "inquire",
                                "definition": "http://hl7.org/fhir/us/davinci-pas/"
                                "OperationDefinition/Claim-inquiry",
                            },
                        ],
                    },
                    {
                        "type": "Questionnaire",
                        "operation": [
                            {
                                "name": "questionnaire-package",
                                "definition": "http://hl7.org/fhir/us/davinci-dtr/"
                                "OperationDefinition/questionnaire-package",
                            }
                        ],
                    },
                    {
                        "type": "Subscription",
                        "extension": [
                            {
                                "url": "http://hl7.org/fhir/uv/subscriptions-backport/"
                                "StructureDefinition/capabilitystatement-subscriptiontopic-"
                                "canonical",
                                "valueCanonical": PAS_TOPIC,
                            }
                        ],
                        "supportedProfile": [
                            "http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/"
                            "backport-subscription",
                            "http://hl7.org/fhir/us/davinci-pas/StructureDefinition/"
                            "profile-subscription",
                        ],
                        "interaction": [
                            {"code": "create"},
                            {"code": "read"},
                            {"code": "delete"},
                            {"code": "search-type"},
                        ],
                    },
                ],
            }
        ],
    }
