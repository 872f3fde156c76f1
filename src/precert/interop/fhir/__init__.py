"""Da Vinci PAS 2.2.1 over FHIR R4: $submit, $inquire and the CapabilityStatement."""
