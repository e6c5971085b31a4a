"""Partner documents: the partner terms and the self-billing agreement, and consents to
them (partner onboarding). Changing the check constraints rebuilds the tables on SQLite,
which drops migration 0002's trigger: it is created again at the end (SQLite only;
PostgreSQL keeps its trigger through ALTER TABLE)."""

from typing import Any

from django.conf import settings
from django.db import migrations, models

SQLITE_TRIGGER = """
    CREATE TRIGGER IF NOT EXISTS legal_legaldocument_immutable BEFORE UPDATE ON legal_legaldocument
    BEGIN SELECT RAISE(ABORT, 'legal_legaldocument versions are immutable: UPDATE refused'); END;
"""


def trigger_again(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(SQLITE_TRIGGER, params=None)


class Migration(migrations.Migration):

    dependencies = [
        ('legal', '0002_documents_immutable'),
        ('platforms', '0006_platform_logo_reencoded'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='consent',
            name='consent_purpose_known',
        ),
        migrations.RemoveConstraint(
            model_name='legaldocument',
            name='legaldocument_kind_known',
        ),
        migrations.AlterField(
            model_name='consent',
            name='purpose',
            field=models.CharField(choices=[('signup', 'Registrierung'), ('withdrawal_waiver', 'Sofortiger Beginn, Widerrufsrecht erlischt'), ('partner_terms', 'Beraterbedingungen'), ('self_billing', 'Gutschriftsverfahren')], max_length=20, verbose_name='Zweck'),
        ),
        migrations.AlterField(
            model_name='legaldocument',
            name='kind',
            field=models.CharField(choices=[('terms', 'AGB'), ('privacy', 'Datenschutzerklärung'), ('withdrawal', 'Widerrufsbelehrung'), ('partner_terms', 'Beraterbedingungen'), ('self_billing', 'Vereinbarung über das Gutschriftsverfahren')], max_length=16, verbose_name='Art'),
        ),
        migrations.AddConstraint(
            model_name='consent',
            constraint=models.CheckConstraint(condition=models.Q(('purpose__in', ['signup', 'withdrawal_waiver', 'partner_terms', 'self_billing'])), name='consent_purpose_known'),
        ),
        migrations.AddConstraint(
            model_name='legaldocument',
            constraint=models.CheckConstraint(condition=models.Q(('kind__in', ['terms', 'privacy', 'withdrawal', 'partner_terms', 'self_billing'])), name='legaldocument_kind_known'),
        ),
        migrations.RunPython(trigger_again, migrations.RunPython.noop, elidable=False),
    ]
