"""What can go wrong with a mail: typed and coded."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from sprechzeit.core.errors import DomainError


class MailError(DomainError):
    code = "mail_error"
    default_message = _("Die E-Mail konnte nicht verschickt werden.")


class MailDeliveryFailed(MailError):
    code = "mail_delivery_failed"
    http_status = 503
    default_message = _("Der Mailserver hat die E-Mail nicht angenommen; wir versuchen es erneut.")
