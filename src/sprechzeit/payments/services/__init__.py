"""Payment writes, split by use case: `payments` (start, state machine, applying
provider updates), `bookings` (the credit, disputes and reported refunds on the ledger),
`inbox` (notifications), `refunds`, `bank` (statements), `sandbox` (delivering the test
provider's notifications). Reads are in `payments.selectors`, bank file parsing in
`payments.bankfiles`, what a write did in `payments.outcomes`."""
