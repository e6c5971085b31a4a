"""A few weeks of demo history on the demo platforms, through the real services with a
simulated clock: clients top up through the sandbox checkout, consult the demo partners
(chat, realistic lengths), some rate; last month is then closed, so every demo partner
finds a credit note for it in the portal.

Deterministic for its seed and run once (only while the demo has no consultation yet).
`consultations.simulation` is the load-shaped sibling that builds platforms of its own.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from sprechzeit.accounting.billing import client_billing_save
from sprechzeit.accounting.invoices import client_invoices_issue
from sprechzeit.accounts.models import ClientAccount, Listing, Partner
from sprechzeit.accounts.services import (
    client_register,
    email_verification_token,
    user_verify_email,
)
from sprechzeit.consultations import services as consultations
from sprechzeit.consultations.errors import ConsultationError
from sprechzeit.consultations.models import Consultation, PartnerPresence
from sprechzeit.consultations.simulation import CLIENT_HOMES
from sprechzeit.core import clock
from sprechzeit.core.errors import DomainError
from sprechzeit.core.money import Money
from sprechzeit.demo.backoffice_risk import demo_backoffice_risk
from sprechzeit.demo.backoffice_support import backoffice_support_seed
from sprechzeit.legal.services import legal_documents_start
from sprechzeit.notifications.services import mail_muted
from sprechzeit.payments.models import Channel, ChannelPolicy
from sprechzeit.payments.services.sandbox import sandbox_top_up
from sprechzeit.platforms.models import Platform
from sprechzeit.statements.errors import PeriodAlreadyClosed
from sprechzeit.statements.services import (
    self_billing_accept,
    statements_close,
    tax_profile_save,
)
from sprechzeit.statements.vat import VatStatus
from sprechzeit.wallets.services import wallet_open, welcome_credit_after_verification

SEED = 2026
CLIENTS_PER_PLATFORM = 5
REVIEWS = (
    "Sehr einfühlsam und klar – danke!",
    "Hat mir wirklich weitergeholfen.",
    "Schnell erreichbar, gute Fragen.",
    "Etwas kurz, aber hilfreich.",
    "",
)
# Tax and bank data of the demo partners: one of each VAT case, valid test numbers.
TAX_PROFILES: dict[int, dict[str, str]] = {
    0: {
        "vat_status": VatStatus.REGULAR,
        "tax_number": "21/815/08150",
        "vat_id": "DE136695976",
        "iban": "DE89370400440532013000",
    },
    1: {
        "vat_status": VatStatus.SMALL_BUSINESS,
        "tax_number": "181/815/08155",
        "iban": "DE02500105170137075030",
    },
    2: {
        "vat_status": VatStatus.REGULAR,
        "tax_number": "93815/08152",
        "iban": "DE02100500000054540402",
    },
    3: {
        "vat_status": VatStatus.EU_REVERSE_CHARGE,
        "vat_id": "ATU13585627",
        "iban": "AT611904300234573201",
        "country": "AT",
    },
    4: {
        "vat_status": VatStatus.SMALL_BUSINESS,
        "tax_number": "2181508150",
        "iban": "DE12500105170648489890",
    },
}


@dataclass
class HistoryReport:
    consultations: int = 0
    top_ups: int = 0
    ratings: int = 0
    statements_period: str = ""
    client_invoices: int = 0


def _month_start(day: date) -> date:
    return day.replace(day=1)


def demo_history(*, partners: list[Partner]) -> HistoryReport:
    """The history, without mail: its receipts, summaries and credit notes describe a
    past nobody is waiting to hear about (and would flood the demo's console)."""
    with mail_muted():
        report = _history(partners=partners)
        backoffice_support_seed()  # the support desk's queues, once (demo/backoffice_support.py)
        return report


def _history(*, partners: list[Partner]) -> HistoryReport:
    report = HistoryReport()
    if Consultation.objects.filter(platform__slug__in=["coaching", "karten"]).exists():
        return report
    rng = random.Random(SEED)  # noqa: S311 - demo data, not security
    zone = ZoneInfo(settings.TIME_ZONE)
    today = timezone.localdate()
    first_day = _month_start(_month_start(today) - timedelta(days=1))  # 1st of last month
    _partners_tax_data(partners, datetime.combine(first_day, time(9), tzinfo=zone))
    for platform in Platform.objects.filter(slug__in=["coaching", "karten"]).order_by("slug"):
        policy = ChannelPolicy.objects.get(platform=platform, channel=Channel.SANDBOX)
        listings = list(
            Listing.objects.filter(platform=platform).select_related("partner").order_by("pk")
        )
        clients = []
        for n in range(CLIENTS_PER_PLATFORM):
            # clients in Germany, Austria, Switzerland and the US, some of them businesses
            country, vat_id = CLIENT_HOMES[n % len(CLIENT_HOMES)]
            with clock.frozen_at(datetime.combine(first_day, time(8), tzinfo=zone)):
                account = client_register(
                    platform=platform,
                    email=f"klient{n + 1}@demo.sprechzeit.de",
                    password=None,
                    first_name=rng.choice(("Lea", "Tom", "Ida", "Ben", "Mia", "Jan")),
                    country=country,
                    vat_id=vat_id,
                )
                wallet_open(client_account=account)
                user_verify_email(
                    token=email_verification_token(user=account.user), platform=platform
                )
                welcome_credit_after_verification(client_account=account)
                if vat_id:  # a business: its invoice address, for the monthly invoice
                    _business_billing(account, n, country, vat_id)
            clients.append(account)
        day = first_day
        while day < today:
            for client in clients:
                if rng.random() < 0.25:
                    moment = datetime.combine(day, time(9, rng.randint(0, 59)), tzinfo=zone)
                    report.top_ups += _top_up(
                        client, policy, rng.choice((1000, 2500, 5000)), moment
                    )
                if rng.random() < 0.3:
                    moment = datetime.combine(
                        day, time(rng.randint(10, 21), rng.randint(0, 59)), tzinfo=zone
                    )
                    if moment < timezone.now() - timedelta(hours=1):
                        report.consultations += _consult(
                            rng, client, rng.choice(listings), moment, report
                        )
            day += timedelta(days=1)
    report.consultations += demo_backoffice_risk()  # the risk queues: disputes, refunds, dunning
    _month_end(report, first_day.strftime("%Y-%m"))
    return report


def _month_end(report: HistoryReport, period: str) -> None:
    """Close the history month's credit notes and issue its business clients' invoices."""
    try:
        statements_close(period=period)
        report.statements_period = period
    except PeriodAlreadyClosed:
        pass  # already closed (a demo re-seeded by hand): nothing to do
    report.client_invoices = len(client_invoices_issue(month=period).issued)


def _partners_tax_data(partners: list[Partner], agreed_at: datetime) -> None:
    """Each demo partner's tax and bank data (a VAT case each) and self-billing consent."""
    for index, partner in enumerate(partners):
        profile = TAX_PROFILES[index % len(TAX_PROFILES)]
        user = partner.user
        tax_profile_save(
            partner=partner,
            legal_name=user.get_full_name(),
            street="Beraterweg",
            building_number=str(index + 1),
            postal_code="10115" if profile.get("country", "DE") == "DE" else "1010",
            city="Berlin" if profile.get("country", "DE") == "DE" else "Wien",
            country=profile.get("country", "DE"),
            tax_number=profile.get("tax_number", ""),
            vat_id=profile.get("vat_id", ""),
            vat_status=profile["vat_status"],
            iban=profile["iban"],
            account_holder=user.get_full_name(),
            self_billing_accepted_at=agreed_at,
            self_billing_version="2026-01",
        )
        _self_billing(partner)


def _self_billing(partner: Partner) -> None:
    """The partner agrees to self-billing with each operator of their platforms."""
    for listing in partner.listings.select_related("platform"):
        legal_documents_start(platform=listing.platform)
    self_billing_accept(partner=partner)


def _business_billing(account: ClientAccount, n: int, country: str, vat_id: str) -> None:
    client_billing_save(
        client=account,
        country=country,
        vat_id=vat_id,
        is_business=True,
        name=f"Demo-Firma {n + 1}",
        street="Geschäftsstraße 1",
        postal_code={"AT": "1010", "CH": "8001", "US": "10001"}.get(country, "10115"),
        city={"AT": "Wien", "CH": "Zürich", "US": "New York"}.get(country, "Berlin"),
    )


def _top_up(client: ClientAccount, policy: ChannelPolicy, minor: int, moment: datetime) -> int:
    with clock.frozen_at(moment):
        try:
            sandbox_top_up(
                client_account=client, policy=policy, amount=Money(minor, client.platform.currency)
            )
        except DomainError:
            return 0
    return 1


def _consult(
    rng: random.Random,
    client: ClientAccount,
    listing: Listing,
    moment: datetime,
    report: HistoryReport,
) -> int:
    seconds = rng.choice((95, 180, 240, 420, 600, 900, 1500))
    with clock.frozen_at(moment):
        consultations.presence_set(partner=listing.partner, status=PartnerPresence.Status.ONLINE)
        try:
            consultation = consultations.consultation_request(
                client=client, listing=listing, now=moment
            )
            consultation = consultations.consultation_accept(
                consultation=consultation,
                partner=listing.partner,
                now=moment + timedelta(seconds=8),
            )
        except ConsultationError:
            return 0
        end = moment + timedelta(seconds=8 + seconds)
        consultation = consultations.consultation_end(
            consultation=consultation, reason="client", now=end
        )
        consultations.presence_set(partner=listing.partner, status=PartnerPresence.Status.OFFLINE)
        if (consultation.billed_seconds or 0) >= 180 and rng.random() < 0.6:
            try:
                consultations.rating_create(
                    consultation=consultation,
                    client=client,
                    stars=rng.choice((3, 4, 4, 5, 5, 5)),
                    text=rng.choice(REVIEWS),
                    now=end + timedelta(minutes=1),
                )
                report.ratings += 1
            except ConsultationError:
                pass
    return 1
