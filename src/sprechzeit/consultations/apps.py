from django.apps import AppConfig


class ConsultationsConfig(AppConfig):
    name = "sprechzeit.consultations"
    label = "consultations"

    def ready(self) -> None:
        from sprechzeit.consultations import receivers  # noqa: PLC0415 - needs the registry
        from sprechzeit.wallets.signals import balance_credited  # noqa: PLC0415

        balance_credited.connect(
            receivers.extend_after_credit, dispatch_uid="consultations.extend_after_credit"
        )
