from django.utils.translation import gettext_lazy as _

from sprechzeit.core.errors import DomainError


class EmailTaken(DomainError):
    code = "email_taken"
    http_status = 409
    default_message = _("Diese E-Mail-Adresse ist auf dieser Plattform bereits registriert.")


class InvalidVatId(DomainError):
    code = "invalid_vat_id"
    default_message = _("Land oder USt-IdNr. sind nicht gültig.")


class RateOutOfRange(DomainError):
    code = "rate_out_of_range"
    default_message = _("Der Preis pro Minute liegt außerhalb der Grenzen der Plattform.")


class ListingExists(DomainError):
    code = "listing_exists"
    http_status = 409
    default_message = _("Dieser Berater hat auf dieser Plattform bereits ein Profil.")


class InvalidPin(DomainError):
    code = "invalid_pin"
    default_message = _("Die PIN besteht aus 4 bis 8 Ziffern.")


class UnknownRole(DomainError):
    code = "unknown_role"
    default_message = _("Diese Rolle gibt es nicht.")


class InvalidToken(DomainError):
    code = "invalid_token"
    default_message = _("Dieser Link ist ungültig oder abgelaufen.")


class NotStaff(DomainError):
    code = "not_staff"
    default_message = _("Nur Mitarbeiter erhalten eine Einladung zur Zwei-Faktor-Anmeldung.")


class InvitationInvalid(DomainError):
    code = "invitation_invalid"
    default_message = _(
        "Dieser Einladungslink ist ungültig, abgelaufen oder wurde schon benutzt. "
        "Bitte fordern Sie eine neue Einladung an."
    )


class WrongCode(DomainError):
    code = "wrong_code"
    default_message = _(
        "Dieser Code stimmt nicht. Bitte geben Sie den aktuellen Code aus Ihrer App ein."
    )


class PartnerSuspended(DomainError):
    code = "partner_suspended"
    http_status = 409
    default_message = _(
        "Ihr Beraterkonto ist gesperrt: Sie können nicht online gehen und keine "
        "Beratungen annehmen. Bitte wenden Sie sich an den Betreiber."
    )
