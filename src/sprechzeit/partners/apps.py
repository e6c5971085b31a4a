from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartnersConfig(AppConfig):
    name = "sprechzeit.partners"
    label = "partners"
    verbose_name = _("Beraterverwaltung")
