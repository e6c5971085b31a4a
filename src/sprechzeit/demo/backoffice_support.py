"""Demo data of the support desk: open contact messages (one from the demo client, one
waiting past its SLA), a reported rating, staff notes and a goodwill credit over the
support limit waiting for a second approver. Through the support services; once only
(nothing is added while the demo already has a staff note)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sprechzeit.accounts.models import ClientAccount, User
from sprechzeit.consultations.models import Rating
from sprechzeit.core import clock
from sprechzeit.core.money import Money
from sprechzeit.platforms.models import ContactMessage, Platform
from sprechzeit.support import services as support
from sprechzeit.support.models import GoodwillCredit, StaffNote

CLIENT_EMAIL = "klient@demo.sprechzeit.de"
SUPPORT_EMAIL = "support@demo.sprechzeit.de"
MESSAGES = (
    # platform, sender, subject, text, hours ago
    (
        "coaching",
        CLIENT_EMAIL,
        "Aufladung nicht angekommen",
        "Ich habe gestern 25 € aufgeladen, sehe sie aber nicht.",
        3,
    ),
    (
        "coaching",
        "interessent@example.com",
        "Gibt es Gutscheine?",
        "Kann ich eine Beratung verschenken?",
        30,
    ),
    (
        "karten",
        CLIENT_EMAIL,
        "Gespräch brach ab",
        "Mitten im Gespräch war die Verbindung weg – bekomme ich die Minuten zurück?",
        20,
    ),
)


@dataclass
class SupportDemo:
    messages: int = 0
    reports: int = 0
    notes: int = 0
    goodwill: int = 0


def backoffice_support_seed() -> SupportDemo:
    report = SupportDemo()
    agent = User.objects.filter(email=SUPPORT_EMAIL, platform__isnull=True).first()
    if agent is None or StaffNote.objects.exists():
        return report
    now = clock.now()
    for slug, email, subject, text, hours in MESSAGES:
        platform = Platform.objects.filter(slug=slug).first()
        if platform is None:
            continue
        message = ContactMessage.objects.create(
            platform=platform, email=email, subject=subject, message=text
        )
        ContactMessage.objects.filter(pk=message.pk).update(created_at=now - timedelta(hours=hours))
        report.messages += 1
    rating = Rating.objects.filter(listing__platform__slug="coaching").order_by("pk").first()
    if rating is not None:
        support.rating_report(
            reporter=rating.listing.partner.user,
            rating=rating,
            reason="untrue",
            comment="Das Gespräch dauerte länger als angegeben.",
        )
        report.reports += 1
    for account in ClientAccount.objects.filter(user__email=CLIENT_EMAIL).select_related(
        "platform", "user"
    ):
        support.staff_note_add(
            actor=agent,
            client_account=account,
            text="Rief an: fragt nach einer abgebrochenen Beratung. Rückruf zugesagt.",
        )
        report.notes += 1
        if account.platform.slug == "karten":
            credit = support.goodwill_request(
                actor=agent,
                client_account=account,
                amount=Money(5000, account.platform.currency),
                kind=GoodwillCredit.Kind.BONUS,
                reason="Verbindung brach zweimal ab; Entschädigung über dem Support-Limit.",
            )
            # Asked for this morning: the queue shows it "due" (SLA 24 h).
            GoodwillCredit.objects.filter(pk=credit.pk).update(
                requested_at=now - timedelta(hours=19)
            )
            report.goodwill += 1
    return report
