from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _sync_roles(**_kwargs: Any) -> None:
    # Permissions exist only after Django's own post_migrate handler created them, so the
    # staff groups are (re)built here rather than in a data migration.
    from sprechzeit.accounts.services import roles_sync  # noqa: PLC0415 - apps not ready at import

    roles_sync()


class AccountsConfig(AppConfig):
    name = "sprechzeit.accounts"
    label = "accounts"
    verbose_name = _("Personen")

    def ready(self) -> None:
        post_migrate.connect(_sync_roles, sender=self, dispatch_uid="sprechzeit.accounts.roles")
        # Registers the receiver that binds partner and staff logins to their host.
        from sprechzeit.accounts import sessions  # noqa: F401, PLC0415 - apps not ready at import
