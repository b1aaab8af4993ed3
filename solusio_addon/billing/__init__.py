"""Post-pay billing: which months are due, invoice lines from usage, the ledger that makes
double invoicing impossible, and the overdue lifecycle (lock, suspend, reactivate)."""
