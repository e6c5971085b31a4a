"""Demo data for the console's partners area: applications waiting on both platforms
(one decided each way), a listing edit awaiting review on Coaching-Profis (which
reviews edits), adjustments booked and one waiting for a second approver. Through the
services only; idempotent (nothing is added when applications exist)."""

from __future__ import annotations

from datetime import timedelta

from sprechzeit.accounts.models import Category, Listing, User
from sprechzeit.core import clock
from sprechzeit.core.money import Money
from sprechzeit.notifications.services import mail_muted
from sprechzeit.partners import services
from sprechzeit.partners.models import PartnerApplication, PartnerSettings
from sprechzeit.platforms.models import Platform

APPLICANTS = (
    (
        "coaching",
        "Tobias",
        "Lange",
        "Tobias – Karrierecoach",
        "Karriere",
        "Fünfzehn Jahre Führungskraft im Handel, seit drei Jahren Coach für Menschen, die "
        "beruflich neu anfangen.",
        "Sie fragen, ob Sie kündigen sollen. Lassen Sie uns zuerst sortieren: Was genau "
        "kostet Sie die Stelle heute, und was würde Ihnen fehlen?",
    ),
    (
        "coaching",
        "Aylin",
        "Demir",
        "Aylin – Balance",
        "Stress & Balance",
        "Psychologische Beraterin (Heilpraktikerin für Psychotherapie), Schwerpunkt "
        "Stress und Erschöpfung.",
        "Es klingt, als trügen Sie gerade sehr viel allein. Was wäre heute ein kleiner "
        "Schritt, der Ihnen eine Stunde Luft verschafft?",
    ),
    (
        "karten",
        "Marlene",
        "Vogt",
        "Marlene – Lenormand",
        "Lenormand",
        "Ich lege seit 25 Jahren Lenormand-Karten, früher auf Märkten, heute am Telefon.",
        "Die Karten zeigen den Reiter neben dem Herz: Eine Nachricht in Liebesdingen ist "
        "unterwegs. Schauen wir, woher sie kommt.",
    ),
    (
        "karten",
        "Jannik",
        "Brandt",
        "Jannik – Tarot",
        "Tarot",
        "Tarot als Hobby seit zwei Jahren, ich möchte es nun beruflich ausprobieren.",
        "Die Karte sagt, alles wird gut. Mehr kann ich dazu im Moment nicht sagen, sorry.",
    ),
)


AGES_DAYS = (6, 4, 1, 3)  # the applications' ages: late, due, in time (SLA: five days)


def demo_backoffice_partners() -> int:
    """Seed the partners queues once; returns how many applications were created."""
    if PartnerApplication.objects.exists():
        return 0
    admin = User.objects.get(email="admin@demo.sprechzeit.de", platform__isnull=True)
    support = User.objects.get(email="support@demo.sprechzeit.de", platform__isnull=True)
    accounting = User.objects.get(email="buchhaltung@demo.sprechzeit.de", platform__isnull=True)
    platforms = {p.slug: p for p in Platform.objects.filter(slug__in=["coaching", "karten"])}
    now = clock.now()
    with mail_muted():
        made = []
        for n, (slug, first, last, display, category, about, sample) in enumerate(APPLICANTS):
            platform = platforms[slug]
            # Different ages, so the queue shows every SLA colour (late, due, in time).
            with clock.frozen_at(now - timedelta(days=AGES_DAYS[n])):
                made.append(
                    services.application_submit(
                        platform=platform,
                        first_name=first,
                        last_name=last,
                        email=f"{first.lower()}.{last.lower()}@example.com",
                        display_name=display,
                        about=about,
                        sample_text=sample,
                        categories=list(Category.objects.filter(platform=platform, name=category)),
                        ip=f"192.0.2.{10 + n}",
                    )
                )
        services.application_reject(
            application_id=made[-1].pk,
            actor=support,
            reason="Zu wenig Erfahrung; die Textprobe verspricht ein Ergebnis.",
        )
        with clock.frozen_at(now - timedelta(days=1, hours=18)):
            _listing_edit_pending(platforms["coaching"])
        _adjustments(accounting=accounting, admin=admin)
    return len(made)


def _listing_edit_pending(platform: Platform) -> None:
    PartnerSettings.objects.update_or_create(
        platform=platform, defaults={"review_listing_edits": True}
    )
    listing = Listing.objects.filter(platform=platform).order_by("pk").first()
    if listing is None:
        return
    services.listing_edit_submit(
        listing=listing,
        display_name=listing.display_name,
        headline=listing.headline + " – jetzt auch abends",
        description=listing.description + "\n\nNeu: Sitzungen am Abend bis 22 Uhr, auch für Paare.",
        rate_minor=listing.rate_minor,
        categories=list(listing.categories.all()),
    )


def _adjustments(*, accounting: User, admin: User) -> None:
    listing = Listing.objects.select_related("partner", "platform").order_by("pk").first()
    if listing is None:
        return
    services.adjustment_request(
        partner=listing.partner,
        platform=listing.platform,
        kind="bonus",
        amount=Money(2500),
        reason="Bonus: 50 Bewertungen mit fünf Sternen",
        actor=accounting,
    )
    services.adjustment_request(
        partner=listing.partner,
        platform=listing.platform,
        kind="correction",
        amount=Money(15000),
        reason="Nachzahlung: Telefonminuten vom Ausfall am 3. des Monats",
        actor=accounting,
    )
    services.adjustment_request(
        partner=listing.partner,
        platform=listing.platform,
        kind="penalty",
        amount=Money(-1000),
        reason="Vertragsstrafe: Kontaktdaten im Chat weitergegeben",
        actor=admin,
    )
