"""What can go wrong with statements; each error has a stable code (core.errors)."""

from __future__ import annotations

from typing import ClassVar

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from sprechzeit.core.errors import DomainError


class StatementError(DomainError):
    code: ClassVar[str] = "statement_error"


class PeriodInvalid(StatementError):
    code: ClassVar[str] = "period_invalid"
    default_message: ClassVar[str | Promise] = _(
        "Der Zeitraum muss die Form JJJJ-MM (Monat), JJJJ-Qn (Quartal, n = 1 bis 4) oder "
        "JJJJ-MM-H1 / JJJJ-MM-H2 (erste oder zweite Monatshälfte) haben."
    )


class PeriodCadenceMismatch(StatementError):
    """No issuing entity closes periods of this kind (a quarter given for monthly ones)."""

    code: ClassVar[str] = "period_cadence_mismatch"
    default_message: ClassVar[str | Promise] = _(
        "Kein Rechtsträger rechnet in diesem Rhythmus ab; der Zeitraum passt zu keinem "
        "eingestellten Abrechnungszeitraum."
    )


class PeriodOverlaps(StatementError):
    """An entity changed its cadence mid-period: the period overlaps one already billed."""

    code: ClassVar[str] = "period_overlaps"
    http_status: ClassVar[int] = 409
    default_message: ClassVar[str | Promise] = _(
        "Der Zeitraum überschneidet sich mit bereits abgerechneten Gutschriften dieses "
        "Rechtsträgers. Den Abrechnungszeitraum nur an einer Zeitraumgrenze umstellen."
    )


class PeriodNotEnded(StatementError):
    code: ClassVar[str] = "period_not_ended"
    http_status: ClassVar[int] = 409
    default_message: ClassVar[str | Promise] = _(
        "Der Zeitraum ist noch nicht zu Ende und kann nicht abgeschlossen werden."
    )


class PeriodPastDeadline(StatementError):
    """Credit notes of the period would be issued more than six months after it."""

    code: ClassVar[str] = "period_past_deadline"
    http_status: ClassVar[int] = 409
    default_message: ClassVar[str | Promise] = _(
        "Die Frist zur Ausstellung der Gutschriften dieses Zeitraums (sechs Monate, § 14 "
        "Abs. 2 UStG) ist abgelaufen. Ausstellen nur mit ausdrücklicher Freigabe und "
        "Begründung (--late-override)."
    )


class ObjectionInvalid(StatementError):
    """Only an issued credit note of the partner's own may be objected to, once."""

    code: ClassVar[str] = "objection_invalid"
    http_status: ClassVar[int] = 409
    default_message: ClassVar[str | Promise] = _(
        "Dieser Gutschrift kann nicht (mehr) widersprochen werden."
    )


class PeriodAlreadyClosed(StatementError):
    code: ClassVar[str] = "period_already_closed"
    http_status: ClassVar[int] = 409
    default_message: ClassVar[str | Promise] = _("Dieser Zeitraum ist bereits abgeschlossen.")


class TaxProfileInvalid(StatementError):
    code: ClassVar[str] = "tax_profile_invalid"
    default_message: ClassVar[str | Promise] = _("Die Steuer- oder Bankdaten sind ungültig.")


class StatementNotIssued(StatementError):
    code: ClassVar[str] = "statement_not_issued"
    http_status: ClassVar[int] = 409
    default_message: ClassVar[str | Promise] = _("Die Gutschrift ist nicht ausgestellt.")


class DocumentInvalid(StatementError):
    """A generated e-invoice failed its schema: a bug, never issued."""

    code: ClassVar[str] = "document_invalid"
    http_status: ClassVar[int] = 422
    default_message: ClassVar[str | Promise] = _("Das erzeugte Dokument ist ungültig.")
