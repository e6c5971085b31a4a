from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from sprechzeit.ledger.guard import insert_only_register


class AuditConfig(AppConfig):
    name = "sprechzeit.audit"
    label = "audit"
    verbose_name = _("Protokoll")

    def ready(self) -> None:
        insert_only_register("audit_auditentry")
