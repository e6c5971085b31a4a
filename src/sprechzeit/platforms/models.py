"""Platforms are the tenants: each has its brand, its host names, its issuing legal
entity and its commercial limits. Everything a client sees belongs to one platform."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from sprechzeit.core.images import ReencodedImageField
from sprechzeit.core.money import EUR, Money

hex_colour = RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Eine Farbe im Format #RRGGBB."))


class StatementPeriod(models.TextChoices):
    """How often an operator closes its partners' credit notes. Every period lies inside
    one VAT return period (month or quarter), so a credit note never straddles two
    advance returns; a week would (and a year-end week even two years)."""

    MONTHLY = "monthly", _("monatlich")
    QUARTERLY = "quarterly", _("vierteljährlich")
    HALF_MONTHLY = "half_monthly", _("halbmonatlich (1.–15. und 16.–Monatsende)")


class LegalEntity(models.Model):
    """The operator company that issues a platform's documents (Impressum, credit notes).

    Several platforms may share one entity; document numbers run per entity and year.
    """

    name = models.CharField(_("Firma"), max_length=200)
    street = models.CharField(_("Straße und Hausnummer"), max_length=200)
    postal_code = models.CharField(_("PLZ"), max_length=20)
    city = models.CharField(_("Ort"), max_length=100)
    country = models.CharField(_("Land (ISO)"), max_length=2, default="DE")
    vat_id = models.CharField(_("USt-IdNr."), max_length=20, blank=True)
    tax_number = models.CharField(_("Steuernummer"), max_length=30, blank=True)
    register_entry = models.CharField(_("Registereintrag"), max_length=200, blank=True)
    managing_directors = models.CharField(_("Geschäftsführung"), max_length=200, blank=True)
    email = models.EmailField(_("E-Mail"))
    phone = models.CharField(_("Telefon"), max_length=50, blank=True)
    iban = models.CharField(_("IBAN für Überweisungen"), max_length=34, blank=True)
    bic = models.CharField(_("BIC"), max_length=11, blank=True)
    # The DATEV export (sprechzeit.accounting, docs/accounting.md): the numbers the tax
    # adviser gives, the chart of accounts and the first month of the fiscal year.
    datev_consultant_number = models.PositiveIntegerField(
        _("DATEV-Beraternummer"), null=True, blank=True
    )
    datev_client_number = models.PositiveIntegerField(
        _("DATEV-Mandantennummer"), null=True, blank=True
    )
    chart_of_accounts = models.CharField(
        _("Kontenrahmen"),
        max_length=5,
        choices=[("SKR03", "SKR 03"), ("SKR04", "SKR 04")],
        default="SKR03",
    )
    fiscal_year_start_month = models.PositiveSmallIntegerField(
        _("Beginn des Wirtschaftsjahres (Monat)"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(12)],
    )
    statement_period = models.CharField(
        _("Abrechnungszeitraum der Gutschriften"),
        max_length=16,
        choices=StatementPeriod.choices,
        default=StatementPeriod.MONTHLY,
        help_text=_(
            "Gilt ab dem nächsten Abschluss. Ein Zeitraum, der sich mit einem bereits "
            "abgerechneten überschneidet, wird beim Abschluss abgelehnt: nur an einer "
            "Zeitraumgrenze umstellen (zum Beispiel zum Quartalsbeginn)."
        ),
    )

    class Meta:
        verbose_name = _("Rechtsträger")
        verbose_name_plural = _("Rechtsträger")
        constraints = [
            models.CheckConstraint(
                condition=Q(statement_period__in=["monthly", "quarterly", "half_monthly"]),
                name="legalentity_statement_period_known",
            )
        ]

    def __str__(self) -> str:
        return self.name


class Platform(models.Model):
    name = models.CharField(_("Name"), max_length=100)
    slug = models.SlugField(
        _("Kürzel"),
        unique=True,
        help_text=_("Wählt in der Entwicklung die Plattform unter <kürzel>.localhost."),
    )
    tagline = models.CharField(_("Slogan"), max_length=200, blank=True)
    description = models.TextField(_("Beschreibung"), blank=True)
    logo = ReencodedImageField(_("Logo"), upload_to="platforms/logos/", blank=True, max_side=512)
    color_primary = models.CharField(
        _("Hauptfarbe"), max_length=7, default="#1f4e79", validators=[hex_colour]
    )
    color_accent = models.CharField(
        _("Akzentfarbe"), max_length=7, default="#e07a1f", validators=[hex_colour]
    )
    default_locale = models.CharField(
        _("Standardsprache"),
        max_length=5,
        choices=[("de", "Deutsch"), ("en", "English")],
        default="de",
    )
    currency = models.CharField(_("Währung"), max_length=3, default=EUR, editable=False)
    vat_rate = models.DecimalField(
        _("Umsatzsteuersatz (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("19.00"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    legal_entity = models.ForeignKey(
        LegalEntity,
        on_delete=models.PROTECT,
        related_name="platforms",
        verbose_name=_("Rechtsträger"),
    )
    contact_email = models.EmailField(_("Kontakt-E-Mail"))
    rate_min_minor = models.PositiveIntegerField(_("Mindestpreis pro Minute (Cent)"), default=99)
    rate_max_minor = models.PositiveIntegerField(_("Höchstpreis pro Minute (Cent)"), default=499)
    default_revenue_share = models.DecimalField(
        _("Standard-Anteil der Berater (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("50.00"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        help_text=_(
            "Anteil am Nettoumsatz, den Berater erhalten, sofern das Profil nichts anderes festlegt."
        ),
    )
    bonus_partner_share = models.DecimalField(
        _("Berateranteil bei Bonusguthaben (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("100.00"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        help_text=_(
            "Welcher Teil seines normalen Anteils dem Berater für Minuten gezahlt wird, die "
            "mit Bonusguthaben (etwa Startguthaben) bezahlt sind. 100 %: wie bezahlte "
            "Minuten; weniger: die Differenz bleibt beim Betreiber, der den Bonus trägt."
        ),
    )
    is_active = models.BooleanField(_("aktiv"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("Plattform")
        verbose_name_plural = _("Plattformen")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(rate_min_minor__gt=0) & Q(rate_min_minor__lte=F("rate_max_minor")),
                name="platform_rate_limits_ordered",
                violation_error_message=_(
                    "Der Mindestpreis muss größer als 0 und höchstens so hoch wie der Höchstpreis sein."
                ),
            ),
            models.CheckConstraint(
                condition=Q(vat_rate__gte=0) & Q(vat_rate__lte=100),
                name="platform_vat_rate_percent",
            ),
            models.CheckConstraint(
                condition=Q(default_revenue_share__gte=0) & Q(default_revenue_share__lte=100),
                name="platform_revenue_share_percent",
            ),
            models.CheckConstraint(
                condition=Q(bonus_partner_share__gte=0) & Q(bonus_partner_share__lte=100),
                name="platform_bonus_partner_share_percent",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def rate_min(self) -> Money:
        return Money(self.rate_min_minor, self.currency)

    @property
    def rate_max(self) -> Money:
        return Money(self.rate_max_minor, self.currency)


class PlatformDomain(models.Model):
    """A host name that serves one platform (without port, lower case)."""

    platform = models.ForeignKey(Platform, on_delete=models.CASCADE, related_name="domains")
    host = models.CharField(_("Hostname"), max_length=253, unique=True)
    is_primary = models.BooleanField(_("Hauptadresse"), default=False)

    class Meta:
        verbose_name = _("Hostname")
        verbose_name_plural = _("Hostnamen")
        constraints = [
            models.CheckConstraint(
                condition=Q(host=models.functions.Lower("host")),
                name="platformdomain_host_lowercase",
            ),
            models.UniqueConstraint(
                fields=["platform"], condition=Q(is_primary=True), name="platformdomain_one_primary"
            ),
        ]

    def __str__(self) -> str:
        return self.host


class ContactMessage(models.Model):
    """A message sent through a platform's contact form (the legal notice's contact path)."""

    platform = models.ForeignKey(
        Platform, on_delete=models.PROTECT, related_name="contact_messages"
    )
    email = models.EmailField(_("E-Mail"))
    subject = models.CharField(_("Betreff"), max_length=200)
    message = models.TextField(_("Nachricht"), max_length=5000)
    ip_hash = models.CharField(max_length=64, blank=True, editable=False)
    created_at = models.DateTimeField(_("eingegangen am"), auto_now_add=True)
    handled = models.BooleanField(_("erledigt"), default=False)

    class Meta:
        verbose_name = _("Kontaktanfrage")
        verbose_name_plural = _("Kontaktanfragen")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.subject
