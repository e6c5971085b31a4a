"""Demo data: two branded platforms with partners, clients and staff.

Idempotent: running it again finds what exists by its natural keys and creates only what
is missing, so `sprechzeit demo` keeps a demo's history across restarts.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Final

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.text import slugify
from django_otp.plugins.otp_totp.models import TOTPDevice
from PIL import Image, ImageDraw, ImageFont

from sprechzeit.accounts.models import Category, ClientAccount, Listing, Partner, User
from sprechzeit.accounts.services import (
    client_register,
    client_set_pin,
    email_verification_token,
    listing_create,
    partner_create,
    roles_sync,
    staff_create,
    user_verify_email,
)
from sprechzeit.consultations.models import VoiceConfig
from sprechzeit.consultations.services.video import listing_video_set
from sprechzeit.demo.backoffice_partners import demo_backoffice_partners
from sprechzeit.legal.services import consents_record_signup, legal_documents_start
from sprechzeit.payments.services.setup import platform_payments_default
from sprechzeit.platforms.models import LegalEntity, Platform
from sprechzeit.wallets.models import WalletSettings
from sprechzeit.wallets.services import wallet_open, welcome_credit_after_verification

DEMO_PASSWORD: Final = "sprechzeit-demo"  # noqa: S105 - documented demo login, demo mode only
DEMO_PHONE_PIN: Final = "1234"
# The RFC 6238 test key ("12345678901234567890"): every demo partner and staff login has a
# confirmed TOTP device with it, so a newcomer adds this one secret to an authenticator app
# (or runs `sprechzeit democode`) instead of enrolling each account.
DEMO_TOTP_KEY_HEX: Final = "3132333435363738393031323334353637383930"
DEMO_TOTP_SECRET: Final = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"  # noqa: S105 - public demo key


@dataclass(frozen=True)
class DemoPlatform:
    slug: str
    name: str
    tagline: str
    description: str
    primary: str
    accent: str
    categories: tuple[str, ...]


@dataclass(frozen=True)
class DemoPartner:
    email: str
    first_name: str
    last_name: str
    # platform slug → (display name, headline, rate in cents, category names, extension)
    listings: dict[str, tuple[str, str, int, tuple[str, ...], str]]


PLATFORMS: Final = (
    DemoPlatform(
        "coaching",
        "Coaching-Profis",
        "Klarheit für Beruf und Leben – jetzt sofort.",
        "Erfahrene Coaches beraten Sie per Chat und Telefon, minutengenau abgerechnet.",
        "#1f4e79",
        "#b85c00",
        ("Karriere", "Beziehung", "Stress & Balance"),
    ),
    DemoPlatform(
        "karten",
        "Kartenlegen-Profis",
        "Ihre Fragen, die Karten, eine Antwort – rund um die Uhr.",
        "Kartenlegerinnen und Kartenleger mit Erfahrung – vertraulich und sofort erreichbar.",
        "#5b2a86",
        "#a3471b",
        ("Tarot", "Lenormand", "Liebe & Partnerschaft"),
    ),
)

PARTNERS: Final = (
    DemoPartner(
        "anna.berger@demo.sprechzeit.de",
        "Anna",
        "Berger",
        {
            "coaching": (
                "Anna Berger",
                "Karriere-Coach mit 15 Jahren Erfahrung",
                199,
                ("Karriere",),
                "101",
            ),
        },
    ),
    DemoPartner(
        "jonas.keller@demo.sprechzeit.de",
        "Jonas",
        "Keller",
        {
            "coaching": (
                "Jonas Keller",
                "Gelassen durch stressige Zeiten",
                249,
                ("Stress & Balance",),
                "102",
            ),
            "karten": (
                "Jonas – Tarot mit Herz",
                "Tarot für klare Entscheidungen",
                299,
                ("Tarot",),
                "201",
            ),
        },
    ),
    DemoPartner(
        "miriam.roth@demo.sprechzeit.de",
        "Miriam",
        "Roth",
        {
            "coaching": ("Miriam Roth", "Paar- und Beziehungscoaching", 229, ("Beziehung",), "103"),
        },
    ),
    DemoPartner(
        "luna.stern@demo.sprechzeit.de",
        "Luna",
        "Stern",
        {
            "karten": (
                "Luna Stern",
                "Lenormand und Liebesfragen",
                249,
                ("Lenormand", "Liebe & Partnerschaft"),
                "202",
            ),
        },
    ),
    DemoPartner(
        "sophia.wendt@demo.sprechzeit.de",
        "Sophia",
        "Wendt",
        {
            "karten": ("Madame Sophia", "Tarot seit über 20 Jahren", 349, ("Tarot",), "203"),
        },
    ),
)

# Listings that also offer video, at their own rate per minute (cents).
VIDEO_RATES: Final = {("jonas.keller@demo.sprechzeit.de", "coaching"): 349}

CLIENT_EMAIL: Final = "klient@demo.sprechzeit.de"
STAFF: Final = (
    ("admin@demo.sprechzeit.de", "admin"),
    ("support@demo.sprechzeit.de", "support"),
    ("buchhaltung@demo.sprechzeit.de", "accounting"),
    ("risiko@demo.sprechzeit.de", "risk"),
)


def _logo_png(spec: DemoPlatform) -> bytes:
    """A simple round monogram in the platform's colours, so each demo platform looks its own
    (a PNG: uploads, the seed's too, are images Pillow re-encodes; SVG is not accepted)."""
    initials = "".join(word[0] for word in spec.name.split("-")[:2]).upper()
    image = Image.new("RGBA", (128, 128), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((4, 4, 124, 124), fill="#ffffff")
    draw.ellipse((12, 12, 116, 116), fill=spec.accent)
    font = ImageFont.load_default(size=46)
    draw.text((64, 66), initials, fill="#ffffff", font=font, anchor="mm")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


@dataclass
class SeedSummary:
    platforms: list[Platform] = field(default_factory=list)
    created: int = 0


@transaction.atomic
def demo_seed() -> SeedSummary:
    """Create what is missing of the demo (platforms, partners, the demo client, staff);
    running it again changes nothing that exists."""
    summary = SeedSummary()
    roles_sync()
    entity, _ = LegalEntity.objects.get_or_create(
        name="Sprechzeit Demo GmbH",
        defaults={
            "street": "Musterstraße 1",
            "postal_code": "10115",
            "city": "Berlin",
            "country": "DE",
            "vat_id": "DE123456789",
            "tax_number": "30/123/45678",
            "register_entry": "Amtsgericht Berlin-Charlottenburg, HRB 123456",
            "managing_directors": "Erika Mustermann",
            "email": "kontakt@demo.sprechzeit.de",
            "phone": "+49 30 1234567",
            "iban": "DE02120300000000202051",
            "bic": "BYLADEM1001",
            "datev_consultant_number": 1001,
            "datev_client_number": 1,
        },
    )
    categories: dict[tuple[str, str], Category] = {}
    for spec in PLATFORMS:
        _platform_seed(spec, entity, summary, categories)
    for platform in summary.platforms:
        legal_documents_start(platform=platform)  # AGB, Datenschutz, Widerruf (de + en)
    _partners_seed(summary, categories)
    for platform in summary.platforms:
        if not ClientAccount.objects.filter(platform=platform, user__email=CLIENT_EMAIL).exists():
            account = client_register(
                platform=platform, email=CLIENT_EMAIL, password=DEMO_PASSWORD, first_name="Kim"
            )
            consents_record_signup(user=account.user, platform=platform, ip=None)
            wallet_open(client_account=account)
            # The demo client has confirmed the address, so the welcome credit is there.
            user_verify_email(token=email_verification_token(user=account.user), platform=platform)
            welcome_credit_after_verification(client_account=account)
            client_set_pin(account=account, pin=DEMO_PHONE_PIN)
            summary.created += 1
    _staff_seed(summary)
    summary.created += demo_backoffice_partners()
    return summary


def _platform_seed(
    spec: DemoPlatform,
    entity: LegalEntity,
    summary: SeedSummary,
    categories: dict[tuple[str, str], Category],
) -> None:
    """One platform with payments, wallet rules, a phone number, its logo and categories."""
    platform, created = Platform.objects.get_or_create(
        slug=spec.slug,
        defaults={
            "name": spec.name,
            "tagline": spec.tagline,
            "description": spec.description,
            "color_primary": spec.primary,
            "color_accent": spec.accent,
            "legal_entity": entity,
            "contact_email": f"kontakt@{spec.slug}.demo.sprechzeit.de",
            "rate_min_minor": 99,
            "rate_max_minor": 499,
            "vat_rate": Decimal("19.00"),
            "default_revenue_share": Decimal("50.00"),
        },
    )
    summary.created += created
    summary.platforms.append(platform)
    # The sandbox checkout (TEST MODE) and bank transfer, and 5 € welcome credit on sign-up.
    platform_payments_default(platform=platform)
    WalletSettings.objects.get_or_create(
        platform=platform,
        defaults={
            "welcome_credit_minor": 500,
            "welcome_credit_on": WalletSettings.WelcomeOn.REGISTRATION,
        },
    )
    # A phone number for consultations by phone (profiles show it with the extension).
    VoiceConfig.objects.get_or_create(
        platform=platform,
        defaults={
            "phone_number": f"+49 30 555 01 0{len(summary.platforms)}",
            "auth_token": f"demo-voice-token-{spec.slug}",  # demo only; real ones come from Twilio
        },
    )
    if not platform.logo or not str(platform.logo.name).endswith(".png"):  # older demos had SVG
        platform.logo.save(f"{spec.slug}.png", ContentFile(_logo_png(spec)), save=True)
    for name in spec.categories:
        category, _ = Category.objects.get_or_create(
            platform=platform, slug=slugify(name), defaults={"name": name}
        )
        categories[(spec.slug, name)] = category


def _partners_seed(summary: SeedSummary, categories: dict[tuple[str, str], Category]) -> None:
    """The demo partners and their listings on the seeded platforms."""
    by_slug = {p.slug: p for p in summary.platforms}
    for spec_partner in PARTNERS:
        user = User.objects.filter(email=spec_partner.email, platform__isnull=True).first()
        partner = (
            Partner.objects.get(user=user)
            if user
            else partner_create(
                email=spec_partner.email,
                password=DEMO_PASSWORD,
                first_name=spec_partner.first_name,
                last_name=spec_partner.last_name,
                phone_number="+4930555000" + str(PARTNERS.index(spec_partner)),
            )
        )
        for slug, (display, headline, rate, cats, ext) in spec_partner.listings.items():
            platform = by_slug[slug]
            if not Listing.objects.filter(partner=partner, platform=platform).exists():
                listing_create(
                    partner=partner,
                    platform=platform,
                    display_name=display,
                    headline=headline,
                    rate_minor=rate,
                    extension=ext,
                    description=f"{headline}.\n\n"
                    + "Ich freue mich auf Ihre Fragen – vertraulich und wertschätzend.",
                    categories=[categories[(slug, c)] for c in cats],
                )
                video_rate = VIDEO_RATES.get((spec_partner.email, slug))
                if video_rate:
                    listing = Listing.objects.get(partner=partner, platform=platform)
                    listing_video_set(listing=listing, enabled=True, rate_minor=video_rate)
                summary.created += 1


def _staff_seed(summary: SeedSummary) -> None:
    """One staff user per role, each with a confirmed demo TOTP device."""
    for email, role in STAFF:
        if not User.objects.filter(email=email, platform__isnull=True).exists():
            staff_create(email=email, password=DEMO_PASSWORD, role=role, first_name=role.title())
            summary.created += 1
    User.objects.filter(email=STAFF[0][0], platform__isnull=True).update(is_superuser=True)
    for user in User.objects.filter(platform__isnull=True, email__endswith="@demo.sprechzeit.de"):
        if not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
            TOTPDevice.objects.create(user=user, name="Demo", key=DEMO_TOTP_KEY_HEX, confirmed=True)
