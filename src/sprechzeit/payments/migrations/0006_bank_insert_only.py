"""GoBD: imported bank statements and their entries are insert-only at the database
level (`sprechzeit.ledger.insert_only`), like the payouts' bank lines.

- A statement file (its bytes, hash, name, format, id, import time) never changes.
- An entry keeps what the bank said for good (amount, currency, direction, dates,
  references, remittance, counterparty, return reason, its statement and key); only
  what we decided about it moves: its status, the note for review, and the client and
  payment it was booked to (the review queue assigns a waiting entry).
DELETE is refused on both (TRUNCATE too on PostgreSQL), except through the owner's
maintenance switch (`flush`).
"""

from __future__ import annotations

from django.db import migrations

from sprechzeit.ledger.insert_only import insert_only_operations


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0005_saved_methods"),
        ("ledger", "0003_maintenance_needs_owner"),
    ]

    operations = [
        *insert_only_operations("payments_bankstatement"),
        *insert_only_operations(
            "payments_bankentry",
            mutable=("status", "note", "client_account_id", "payment_id"),
        ),
    ]
