"""People: one User model (log in by e-mail) for clients, partners and staff.

A client's user belongs to exactly one platform: the same e-mail may hold separate
client accounts on two platforms. Partners and staff have no platform: one login each.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from sprechzeit.accounts.vat_place import ClientVatCase
from sprechzeit.core.images import ReencodedImageField
from sprechzeit.core.money import Money
from sprechzeit.platforms.models import Platform


class UserManager(BaseUserManager["User"]):
    def create_user(self, email: str, password: str | None = None, **fields: Any) -> User:
        """Low-level creation; the services in accounts.services check tenancy and roles."""
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields: Any) -> User:
        fields.update(kind=User.Kind.STAFF, is_staff=True, is_superuser=True)
        return self.create_user(email, password, **fields)

    def get_by_natural_key(self, username: str | None) -> User:
        # Only logins without a platform (partners, staff) are addressed by e-mail alone.
        return self.get(email__iexact=username, platform__isnull=True)


class User(AbstractBaseUser, PermissionsMixin):
    class Kind(models.TextChoices):
        CLIENT = "client", _("Klient")
        PARTNER = "partner", pgettext_lazy("singular", "Berater")
        STAFF = "staff", _("Mitarbeiter")

    email = models.EmailField(_("E-Mail"), max_length=254)
    kind = models.CharField(_("Art"), max_length=10, choices=Kind.choices)
    platform = models.ForeignKey(
        Platform,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
        verbose_name=_("Plattform"),
        help_text=_("Nur bei Klienten: die Plattform, zu der das Konto gehört."),
    )
    first_name = models.CharField(_("Vorname"), max_length=100, blank=True)
    last_name = models.CharField(_("Nachname"), max_length=100, blank=True)
    language = models.CharField(
        _("Sprache"), max_length=5, choices=[("de", "Deutsch"), ("en", "English")], default="de"
    )
    is_active = models.BooleanField(_("aktiv"), default=True)
    is_staff = models.BooleanField(_("Zugang zur Verwaltung"), default=False)
    email_verified_at = models.DateTimeField(_("E-Mail bestätigt am"), null=True, blank=True)
    date_joined = models.DateTimeField(_("registriert am"), default=timezone.now)

    objects: ClassVar[UserManager] = UserManager()

    # E-mail is unique per platform (clients) and among platform-less logins (partners,
    # staff), enforced by the constraints below and authenticated by PlatformEmailBackend.
    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        verbose_name = pgettext_lazy("singular", "Benutzer")
        verbose_name_plural = pgettext_lazy("plural", "Benutzer")
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                "platform",
                name="user_email_unique_per_platform",
                condition=Q(platform__isnull=False),
                violation_error_message=_(
                    "Diese E-Mail-Adresse ist auf dieser Plattform bereits registriert."
                ),
            ),
            models.UniqueConstraint(
                Lower("email"),
                name="user_email_unique_without_platform",
                condition=Q(platform__isnull=True),
                violation_error_message=_("Diese E-Mail-Adresse ist bereits registriert."),
            ),
            models.CheckConstraint(
                condition=(Q(kind="client") & Q(platform__isnull=False))
                | (~Q(kind="client") & Q(platform__isnull=True)),
                name="user_platform_iff_client",
                violation_error_message=_(
                    "Klienten gehören zu genau einer Plattform, Berater und Mitarbeiter zu keiner."
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.email if self.platform_id is None else f"{self.email} ({self.platform_id})"

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip() or self.email

    def get_short_name(self) -> str:
        return self.first_name or self.email


class ClientAccount(models.Model):
    """A client's account on their platform: customer number and the phone PIN."""

    user = models.OneToOneField(User, on_delete=models.PROTECT, related_name="client_account")
    platform = models.ForeignKey(Platform, on_delete=models.PROTECT, related_name="client_accounts")
    customer_number = models.CharField(_("Kundennummer"), max_length=20)
    # The PIN for phone consultations, hashed like a password; never stored in clear.
    phone_pin_hash = models.CharField(_("Telefon-PIN (Hash)"), max_length=128, blank=True)
    phone_number = models.CharField(
        _("Telefonnummer (Anruferkennung)"),
        max_length=32,
        blank=True,
        help_text=_("E.164, zum Beispiel +4930123456; erkennt Anrufe ohne PIN-Eingabe."),
    )
    # Set when too many wrong PINs were entered on the phone (accounts/phone_pin.py).
    phone_pin_locked_at = models.DateTimeField(
        _("Telefonzugang gesperrt seit"), null=True, blank=True
    )
    # A keyed hash of the client address the account was registered from (core/net.py):
    # the welcome credit's velocity limit counts grants per address with it.
    signup_address_hash = models.CharField(max_length=64, blank=True, default="", editable=False)
    # Where the client lives and, for a business, its VAT ID, as declared (sign-up,
    # account page): they decide the VAT of its consultations (accounts/vat_place.py).
    # `vat_case` is the case in force: set at sign-up, then again at each top-up, so a
    # change of country applies from the next top-up.
    country = models.CharField(_("Land (ISO)"), max_length=2, default="DE")
    vat_id = models.CharField(_("USt-IdNr. (Unternehmen)"), max_length=20, blank=True)
    vat_case = models.CharField(
        _("Umsatzsteuerfall"), max_length=20, choices=ClientVatCase.choices, default="de"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("Klientenkonto")
        verbose_name_plural = _("Klientenkonten")
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "customer_number"], name="client_customer_number_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.customer_number


class PhonePinEvent(models.Model):
    """One PIN entry on the phone (with its outcome) or an unlock: what the PIN lock
    counts, and what support sees (accounts/phone_pin.py)."""

    class Kind(models.TextChoices):
        OK = "ok", _("richtige PIN")
        WRONG = "wrong", _("falsche PIN")
        REFUSED = "refused", _("abgewiesen (gesperrt)")
        UNLOCKED = "unlocked", _("entsperrt")

    client_account = models.ForeignKey(
        ClientAccount, on_delete=models.CASCADE, related_name="phone_pin_events"
    )
    kind = models.CharField(_("Art"), max_length=10, choices=Kind.choices)
    at = models.DateTimeField(_("Zeitpunkt"))
    call_ref = models.CharField(_("Anruf"), max_length=64, blank=True, default="")
    by = models.CharField(_("durch"), max_length=100, blank=True, default="")

    class Meta:
        verbose_name = _("PIN-Eingabe")
        verbose_name_plural = _("PIN-Eingaben")
        indexes = [models.Index(fields=["client_account", "at"], name="phonepinevent_account_at")]

    def __str__(self) -> str:
        return f"{self.client_account} {self.kind} {self.at:%Y-%m-%d %H:%M}"


class Partner(models.Model):
    """One person who consults, with one login and one listing per platform."""

    user = models.OneToOneField(User, on_delete=models.PROTECT, related_name="partner")
    # Calls are connected to this number on every platform, so it lives here, not per listing.
    phone_number = models.CharField(_("Telefonnummer"), max_length=32, blank=True)
    is_vetted = models.BooleanField(_("geprüft"), default=False)
    # Suspended by staff (partners.services.partner_suspend): cannot go online or take
    # consultations, and the listings are hidden, until reactivated.
    suspended_at = models.DateTimeField(_("gesperrt seit"), null=True, blank=True)
    suspended_reason = models.CharField(_("Grund der Sperre"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = pgettext_lazy("singular", "Berater")
        verbose_name_plural = pgettext_lazy("plural", "Berater")

    def __str__(self) -> str:
        return self.user.get_full_name()


class Category(models.Model):
    platform = models.ForeignKey(Platform, on_delete=models.CASCADE, related_name="categories")
    name = models.CharField(_("Name"), max_length=100)
    slug = models.SlugField(_("Kürzel"))

    class Meta:
        verbose_name = _("Kategorie")
        verbose_name_plural = _("Kategorien")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["platform", "slug"], name="category_slug_unique")
        ]

    def __str__(self) -> str:
        return self.name


class Listing(models.Model):
    """A partner's presence on one platform, with its own name, text and price."""

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="listings")
    platform = models.ForeignKey(Platform, on_delete=models.PROTECT, related_name="listings")
    display_name = models.CharField(_("Anzeigename"), max_length=100)
    slug = models.SlugField(_("Kürzel"))
    headline = models.CharField(_("Kurzvorstellung"), max_length=200, blank=True)
    description = models.TextField(_("Beschreibung"), blank=True)
    categories = models.ManyToManyField(
        Category, blank=True, related_name="listings", verbose_name=_("Kategorien")
    )
    photo = ReencodedImageField(_("Foto"), upload_to="listings/photos/", blank=True)
    rate_minor = models.PositiveIntegerField(_("Preis pro Minute (Cent)"))
    revenue_share = models.DecimalField(
        _("Anteil des Beraters (%)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Leer: der Standard-Anteil der Plattform gilt."),
    )
    extension = models.CharField(_("Durchwahl"), max_length=6, blank=True)
    # Video consultations: offered by this listing, at its own rate per minute (within the
    # platform's video limits, `consultations.video.listing_video_set`).
    video_enabled = models.BooleanField(_("Videoberatung anbieten"), default=False)
    video_rate_minor = models.PositiveIntegerField(
        _("Videopreis pro Minute (Cent)"), null=True, blank=True
    )
    is_published = models.BooleanField(_("veröffentlicht"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("Profil")
        verbose_name_plural = _("Profile")
        ordering = ["display_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "platform"], name="listing_one_per_platform"
            ),
            models.UniqueConstraint(fields=["platform", "slug"], name="listing_slug_unique"),
            models.UniqueConstraint(
                fields=["platform", "extension"],
                condition=~Q(extension=""),
                name="listing_extension_unique",
            ),
            models.CheckConstraint(condition=Q(rate_minor__gt=0), name="listing_rate_positive"),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def rate(self) -> Money:
        return Money(self.rate_minor, self.platform.currency)

    @property
    def video_rate(self) -> Money | None:
        """The video rate when this listing offers video, else None."""
        if not self.video_enabled or not self.video_rate_minor:
            return None
        return Money(self.video_rate_minor, self.platform.currency)


class StaffInvitation(models.Model):
    """A one-time, expiring link with which a staff member enrols their authenticator.

    Only the token's SHA-256 is stored: the link itself exists in the invitation mail
    (or the operator's terminal) alone. Used once; a newer invitation replaces older
    unused ones of the same person.
    """

    user = models.ForeignKey(
        User,
        on_delete=models.CASCADE,
        related_name="staff_invitations",
        verbose_name=_("Mitarbeiter"),
    )
    token_sha256 = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("erstellt am"))
    expires_at = models.DateTimeField(_("gültig bis"))
    used_at = models.DateTimeField(_("eingelöst am"), null=True, blank=True)

    class Meta:
        verbose_name = _("Einladung zur Zwei-Faktor-Anmeldung")
        verbose_name_plural = _("Einladungen zur Zwei-Faktor-Anmeldung")

    def __str__(self) -> str:
        return f"{self.user} ({self.created_at:%Y-%m-%d})"
