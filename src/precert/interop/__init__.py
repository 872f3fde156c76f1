"""The national-standard interfaces (Da Vinci PAS, CRD and DTR over FHIR R4; X12 278): thin
translators onto the same services, reasons and ledger as the REST API and the portal."""
