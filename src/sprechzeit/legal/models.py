"""A platform's legal texts (AGB, Datenschutz, Widerrufsbelehrung) as versioned,
immutable documents, and who consented to which version when.

A new version is a new row (`services.legal_document_issue`); the database refuses to
change an issued one (migration 0002's trigger), so a consent always points at the
exact text the person saw.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from sprechzeit.platforms.models import Platform


class LegalDocument(models.Model):
    class Kind(models.TextChoices):
        TERMS = "terms", _("AGB")
        PRIVACY = "privacy", _("Datenschutzerklärung")
        WITHDRAWAL = "withdrawal", _("Widerrufsbelehrung")
        # For partners (onboarding, `partners.services.onboarding_terms_accept`).
        PARTNER_TERMS = "partner_terms", _("Beraterbedingungen")
        SELF_BILLING = "self_billing", _("Vereinbarung über das Gutschriftsverfahren")

    platform = models.ForeignKey(
        Platform,
        on_delete=models.PROTECT,
        related_name="legal_documents",
        verbose_name=_("Plattform"),
    )
    kind = models.CharField(_("Art"), max_length=16, choices=Kind.choices)
    version = models.PositiveIntegerField(_("Version"))
    title_de = models.CharField(_("Titel (Deutsch)"), max_length=200)
    title_en = models.CharField(_("Titel (Englisch)"), max_length=200, blank=True)
    text_de = models.TextField(
        _("Text (Deutsch)"),
        help_text=_("Absätze durch Leerzeilen trennen; eine Zeile mit „## “ ist eine Überschrift."),
    )
    text_en = models.TextField(
        _("Text (Englisch)"),
        blank=True,
        help_text=_("Leer: die englische Seite zeigt den deutschen Text."),
    )
    valid_from = models.DateTimeField(_("gültig ab"))
    created_at = models.DateTimeField(_("angelegt am"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("angelegt von"),
    )

    class Meta:
        verbose_name = _("Rechtstext")
        verbose_name_plural = _("Rechtstexte")
        ordering = ["platform", "kind", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "kind", "version"], name="legaldocument_version_unique"
            ),
            models.CheckConstraint(
                condition=Q(
                    kind__in=["terms", "privacy", "withdrawal", "partner_terms", "self_billing"]
                ),
                name="legaldocument_kind_known",
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="legaldocument_version_pos"),
        ]

    def __str__(self) -> str:
        return f"{self.platform} · {self.get_kind_display()} v{self.version}"

    def title_in(self, language: str) -> str:
        return self.title_en if language == "en" and self.title_en else self.title_de

    def text_in(self, language: str) -> str:
        return self.text_en if language == "en" and self.text_en else self.text_de


class Consent(models.Model):
    """One person's consent to one document version, with the moment and the address."""

    class Purpose(models.TextChoices):
        SIGNUP = "signup", _("Registrierung")
        # § 356 Abs. 4/5 BGB: start at once, right of withdrawal lapses with the service.
        WITHDRAWAL_WAIVER = "withdrawal_waiver", _("Sofortiger Beginn, Widerrufsrecht erlischt")
        # A partner's onboarding: the partner terms and the self-billing agreement
        # (§ 14 Abs. 2 Satz 2 UStG), each against the platform's version in force; the
        # platform's legal entity is the issuing entity the agreement is with.
        PARTNER_TERMS = "partner_terms", _("Beraterbedingungen")
        SELF_BILLING = "self_billing", _("Gutschriftsverfahren")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="consents",
        verbose_name=pgettext_lazy("singular", "Benutzer"),
    )
    document = models.ForeignKey(
        LegalDocument,
        on_delete=models.PROTECT,
        related_name="consents",
        verbose_name=_("Dokumentversion"),
    )
    purpose = models.CharField(_("Zweck"), max_length=20, choices=Purpose.choices)
    at = models.DateTimeField(_("Zeitpunkt"))
    ip = models.GenericIPAddressField(_("IP-Adresse"), null=True, blank=True)

    class Meta:
        verbose_name = _("Einwilligung")
        verbose_name_plural = _("Einwilligungen")
        ordering = ["-at"]
        indexes = [models.Index(fields=["user", "purpose"], name="consent_user_purpose")]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    purpose__in=["signup", "withdrawal_waiver", "partner_terms", "self_billing"]
                ),
                name="consent_purpose_known",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.document} ({self.at:%Y-%m-%d %H:%M})"
