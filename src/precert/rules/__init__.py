"""Pure decisions: plain values in, a decision out. No database, web or HTTP here."""
