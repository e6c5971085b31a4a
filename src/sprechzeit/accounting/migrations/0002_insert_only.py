"""GoBD: issued client invoices are never changed or deleted, and their number counter
only counts up (`sprechzeit.ledger.insert_only`)."""

from __future__ import annotations

from django.db import migrations

from sprechzeit.ledger.insert_only import insert_only_operations


class Migration(migrations.Migration):
    dependencies = [
        ("accounting", "0001_client_invoices"),
        ("ledger", "0003_maintenance_needs_owner"),
    ]

    operations = [
        *insert_only_operations("accounting_clientinvoice"),
        *insert_only_operations(
            "accounting_clientinvoicecounter", mutable=("last",), rule="NEW.last > OLD.last"
        ),
    ]
