"""What can go wrong with legal texts and consents: typed and coded."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from sprechzeit.core.errors import DomainError


class LegalError(DomainError):
    code = "legal_error"
    default_message = _("Der Rechtstext konnte nicht verarbeitet werden.")


class LegalDocumentMissing(LegalError):
    code = "legal_document_missing"
    http_status = 409
    default_message = _("Für diese Plattform ist der Rechtstext noch nicht hinterlegt.")


class WithdrawalWaiverMissing(LegalError):
    code = "withdrawal_waiver_missing"
    http_status = 409
    default_message = _(
        "Bitte bestätigen Sie vor Ihrer ersten Beratung, dass die Beratung sofort beginnen "
        "soll und Ihr Widerrufsrecht damit erlischt."
    )
