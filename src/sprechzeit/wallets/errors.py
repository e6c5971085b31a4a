"""What can go wrong with a wallet: typed, coded; nothing is booked when raised."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from sprechzeit.core.errors import DomainError


class WalletError(DomainError):
    code = "wallet_error"
    default_message = _("Die Aktion mit dem Guthaben ist nicht möglich.")


class InsufficientBalance(WalletError):
    code = "insufficient_balance"
    http_status = 409
    default_message = _("Das Guthaben reicht nicht aus.")


class WalletBlocked(WalletError):
    code = "wallet_blocked"
    http_status = 403
    default_message = _(
        "Ihr Konto ist gesperrt, bis der offene Betrag ausgeglichen ist. Bitte wenden Sie sich an den Kundendienst."
    )


class SelfExcluded(WalletError):
    code = "self_excluded"
    http_status = 403
    default_message = _(
        "Sie haben sich selbst gesperrt; Aufladungen und Beratungen sind bis dahin nicht möglich."
    )


class DepositLimitExceeded(WalletError):
    code = "deposit_limit_exceeded"
    default_message = _("Diese Aufladung überschreitet Ihr monatliches Einzahlungslimit.")


class InvalidDepositLimit(WalletError):
    code = "invalid_deposit_limit"
    default_message = _("Das Einzahlungslimit muss ein positiver Betrag sein.")


class InvalidExclusion(WalletError):
    code = "invalid_exclusion"
    default_message = _("Eine Selbstsperre kann nur verlängert, nicht verkürzt werden.")


class ChargeExceedsHold(WalletError):
    code = "charge_exceeds_hold"
    http_status = 409
    default_message = _("Der Betrag übersteigt die Reservierung.")


class HoldUnknown(WalletError):
    code = "hold_unknown"
    http_status = 404
    default_message = _("Diese Reservierung gibt es nicht.")


class InvalidSplit(WalletError):
    code = "invalid_split"
    default_message = _("Umsatzsteuer und Berateranteil übersteigen den Betrag.")


class CurrencyNotSupported(WalletError):
    code = "currency_not_supported"
    default_message = _("Diese Währung passt nicht zur Plattform.")
