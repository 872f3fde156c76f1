"""FHIR R4 backport subscriptions (rest-hook, full-resource) to PAS results."""
