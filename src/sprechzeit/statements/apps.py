from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StatementsConfig(AppConfig):
    name = "sprechzeit.statements"
    label = "statements"
    verbose_name = _("Gutschriften")
