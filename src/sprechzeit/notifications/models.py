"""Every mail Sprechzeit sends, as a row: who, which template, in which language, its
state; the idempotency key makes an event send its mail once."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from sprechzeit.platforms.models import Platform


class OutboundMail(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("wartet")
        SENT = "sent", _("gesendet")
        FAILED = "failed", _("fehlgeschlagen")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    platform = models.ForeignKey(
        Platform,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("Plattform"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("Empfänger (Konto)"),
    )
    to_email = models.EmailField(_("An"))
    from_email = models.CharField(_("Von"), max_length=300)
    template = models.CharField(_("Vorlage"), max_length=64)
    language = models.CharField(_("Sprache"), max_length=5)
    # One event, one mail: "payment-receipt:<id>" and so on; empty for mails a person
    # asks for again (a second password reset is a second mail).
    key = models.CharField(_("Schlüssel"), max_length=200, null=True, blank=True, unique=True)
    subject = models.CharField(_("Betreff"), max_length=300)
    # Bodies of mails that carry a log-in secret (verification, password reset) are
    # emptied once sent; the row stays as the record that the mail went out.
    body_text = models.TextField(_("Text"), blank=True)
    body_html = models.TextField(_("HTML"), blank=True)
    attachments = models.JSONField(_("Anhänge"), default=list, blank=True)
    status = models.CharField(
        _("Status"), max_length=8, choices=Status.choices, default=Status.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(_("Versuche"), default=0)
    last_error = models.CharField(_("letzter Fehler"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("angelegt"))
    sent_at = models.DateTimeField(_("gesendet"), null=True, blank=True)

    class Meta:
        verbose_name = _("E-Mail")
        verbose_name_plural = _("E-Mails")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"], name="outboundmail_status")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["queued", "sent", "failed"]),
                name="outboundmail_status_known",
            )
        ]

    def __str__(self) -> str:
        return f"{self.template} → {self.to_email}"
