from django.utils.translation import gettext_lazy as _

from sprechzeit.core.errors import DomainError


class PartnersError(DomainError):
    code = "partners_error"


class ApplicationRateLimited(PartnersError):
    code = "application_rate_limited"
    http_status = 429
    default_message = _("Zu viele Bewerbungen von dieser Adresse. Bitte versuchen Sie es später.")


class ApplicationInvalid(PartnersError):
    code = "application_invalid"
    default_message = _("Die Bewerbung ist unvollständig oder zu lang.")


class ApplicationDecided(PartnersError):
    code = "application_decided"
    http_status = 409
    default_message = _("Über diese Bewerbung ist schon entschieden.")


class PartnerEmailTaken(PartnersError):
    code = "partner_email_taken"
    http_status = 409
    default_message = _(
        "Unter dieser E-Mail-Adresse gibt es schon ein Beraterkonto. Bitte das Profil "
        "für diese Plattform in der Verwaltung des Beraters anlegen."
    )


class PartnerInvitationInvalid(PartnersError):
    code = "partner_invitation_invalid"
    default_message = _(
        "Dieser Einladungslink ist ungültig, abgelaufen oder wurde schon benutzt. "
        "Bitte schreiben Sie uns über das Kontaktformular."
    )


class PasswordRefused(PartnersError):
    code = "password_refused"
    default_message = _("Dieses Passwort ist nicht sicher genug.")


class TermsMissing(PartnersError):
    code = "partner_terms_missing"
    default_message = _("Bitte stimmen Sie den Beraterbedingungen und dem Gutschriftsverfahren zu.")


class RevisionDecided(PartnersError):
    code = "revision_decided"
    http_status = 409
    default_message = _("Diese Profiländerung ist schon entschieden.")


class ReasonMissing(PartnersError):
    code = "reason_missing"
    default_message = _("Bitte geben Sie eine Begründung an.")


class AdjustmentInvalid(PartnersError):
    code = "adjustment_invalid"
    default_message = _(
        "Ein Bonus ist positiv, eine Vertragsstrafe negativ, keine Anpassung ist null."
    )


class SecondApproverRequired(PartnersError):
    code = "second_approver_required"
    http_status = 403
    default_message = _("Eine Anpassung über dem Limit gibt eine zweite Person frei.")


class AdjustmentDecided(PartnersError):
    code = "adjustment_decided"
    http_status = 409
    default_message = _("Über diese Anpassung ist schon entschieden.")


class PayoutRunAlreadySent(PartnersError):
    code = "payout_run_already_sent"
    http_status = 409
    default_message = _("Dieser Auszahlungslauf ist schon als übergeben markiert.")
