"""Accounting exports for the operator's tax adviser: the DATEV posting batch of a
period (`datev`) and the figures of the VAT advance return (`vat`), both read from the
ledger (docs/accounting.md)."""
