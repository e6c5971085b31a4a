"""GoBD: payout runs, payouts and imported bank lines are insert-only at the database
level (`sprechzeit.ledger.insert_only`); corrections are new records.

- A run may be completed once, right after it was created: its file, the file's hash,
  PmtInfId, count and total (NULL file → the file); from then on nothing changes.
- A payout keeps amount, IBAN, account holder, partner, run and end-to-end id for good;
  only its state moves, the way the bank's answers move it: in transit → confirmed or
  returned, confirmed → returned (with the reason code and the settling time).
- Which statements a payout covers is written once.
- A bank line is never changed.
DELETE is refused everywhere (TRUNCATE too on PostgreSQL), except through the owner's
maintenance switch (`flush`).
"""

from __future__ import annotations

from django.db import migrations

from sprechzeit.ledger.insert_only import insert_only_operations

PAYOUT_MOVES = (
    "(NEW.status = OLD.status"
    " AND NEW.return_reason IS NOT DISTINCT FROM OLD.return_reason"
    " AND NEW.settled_at IS NOT DISTINCT FROM OLD.settled_at)"
    " OR (OLD.status = 'in_transit' AND NEW.status IN ('confirmed', 'returned'))"
    " OR (OLD.status = 'confirmed' AND NEW.status = 'returned')"
)


class Migration(migrations.Migration):
    dependencies = [
        ("payouts", "0004_payoutrun_download_sepa"),
        ("ledger", "0003_maintenance_needs_owner"),
    ]

    operations = [
        *insert_only_operations(
            "payouts_payoutrun",
            mutable=("payment_info_id", "file", "file_sha256", "count", "total_minor"),
            rule="OLD.file IS NULL",
        ),
        *insert_only_operations(
            "payouts_payout",
            mutable=("status", "return_reason", "settled_at"),
            rule=PAYOUT_MOVES,
        ),
        *insert_only_operations("payouts_payout_statements"),
        *insert_only_operations("payouts_bankline"),
    ]
