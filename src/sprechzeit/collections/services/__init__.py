"""Collections writes, one module per use case: `disputes` (notes, evidence, outcome),
`refunds` (partial and four-eyes approval, rejection), `bank` (the unmatched-payments
queue), `dunning` (cases, reminders, the run), `instalments`, `writeoffs`. Reads are in
`collections.selectors`."""
