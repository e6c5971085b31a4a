from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CollectionsConfig(AppConfig):
    """Receivables and payment risk: disputes decided by staff, refund approvals,
    dunning, instalment plans and write-offs (docs/collections.md)."""

    name = "sprechzeit.collections"
    label = "collections"
    verbose_name = _("Forderungen und Risiko")

    def ready(self) -> None:
        from sprechzeit.collections.signals import connect  # noqa: PLC0415 - app registry first

        connect()
