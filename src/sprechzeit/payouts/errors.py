"""What can go wrong with payouts."""

from __future__ import annotations

from typing import ClassVar

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from sprechzeit.core.errors import DomainError


class PayoutError(DomainError):
    code: ClassVar[str] = "payout_error"


class NothingToPay(PayoutError):
    code: ClassVar[str] = "nothing_to_pay"
    http_status: ClassVar[int] = 409
    default_message: ClassVar[str | Promise] = _("Es gibt nichts auszuzahlen.")


class DebtorAccountMissing(PayoutError):
    code: ClassVar[str] = "debtor_account_missing"
    http_status: ClassVar[int] = 409
    default_message: ClassVar[str | Promise] = _(
        "Der Rechtsträger hat keine IBAN für Auszahlungen hinterlegt."
    )


class SepaFileInvalid(PayoutError):
    code: ClassVar[str] = "sepa_file_invalid"
    http_status: ClassVar[int] = 422
    default_message: ClassVar[str | Promise] = _("Die SEPA-Datei ist ungültig.")


class BankStatementInvalid(PayoutError):
    code: ClassVar[str] = "bank_statement_invalid"
    default_message: ClassVar[str | Promise] = _("Der Kontoauszug ist nicht lesbar.")


class BankAccountUnknown(PayoutError):
    code: ClassVar[str] = "bank_account_unknown"
    default_message: ClassVar[str | Promise] = _(
        "Der Kontoauszug nennt kein Konto, das genau einer Banküberweisungs-Konfiguration "
        "gehört (IBAN des Rechtsträgers); bitte das Konto auswählen."
    )


class BankAccountMismatch(PayoutError):
    code: ClassVar[str] = "bank_account_mismatch"
    default_message: ClassVar[str | Promise] = _(
        "Der Kontoauszug gehört zu einem anderen Konto als dem ausgewählten."
    )
