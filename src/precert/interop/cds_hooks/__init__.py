"""Da Vinci CRD 2.0.1 over CDS Hooks: coverage information while an order is written."""
