"""What can go wrong with payments: typed and coded."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from sprechzeit.core.errors import DomainError


class PaymentError(DomainError):
    code = "payment_error"
    default_message = _("Die Zahlung konnte nicht ausgeführt werden.")


class InvalidSignature(PaymentError):
    """A webhook whose signature is wrong, missing or too old: answered with 400."""

    code = "invalid_signature"
    default_message = _("Die Signatur der Benachrichtigung ist ungültig.")


class MalformedEvent(PaymentError):
    code = "malformed_event"
    default_message = _("Die Benachrichtigung ist nicht lesbar.")


class ProviderUnavailable(PaymentError):
    code = "provider_unavailable"
    http_status = 503
    default_message = _(
        "Der Zahlungsanbieter ist gerade nicht erreichbar. Bitte später erneut versuchen."
    )


class ProviderNotConfigured(PaymentError):
    code = "provider_not_configured"
    http_status = 503
    default_message = _("Der Zahlungsanbieter ist nicht eingerichtet.")


class ChannelUnavailable(PaymentError):
    code = "channel_unavailable"
    default_message = _("Diese Zahlart steht Ihnen nicht zur Verfügung.")


class AmountOutOfRange(PaymentError):
    code = "amount_out_of_range"
    default_message = _("Der Betrag liegt außerhalb der Grenzen dieser Zahlart.")


class InvalidTransition(PaymentError):
    code = "invalid_transition"
    http_status = 409
    default_message = _("Dieser Statuswechsel der Zahlung ist nicht erlaubt.")


class RefundNotPossible(PaymentError):
    code = "refund_not_possible"
    http_status = 409
    default_message = _("Eine Erstattung ist nicht möglich.")


class StatementInvalid(PaymentError):
    code = "statement_invalid"
    default_message = _("Die Datei ist kein lesbarer Kontoauszug (CAMT.053 oder MT940).")


class UpdateNeedsReview(PaymentError):
    """An authentic update that cannot be applied automatically (unknown payment,
    amount or currency mismatch): the inbox entry waits for staff."""

    code = "needs_review"


class MethodNotSavable(PaymentError):
    code = "method_not_savable"
    http_status = 409
    default_message = _("Dieses Zahlungsmittel kann nicht gespeichert oder genutzt werden.")


class AutoTopUpInvalid(PaymentError):
    code = "auto_topup_invalid"
    http_status = 400
    default_message = _(
        "Bitte prüfen Sie Schwelle, Betrag und Monatsgrenze: der Betrag muss größer als "
        "null sein und darf die Monatsgrenze nicht übersteigen."
    )
