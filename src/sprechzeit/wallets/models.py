"""Wallet settings per platform and per client. Balances are never stored here: they
live on the ledger (a paid account, a bonus account and a receivable per client)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from sprechzeit.accounts.models import ClientAccount
from sprechzeit.platforms.models import Platform


class WalletSettings(models.Model):
    """Per platform: welcome credit and responsible-spending defaults."""

    class WelcomeOn(models.TextChoices):
        REGISTRATION = "registration", _("nach Bestätigung der E-Mail-Adresse")
        FIRST_TOPUP = "first_topup", _("bei der ersten bestätigten Aufladung")

    platform = models.OneToOneField(
        Platform, on_delete=models.CASCADE, related_name="wallet_settings"
    )
    welcome_credit_minor = models.PositiveIntegerField(
        _("Startguthaben (Cent)"), default=0, help_text=_("0: kein Startguthaben.")
    )
    welcome_credit_on = models.CharField(
        _("Startguthaben gewähren"),
        max_length=16,
        choices=WelcomeOn.choices,
        default=WelcomeOn.FIRST_TOPUP,
    )
    # Velocity limits against farming: beyond them a new client gets a normal account
    # without the welcome credit. Counted over granted credits of the last window.
    welcome_max_per_address = models.PositiveIntegerField(
        _("Startguthaben je IP-Adresse"),
        null=True,
        blank=True,
        default=3,
        help_text=_(
            "Höchstens so viele Startguthaben je IP-Adresse, von der aus registriert wurde, im "
            "Zeitfenster. Leer: keine Grenze."
        ),
    )
    welcome_max_per_domain = models.PositiveIntegerField(
        _("Startguthaben je E-Mail-Domain"),
        null=True,
        blank=True,
        default=10,
        help_text=_(
            "Höchstens so viele Startguthaben je E-Mail-Domain im Zeitfenster; große "
            "Freemail-Anbieter zählen nicht. Leer: keine Grenze."
        ),
    )
    welcome_window_hours = models.PositiveIntegerField(
        _("Zeitfenster der Startguthaben-Grenzen (Stunden)"), default=24
    )
    default_deposit_limit_minor = models.PositiveIntegerField(
        _("Standard-Einzahlungslimit pro Monat (Cent)"),
        null=True,
        blank=True,
        help_text=_("Leer: kein Standardlimit."),
    )
    limit_raise_cooling_hours = models.PositiveIntegerField(
        _("Wartezeit für höhere Limits (Stunden)"), default=7 * 24
    )

    class Meta:
        verbose_name = _("Guthaben-Einstellungen")
        verbose_name_plural = _("Guthaben-Einstellungen")

    def __str__(self) -> str:
        return str(self.platform)


class WalletState(models.Model):
    """Per client: blocking, deposit limit and self-exclusion. One row per client
    account, created with the wallet (`wallet_for`)."""

    client_account = models.OneToOneField(
        ClientAccount, on_delete=models.PROTECT, related_name="wallet_state"
    )
    blocked_at = models.DateTimeField(_("gesperrt seit"), null=True, blank=True)
    blocked_reason = models.CharField(_("Sperrgrund"), max_length=200, blank=True, default="")
    deposit_limit_minor = models.PositiveIntegerField(
        _("Einzahlungslimit pro Monat (Cent)"), null=True, blank=True
    )
    # A raised (or removed) limit waits for the cooling-off period; lowering is immediate.
    pending_limit_minor = models.PositiveIntegerField(null=True, blank=True)
    pending_limit_from = models.DateTimeField(null=True, blank=True)
    excluded_until = models.DateTimeField(_("selbst gesperrt bis"), null=True, blank=True)
    trusted_at = models.DateTimeField(_("vertrauenswürdig seit"), null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("Kundenguthaben-Status")
        verbose_name_plural = _("Kundenguthaben-Status")
        indexes = [
            models.Index(
                fields=["blocked_at"],
                condition=Q(blocked_at__isnull=False),
                name="walletstate_blocked",
            )
        ]

    def __str__(self) -> str:
        return str(self.client_account)


class WelcomeCreditGrant(models.Model):
    """One welcome credit per person and platform: by normalised e-mail and, where a
    payment gave one, by payment fingerprint (card or IBAN)."""

    platform = models.ForeignKey(Platform, on_delete=models.PROTECT, related_name="+")
    client_account = models.OneToOneField(
        ClientAccount, on_delete=models.PROTECT, related_name="welcome_credit"
    )
    email = models.CharField(_("E-Mail (normalisiert)"), max_length=254)
    fingerprint = models.CharField(_("Zahlungsmerkmal"), max_length=128, blank=True, default="")
    # What the velocity limits count by: the sign-up address (keyed hash) and the domain.
    address_hash = models.CharField(max_length=64, blank=True, default="")
    email_domain = models.CharField(max_length=254, blank=True, default="")
    amount_minor = models.PositiveIntegerField(_("Betrag (Cent)"))
    currency = models.CharField(max_length=3)
    transfer_id = models.UUIDField()
    granted_at = models.DateTimeField()

    class Meta:
        verbose_name = _("Startguthaben")
        verbose_name_plural = _("Startguthaben")
        indexes = [
            models.Index(
                fields=["platform", "address_hash", "granted_at"], name="welcome_by_address"
            ),
            models.Index(
                fields=["platform", "email_domain", "granted_at"], name="welcome_by_domain"
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["platform", "email"], name="welcome_once_per_email"),
            models.UniqueConstraint(
                fields=["platform", "fingerprint"],
                condition=~Q(fingerprint=""),
                name="welcome_once_per_fingerprint",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} {self.amount_minor}"
