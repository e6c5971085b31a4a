"""GoBD: booked and recorded statement data is insert-only at the database level
(`sprechzeit.ledger.insert_only`); corrections are new records.

- An adjustment (booked on the ledger when entered) is never changed, except that the
  statement listing it is filled in once (NULL → the statement).
- A number counter only counts up (`last` grows; entity and year stay): issuing takes
  numbers, nothing gives one back or reuses it; a counter is never deleted.
- The history of tax status and bank data is never changed.
- An objection is never changed, except that staff record its resolution once.
DELETE is refused everywhere (TRUNCATE too on PostgreSQL), except through the owner's
maintenance switch (`flush`).
"""

from __future__ import annotations

from django.db import migrations

from sprechzeit.ledger.insert_only import insert_only_operations


class Migration(migrations.Migration):
    dependencies = [
        ("statements", "0009_objection"),
        ("ledger", "0003_maintenance_needs_owner"),
    ]

    operations = [
        *insert_only_operations(
            "statements_adjustment", mutable=("statement_id",), rule="OLD.statement_id IS NULL"
        ),
        *insert_only_operations(
            "statements_numbercounter", mutable=("last",), rule="NEW.last > OLD.last"
        ),
        *insert_only_operations("statements_taxprofilechange"),
        *insert_only_operations(
            "statements_objection",
            mutable=("resolution", "resolution_note", "resolved_at", "replacement_id"),
            rule="OLD.resolved_at IS NULL",
        ),
    ]
