"""Post-pay billing: which months are due, invoice lines from usage, the ledger that makes
double invoicing impossible, and the overdue lifecycle (lock, suspend, reactivate).

* ``automation``: the SolusioAutomation run (pending enrolments, invoicing, then the overdue pass);
  ``report``: its policy and its counters and summary; ``paging``: enrolments in keyset pages;
  ``fetching``: usage fetched with requests overlapped; ``parallel``: invoicing over worker
  processes.
* ``periods``, ``lines``, ``ledger``: due months, invoice lines, the claim of each (client, month).
* ``overdue``: the rules as a pure decision; ``lifecycle``: the daily pass applying them, the
  owed addon invoices, and ``apply_status`` (record, log and email a status SolusIO now has).
* ``status_warnings``: emails before a lock or suspension; ``closure``: a closed client;
  ``reconcile``: where the host and SolusIO differ; ``status``: what the admin sees of it all;
  ``hooks``: the cron tasks and InvoicePaid.
"""
