"""X12 278 (005010X217) requests and responses, and 999 acknowledgments."""
