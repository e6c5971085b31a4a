"""What the support desk's actions refuse: typed, coded; nothing is changed when raised."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from sprechzeit.core.errors import DomainError


class SupportError(DomainError):
    code = "support_error"
    default_message = _("Die Aktion ist nicht möglich.")


class NotAllowedForRole(SupportError):
    code = "support_not_allowed"
    http_status = 403
    default_message = _("Ihre Rolle erlaubt diese Aktion nicht.")


class ReplyEmpty(SupportError):
    code = "contact_reply_empty"
    default_message = _("Die Antwort ist leer.")


class ReportNotAllowed(SupportError):
    code = "rating_report_not_allowed"
    http_status = 403
    default_message = _("Diese Bewertung können Sie nicht melden.")


class ReportExists(SupportError):
    code = "rating_report_exists"
    http_status = 409
    default_message = _("Sie haben diese Bewertung bereits gemeldet.")


class GoodwillInvalid(SupportError):
    code = "goodwill_invalid"
    default_message = _("Eine Kulanzgutschrift braucht einen positiven Betrag und eine Begründung.")


class GoodwillOverLimit(SupportError):
    code = "goodwill_over_limit"
    http_status = 403
    default_message = _("Der Betrag übersteigt Ihr Freigabelimit.")


class GoodwillSameApprover(SupportError):
    code = "goodwill_same_approver"
    http_status = 403
    default_message = _("Eine Kulanzgutschrift muss von einer anderen Person freigegeben werden.")


class GoodwillDecided(SupportError):
    code = "goodwill_decided"
    http_status = 409
    default_message = _("Über diese Kulanzgutschrift ist bereits entschieden.")


class ExclusionNotLonger(SupportError):
    code = "exclusion_not_longer"
    default_message = _("Eine Sperre kann nur verlängert, nicht verkürzt werden.")


class ReasonRequired(SupportError):
    code = "reason_required"
    default_message = _("Bitte geben Sie einen Grund an.")


class AlreadyBlocked(SupportError):
    code = "client_already_blocked"
    http_status = 409
    default_message = _("Das Konto ist bereits gesperrt.")
