"""What can go wrong with disputes, refunds, dunning and instalments: typed, coded;
nothing is booked when raised."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from sprechzeit.core.errors import DomainError


class CollectionsError(DomainError):
    code = "collections_error"
    default_message = _("Die Aktion ist nicht möglich.")


class DisputeDecided(CollectionsError):
    code = "dispute_decided"
    http_status = 409
    default_message = _("Über diese Rückbuchung ist bereits entschieden.")


class OutcomeUnknown(CollectionsError):
    code = "outcome_unknown"
    default_message = _("Bitte wählen Sie gewonnen, verloren oder akzeptiert.")


class EvidenceRefused(CollectionsError):
    code = "evidence_refused"
    default_message = _(
        "Bitte einen Beleg als PDF (höchstens 10 MB, 50 Seiten) oder als Bild (JPEG, PNG, WebP) hochladen."
    )


class NoteEmpty(CollectionsError):
    code = "note_empty"
    default_message = _("Bitte schreiben Sie eine Notiz.")


class RefundDecided(CollectionsError):
    code = "refund_decided"
    http_status = 409
    default_message = _("Über diesen Antrag ist bereits entschieden.")


class RefundAmountInvalid(CollectionsError):
    code = "refund_amount_invalid"
    default_message = _(
        "Der Betrag muss größer als null sein und darf den beantragten nicht übersteigen."
    )


class FourEyesRequired(CollectionsError):
    code = "four_eyes_required"
    http_status = 403
    default_message = _(
        "Diese Erstattung haben Sie selbst freigegeben: Eine zweite Person mit der Rolle Risiko muss sie bestätigen."
    )


class RiskRoleRequired(CollectionsError):
    code = "risk_role_required"
    http_status = 403
    default_message = _("Nur Mitarbeitende mit der Rolle Risiko dürfen Erstattungen freigeben.")


class ReasonRequired(CollectionsError):
    code = "reason_required"
    default_message = _("Bitte geben Sie einen Grund an.")


class DunningMisconfigured(CollectionsError):
    """A platform's dunning plan cannot be followed: the run stops before it sends or
    books anything."""

    code = "dunning_misconfigured"
    http_status = 503
    default_message = _("Der Mahnplan ist fehlerhaft eingerichtet.")


class CaseClosed(CollectionsError):
    code = "case_closed"
    http_status = 409
    default_message = _("Dieser Mahnfall ist abgeschlossen.")


class InstalmentPlanInvalid(CollectionsError):
    code = "instalment_plan_invalid"
    default_message = _(
        "Ein Ratenplan hat 2 bis 12 Raten im Abstand von 7 bis 62 Tagen, die erste frühestens heute."
    )


class InstalmentPlanExists(CollectionsError):
    code = "instalment_plan_exists"
    http_status = 409
    default_message = _(
        "Für diesen Mahnfall gibt es schon einen laufenden oder angebotenen Ratenplan."
    )


class NothingOwed(CollectionsError):
    code = "nothing_owed"
    http_status = 409
    default_message = _("Der Kunde schuldet nichts.")


class EntryNotOpen(CollectionsError):
    code = "entry_not_open"
    http_status = 409
    default_message = _("Dieser Eintrag wartet nicht mehr auf Bearbeitung.")
