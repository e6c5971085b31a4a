"""The audit trail of staff actions, and who owns which work-queue item.

`AuditEntry` is insert-only at the database level (migration 0001, the ledger's rule:
`sprechzeit.ledger.guard.insert_only_operation`): an entry, once written, can neither be
changed nor deleted. A correction is a new entry.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from sprechzeit.platforms.models import Platform


class AuditEntry(models.Model):
    """One staff action: who, when, what, on which object, before/after, why, from where."""

    at = models.DateTimeField(_("Zeitpunkt"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("durch"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # The actor's e-mail and roles at the time (the user may change or leave later).
    actor_label = models.CharField(_("Mitarbeiter"), max_length=254, blank=True, default="")
    actor_roles = models.CharField(_("Rollen"), max_length=100, blank=True, default="")
    action = models.CharField(_("Aktion"), max_length=64, db_index=True)
    target_type = models.CharField(_("Objektart"), max_length=64, blank=True, default="")
    target_id = models.CharField(_("Objekt-ID"), max_length=64, blank=True, default="")
    target_label = models.CharField(_("Objekt"), max_length=200, blank=True, default="")
    platform = models.ForeignKey(
        Platform,
        verbose_name=_("Plattform"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    before = models.JSONField(_("vorher"), null=True, blank=True)
    after = models.JSONField(_("nachher"), null=True, blank=True)
    reason = models.TextField(_("Begründung"), blank=True, default="")
    ip = models.GenericIPAddressField(_("IP-Adresse"), null=True, blank=True)

    class Meta:
        verbose_name = _("Protokolleintrag")
        verbose_name_plural = _("Protokoll")
        ordering = ("-at", "-id")
        indexes = [models.Index(fields=("target_type", "target_id"), name="audit_target")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.target_label}"


class QueueClaim(models.Model):
    """Who owns a work-queue item now (one row per item; the changes are audit entries)."""

    target_type = models.CharField(max_length=64)
    target_id = models.CharField(max_length=64)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    claimed_at = models.DateTimeField()

    class Meta:
        verbose_name = _("Zuständigkeit")
        verbose_name_plural = _("Zuständigkeiten")
        constraints = [
            models.UniqueConstraint(fields=("target_type", "target_id"), name="audit_claim_once")
        ]

    def __str__(self) -> str:
        return f"{self.target_type}:{self.target_id} → {self.owner_id}"
