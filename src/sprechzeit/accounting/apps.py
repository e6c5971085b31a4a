from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountingConfig(AppConfig):
    name = "sprechzeit.accounting"
    label = "accounting"
    verbose_name = _("Buchhaltung")
