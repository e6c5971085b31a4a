from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PayoutsConfig(AppConfig):
    name = "sprechzeit.payouts"
    label = "payouts"
    verbose_name = _("Auszahlungen")
