"""Payment writes, split by use case: `payments` (start, state machine, applying
provider updates), `inbox` (notifications), `refunds`, `bank` (statements)."""
