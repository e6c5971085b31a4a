"""The simulator: a few weeks of platform life driven through the real services with a
simulated clock (`core.clock.frozen_at`), deterministic for a seed.

Registrations, top-ups through the sandbox payment provider (checkout + signed
notification through the inbox), consultations of realistic lengths (many short, some
long, some cut off by the balance), declines and misses, a few chargebacks and provider
refunds. It ends with the ledger check. Ids are random UUIDs, everything else (who,
when, how long, how much) follows the seed, so the report is the same for a seed.

The operator entities are complete (address, VAT ID, tax number, register, bank), so
month end can run on what the simulation made; the partners' tax and bank data belong
to statements, above this layer: `demo.network` adds them (the `simulate` command does).
The sandbox payment provider only runs in demo and test mode: in production mode the
simulation refuses to start (`SimulationRefused`) instead of booking nothing.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Final

from django.conf import settings
from django.db.models import Sum
from schwifty import IBAN
from stdnum.iso7064 import mod_11_10

from sprechzeit.accounts.models import ClientAccount, Listing
from sprechzeit.accounts.services import client_register, listing_create, partner_create
from sprechzeit.consultations import services
from sprechzeit.consultations.errors import ConsultationError, SimulationRefused
from sprechzeit.consultations.models import Consultation, PartnerPresence, PlatformTariffPolicy
from sprechzeit.core import clock
from sprechzeit.core.errors import DomainError
from sprechzeit.core.money import Money
from sprechzeit.ledger.check import ledger_check
from sprechzeit.ledger.models import Transfer
from sprechzeit.payments.models import ChannelPolicy, Payment, ProviderConfig, ProviderKind
from sprechzeit.payments.services.sandbox import sandbox_deliver, sandbox_top_up
from sprechzeit.platforms.models import LegalEntity, Platform
from sprechzeit.wallets import services as wallets

START = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
# (first, next) increments per platform, in turn: per second, 60/60, 60/10.
INCREMENTS = ((1, 1), (60, 60), (60, 10))
TOP_UPS = (1000, 2500, 5000)
# Partners' names, with the umlauts and ß real names have (bank files keep them).
NAMES = (
    ("Jürgen", "Müßig"),
    ("Käthe", "Schäfer"),
    ("Björn", "Großmann"),
    ("Renée", "Özdemir"),
    ("Jörg", "Weiß"),
    ("Ülkü", "Brückner"),
    ("Anneliese", "Kühn"),
    ("Maximilian", "Sauer"),
)
CITIES = (("Berlin", "10115"), ("Hamburg", "20095"), ("München", "80331"), ("Köln", "50667"))


@dataclass
class SimulationReport:
    seed: int
    platforms: int = 0
    partners: int = 0
    clients: int = 0
    top_ups: int = 0
    top_up_minor: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    end_reasons: Counter[str] = field(default_factory=Counter)
    charged_minor: int = 0
    partner_share_minor: int = 0
    chargebacks: int = 0
    refunds: int = 0
    ledger_ok: bool = False

    def render(self) -> str:
        return (
            f"seed={self.seed} platforms={self.platforms} partners={self.partners} "
            f"clients={self.clients} top_ups={self.top_ups} ({self.top_up_minor} ct) "
            f"outcomes={dict(sorted(self.outcomes.items()))} "
            f"end_reasons={dict(sorted(self.end_reasons.items()))} "
            f"charged={self.charged_minor} ct partner_share={self.partner_share_minor} ct "
            f"chargebacks={self.chargebacks} refunds={self.refunds} "
            f"ledger={'OK' if self.ledger_ok else 'VIOLATIONS'}"
        )


def _duration(rng: random.Random) -> int:
    """Realistic lengths: many short chats, a body of 5–20 minutes, a long tail."""
    bucket = rng.random()
    if bucket < 0.25:
        return rng.randint(5, 120)
    if bucket < 0.85:
        return rng.randint(300, 1200)
    return rng.randint(1200, 3600)


# Where the simulated clients live, some of them businesses (with a VAT ID or, outside
# the EU, a tax number): every place-of-supply case (accounts/vat_place.py).
CLIENT_HOMES: Final = (
    ("DE", ""),
    ("AT", ""),
    ("CH", ""),
    ("US", "EIN 12-3456789"),
    ("AT", "ATU13585627"),
    ("DE", "DE136695976"),
)


def partner_name(n: int) -> tuple[str, str]:
    """The n-th simulated partner's first and last name."""
    first, last = NAMES[n % len(NAMES)]
    return first, last if n < len(NAMES) else f"{last}-{n // len(NAMES) + 1}"


def _entity(n: int, prefix: str, seed: int) -> LegalEntity:
    """A complete operator: address, VAT ID and tax number (valid check digits), the
    commercial register, managing director, and its bank account (IBAN with BIC)."""
    body = f"{1 + (seed + n) % 9}{(seed * 7919 + n * 104_729) % 10**7:07d}"
    iban = IBAN.generate("DE", bank_code="37040044", account_code=f"{seed % 10**4:04d}{n:06d}")
    city, postcode = CITIES[n % len(CITIES)]
    return LegalEntity.objects.create(
        name=f"Simulation {prefix} {n} GmbH",
        street=f"Simulationsweg {n + 1}",
        postal_code=postcode,
        city=city,
        country="DE",
        vat_id=f"DE{body}{mod_11_10.calc_check_digit(body)}",
        tax_number=f"30/{seed % 1000:03d}/{n:05d}",
        register_entry=f"Amtsgericht Charlottenburg, HRB {100_000 + seed % 1000 * 100 + n}",
        managing_directors="Erika Mustermann",
        # the numbers `sprechzeit accounting datev` writes into the file's header
        datev_consultant_number=1001,
        datev_client_number=n + 1,
        email=f"betreiber{n}@{prefix}.example.com",
        phone="+49 30 1234567",
        iban=iban.compact,
        bic=str(iban.bic),
    )


def _platforms(
    rng: random.Random, count: int, prefix: str, seed: int
) -> list[tuple[Platform, ChannelPolicy]]:
    result = []
    for n in range(count):
        entity = _entity(n, prefix, seed)
        platform = Platform.objects.create(
            name=f"Sim {prefix} {n}",
            slug=f"{prefix}-{n}",
            contact_email=f"kontakt@{prefix}-{n}.example.com",
            legal_entity=entity,
            vat_rate=Decimal("19.00"),
            default_revenue_share=Decimal(rng.choice(("50.00", "60.00", "70.00"))),
        )
        first, following = INCREMENTS[n % len(INCREMENTS)]
        PlatformTariffPolicy.objects.create(
            platform=platform,
            increment_first_seconds=first,
            increment_next_seconds=following,
            grace_seconds=10 if n % 2 else 0,
            connect_fee_minor=0 if n % 3 else 25,
            max_duration_seconds=3600,
        )
        config = ProviderConfig.objects.create(
            platform=platform, kind=ProviderKind.SANDBOX, name="Testkasse"
        )
        policy = ChannelPolicy.objects.create(
            platform=platform, provider_config=config, channel="sandbox", presets=list(TOP_UPS)
        )
        result.append((platform, policy))
    return result


def _top_up(
    report: SimulationReport, client: ClientAccount, policy: ChannelPolicy, minor: int
) -> Payment | None:
    try:
        payment = sandbox_top_up(
            client_account=client,
            policy=policy,
            amount=Money(minor, client.platform.currency),
            return_url="/guthaben/{id}/",
        )
    except DomainError:
        return None
    report.top_ups += 1
    report.top_up_minor += minor
    return payment


def simulate(
    *, platforms: int, partners: int, clients: int, days: int, seed: int, prefix: str = ""
) -> SimulationReport:
    """Run the simulation; see the module docstring. `prefix` names the platforms
    (default `sim<seed>`), so two runs can share a database."""
    if str(settings.SPRECHZEIT_MODE) == "production":
        raise SimulationRefused()
    rng = random.Random(seed)  # noqa: S311 - a simulation, not security
    prefix = prefix or f"sim{seed}"
    report = SimulationReport(seed=seed)
    with clock.frozen_at(START) as frozen:
        setups = _platforms(rng, platforms, prefix, seed)
        report.platforms = len(setups)
        listings = _partners(report, rng, setups, partners, prefix, seed)
        people: list[tuple[ClientAccount, ChannelPolicy]] = []
        for n in range(clients):
            platform, policy = setups[n % len(setups)]
            country, vat_id = CLIENT_HOMES[n % len(CLIENT_HOMES)]
            client = client_register(
                platform=platform,
                email=f"klient{n}@{prefix}.example.com",
                password=None,
                country=country,
                vat_id=vat_id,
            )
            wallets.wallet_open(client_account=client)
            people.append((client, policy))
            report.clients += 1
        paid: list[Payment] = []
        for day in range(days):
            day_start = START + timedelta(days=day)
            for client, policy in people:
                frozen.set(day_start + timedelta(minutes=rng.randint(0, 60)))
                if rng.random() < 0.3:
                    payment = _top_up(report, client, policy, rng.choice(TOP_UPS))
                    if payment is not None:
                        paid.append(payment)
            for client, _policy in people:
                choices = listings[client.platform_id]
                if not choices or rng.random() < 0.4:
                    continue
                listing = rng.choice(choices)
                moment = day_start + timedelta(hours=2, minutes=rng.randint(0, 600))
                frozen.set(moment)
                _consult(report, rng, client, listing, moment)
            if paid and rng.random() < 0.15:
                payment = paid.pop(rng.randrange(len(paid)))
                frozen.set(day_start + timedelta(hours=23))
                kind = rng.choice(("dispute", "refund"))
                if kind == "dispute":
                    sandbox_deliver(
                        payment=payment, event_type="dispute.opened", dispute_id=f"dp-{payment.pk}"
                    )
                    sandbox_deliver(
                        payment=payment, event_type="dispute.lost", dispute_id=f"dp-{payment.pk}"
                    )
                    report.chargebacks += 1
                else:
                    sandbox_deliver(payment=payment, event_type="refund.succeeded")
                    report.refunds += 1
        frozen.set(START + timedelta(days=days + 1))
        services.consultations_reap()
    references = [
        f"consultation:{pk}"
        for pk in Consultation.objects.filter(platform__slug__startswith=f"{prefix}-").values_list(
            "pk", flat=True
        )
    ]
    mine = Transfer.objects.filter(reference__in=references)
    charged = mine.filter(purpose="consultation_charge").aggregate(total=Sum("amount"))["total"]
    report.charged_minor = int(charged or 0)
    shares = mine.filter(purpose="consultation_partner").aggregate(total=Sum("amount"))["total"]
    report.partner_share_minor = int(shares or 0)
    report.ledger_ok = ledger_check().ok
    return report


def _partners(
    report: SimulationReport,
    rng: random.Random,
    setups: list[tuple[Platform, ChannelPolicy]],
    partners: int,
    prefix: str,
    seed: int,
) -> dict[int, list[Listing]]:
    """Online partners, each listed on one or two platforms; their listings by
    platform."""
    listings: dict[int, list[Listing]] = {platform.pk: [] for platform, _policy in setups}
    for n in range(partners):
        first, last = partner_name(n)
        partner = partner_create(
            email=f"berater{n}@{prefix}.example.com",
            password=None,
            first_name=first,
            last_name=last,
            phone_number=f"+4930{seed % 1000:03d}{n:05d}",
        )
        for platform, _policy in rng.sample(setups, k=min(len(setups), rng.randint(1, 2))):
            listings[platform.pk].append(
                listing_create(
                    partner=partner,
                    platform=platform,
                    display_name=f"{first} {last}",
                    rate_minor=rng.randrange(platform.rate_min_minor, platform.rate_max_minor + 1),
                    extension=f"{n + 1:03d}",
                )
            )
        services.presence_set(partner=partner, status=PartnerPresence.Status.ONLINE)
        report.partners += 1
    return listings


def _consult(
    report: SimulationReport,
    rng: random.Random,
    client: ClientAccount,
    listing: Listing,
    moment: datetime,
) -> None:
    try:
        consultation = services.consultation_request(client=client, listing=listing, now=moment)
    except ConsultationError as exc:
        report.outcomes[f"refused:{exc.code}"] += 1
        return
    answer = rng.random()
    if answer < 0.07:
        services.consultation_decline(
            consultation=consultation, partner=listing.partner, now=moment
        )
        report.outcomes["declined"] += 1
        return
    if answer < 0.12:
        services.consultation_miss(consultation=consultation, now=moment + timedelta(seconds=61))
        services.presence_set(partner=listing.partner, status=PartnerPresence.Status.ONLINE)
        report.outcomes["missed"] += 1
        return
    accepted_at = moment + timedelta(seconds=rng.randint(3, 40))
    try:
        consultation = services.consultation_accept(
            consultation=consultation, partner=listing.partner, now=accepted_at
        )
    except ConsultationError as exc:
        report.outcomes[f"accept_failed:{exc.code}"] += 1
        return
    wanted = _duration(rng)
    if wanted >= consultation.paid_seconds:
        ended = services.consultation_cut_off(
            consultation=consultation,
            now=accepted_at + timedelta(seconds=consultation.paid_seconds),
        )
    else:
        ended = services.consultation_end(
            consultation=consultation,
            reason=rng.choice((Consultation.EndReason.CLIENT, Consultation.EndReason.PARTNER)),
            at_second=wanted,
            now=accepted_at + timedelta(seconds=wanted),
        )
    report.outcomes[str(ended.status)] += 1
    report.end_reasons[str(ended.end_reason)] += 1
