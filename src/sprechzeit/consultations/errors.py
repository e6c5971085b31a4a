"""What can go wrong with a consultation: typed, coded, and nothing is booked when raised."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from sprechzeit.core.errors import DomainError


class ConsultationError(DomainError):
    code = "consultation_error"
    default_message = _("Die Beratung konnte nicht ausgeführt werden.")


class InvalidTariff(ConsultationError):
    code = "invalid_tariff"
    default_message = _("Der Tarif ist ungültig.")


class TariffOutOfRange(ConsultationError):
    code = "tariff_out_of_range"
    default_message = _("Der Minutenpreis liegt außerhalb der Grenzen der Plattform.")


class InsufficientBalance(ConsultationError):
    code = "insufficient_balance"
    http_status = 409
    default_message = _("Ihr Guthaben reicht für diese Beratung nicht aus.")


class ClientBlocked(ConsultationError):
    code = "client_blocked"
    http_status = 403
    default_message = _("Ihr Konto ist gesperrt.")


class PartnerUnavailable(ConsultationError):
    code = "partner_unavailable"
    http_status = 409
    default_message = _("Der Berater ist gerade nicht erreichbar.")


class PartnerBusy(PartnerUnavailable):
    code = "partner_busy"
    default_message = _("Der Berater ist gerade in einer Beratung.")


class ConsultationAlreadyOpen(ConsultationError):
    code = "consultation_already_open"
    http_status = 409
    default_message = _("Sie haben bereits eine laufende Beratung.")


class InvalidTransition(ConsultationError):
    code = "invalid_transition"
    http_status = 409
    default_message = _("Dieser Schritt ist im aktuellen Zustand der Beratung nicht möglich.")


class NotParticipant(ConsultationError):
    code = "not_participant"
    http_status = 403
    default_message = _("Sie nehmen an dieser Beratung nicht teil.")


class WrongPlatform(ConsultationError):
    code = "wrong_platform"
    http_status = 404
    default_message = _("Diese Beratung gehört zu einer anderen Plattform.")


class ConsultationNotFound(ConsultationError):
    code = "consultation_not_found"
    http_status = 404
    default_message = _("Diese Beratung gibt es nicht.")


class RatingNotAllowed(ConsultationError):
    code = "rating_not_allowed"
    http_status = 409
    default_message = _("Diese Beratung kann (noch) nicht bewertet werden.")


class InvalidMessage(ConsultationError):
    code = "invalid_message"
    default_message = _("Die Nachricht ist leer oder zu lang.")


class PauseNotAllowed(ConsultationError):
    code = "pause_not_allowed"
    http_status = 409
    default_message = _("Der Zähler kann in dieser Beratung nicht (mehr) pausieren.")


class UnknownCall(ConsultationError):
    code = "unknown_call"
    http_status = 404
    default_message = _("Dieser Anruf ist unbekannt.")


class InvalidSignature(ConsultationError):
    code = "invalid_signature"
    default_message = _("Die Signatur der Anfrage ist ungültig.")


class SimulationRefused(ConsultationError):
    code = "simulation_refused"
    http_status = 409
    default_message = _(
        "Die Simulation bucht über die Testkasse (Sandbox), die nur im Demo- und Testmodus "
        "läuft; im Produktionsmodus würde sie nichts buchen. Bitte mit SPRECHZEIT_MODE=demo "
        "starten."
    )


class VideoNotOffered(ConsultationError):
    code = "video_not_offered"
    http_status = 409
    default_message = _("Dieses Profil bietet keine Videoberatung an.")
