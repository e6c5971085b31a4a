from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsultationsConfig(AppConfig):
    name = "sprechzeit.consultations"
    label = "consultations"
    verbose_name = _("Beratungen")

    def ready(self) -> None:
        from sprechzeit.consultations import receivers  # noqa: PLC0415 - needs the registry
        from sprechzeit.wallets.signals import balance_credited  # noqa: PLC0415

        balance_credited.connect(
            receivers.extend_after_credit, dispatch_uid="consultations.extend_after_credit"
        )
