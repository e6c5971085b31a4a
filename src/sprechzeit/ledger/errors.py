"""What can go wrong when booking: typed, coded, and nothing is booked when raised.

Codes follow TigerBeetle's result names where one exists, so a reader of its docs
recognises them. Errors raised while booking carry `transfer_id` (and `index` inside a
linked batch) in their fields.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from sprechzeit.core import errors as core_errors
from sprechzeit.core.errors import DomainError


class LedgerError(DomainError):
    code = "ledger_error"
    default_message = _("Die Buchung konnte nicht ausgeführt werden.")


class InvalidAmount(LedgerError):
    code = "invalid_amount"
    default_message = _("Der Betrag muss eine positive ganze Zahl von Cent sein.")


class CurrencyMismatch(LedgerError, core_errors.CurrencyMismatch):
    code = "currency_mismatch"
    default_message = _("Betrag und Konten haben verschiedene Währungen.")


class SameAccount(LedgerError):
    code = "accounts_must_be_different"
    default_message = _("Soll- und Habenkonto müssen verschieden sein.")


class InvalidTransfer(LedgerError):
    """A request whose fields do not fit its kind (for example a hold post without a hold)."""

    code = "invalid_transfer"
    default_message = _("Die Buchung ist unvollständig oder widersprüchlich.")


class DuplicateIdInBatch(LedgerError):
    code = "duplicate_id_in_batch"
    default_message = _("Eine Buchungs-ID kommt im Stapel mehrfach vor.")


class AccountNotFound(LedgerError):
    code = "account_not_found"
    http_status = 404
    default_message = _("Das Konto existiert nicht.")


class AccountClosed(LedgerError):
    code = "account_closed"
    http_status = 409
    default_message = _("Das Konto ist geschlossen.")


class ExceedsCredits(LedgerError):
    """A debit would take a `debits_must_not_exceed_credits` account (a wallet) below zero,
    counting its pending holds."""

    code = "exceeds_credits"
    http_status = 409
    default_message = _("Das Guthaben reicht nicht aus.")


class ExceedsDebits(LedgerError):
    code = "exceeds_debits"
    http_status = 409
    default_message = _("Die Gutschrift überschreitet die Belastungen des Kontos.")


class HoldNotFound(LedgerError):
    code = "pending_transfer_not_found"
    http_status = 404
    default_message = _("Die Reservierung existiert nicht.")


class HoldAlreadyPosted(LedgerError):
    code = "pending_transfer_already_posted"
    http_status = 409
    default_message = _("Die Reservierung wurde bereits gebucht.")


class HoldAlreadyVoided(LedgerError):
    code = "pending_transfer_already_voided"
    http_status = 409
    default_message = _("Die Reservierung wurde bereits aufgehoben.")


class HoldExpired(LedgerError):
    code = "pending_transfer_expired"
    http_status = 409
    default_message = _("Die Reservierung ist abgelaufen.")


class ExceedsHeldAmount(LedgerError):
    code = "exceeds_pending_transfer_amount"
    http_status = 409
    default_message = _("Es kann höchstens der reservierte Betrag gebucht werden.")


class HoldMismatch(LedgerError):
    """A post or void names accounts or a currency other than the hold's."""

    code = "pending_transfer_mismatch"
    default_message = _("Konten oder Währung passen nicht zur Reservierung.")


class IdConflict(LedgerError):
    """The id was used before with other content: a new attempt needs a new id."""

    code = "id_conflict"
    http_status = 409
    default_message = _("Diese Buchungs-ID wurde bereits mit anderem Inhalt verwendet.")


class IdAlreadyFailed(LedgerError):
    """TigerBeetle's `id_already_failed`: a retry never gets a different outcome."""

    code = "id_already_failed"
    http_status = 409
    default_message = _(
        "Diese Buchungs-ID ist bereits fehlgeschlagen; ein neuer Versuch braucht eine neue ID."
    )


class LedgerBusy(LedgerError):
    """Serialization failures or deadlocks persisted through every internal retry."""

    code = "ledger_busy"
    http_status = 503
    default_message = _("Das Hauptbuch ist gerade ausgelastet; bitte erneut versuchen.")


# Failures that depend on the ledger's state at the time. Their ids are remembered, so
# a retry with the same id keeps failing (TigerBeetle 0.16.4, PR #2335). Errors that
# follow from the request alone (amount, currencies of the request) fail the same way on
# every retry anyway and are not stored.
REMEMBERED_FAILURES: tuple[type[LedgerError], ...] = (
    AccountNotFound,
    AccountClosed,
    CurrencyMismatch,
    ExceedsCredits,
    ExceedsDebits,
    HoldNotFound,
    HoldAlreadyPosted,
    HoldAlreadyVoided,
    HoldExpired,
    ExceedsHeldAmount,
    HoldMismatch,
)
