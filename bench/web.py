"""Pages benchmark: the directory, a partner's profile, a client's records and the partner
dashboard under concurrent clients, each beside a bare Django view of the same server.

    make bench-web           # or:
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sprechzeit REDIS_URL=redis://127.0.0.1:6379/8 \
        python bench/web.py  (defaults: --clients 50 --bare-clients 10 --seconds 30 --rounds 3)

Data, in a scratch database (`<name>_bench_web`, created afresh, dropped after): two
platforms shaped like the demo's (categories, a phone number, the sandbox checkout, a
registered host each); 2,000 partners with a profile on the first platform (every second
one on the other too: 3,000 listings), a quarter of them online; clients on both; a year
of settled consultations with ratings, and the clients' top-ups as payments. Rows are
bulk-inserted, the money goes through the ledger's batch path (`transfers_post_linked`:
top-ups provider clearing → wallet, then per consultation wallet → consultation clearing
→ VAT, the partner's payable, platform revenue). No hand-written SQL for money. The
measured client has hundreds of consultations and top-ups, the measured partner a year of
consultations on both platforms (options below).

Server: the production topology (deploy/systemd/sprechzeit-web.service): uvicorn with 2
worker processes, no access log, PostgreSQL through each process's connection pool (the
production default, DB_POOL_MAX_SIZE=10), Redis as the cache. Its settings are the
product's with one URLconf more (bench/web_settings.py, bench/web_urls.py): a bare view
at /__bench__/bare/ that answers "ok" without a query, through the same middleware (on
a platform's host that is the host → platform look-up, sessions, the access table).

Load: one asyncio process (aiohttp on uvloop), each virtual client sending its next
request when the last answer is read (no think time), each on a new connection. Per
page one phase: `--clients` clients for `--seconds` (after `--warmup` seconds not
counted), of which `--bare-clients` request the bare view and the others the page, so
both see the same load; ratio = the page's p95 / the bare view's p95 of that phase.
Before the phases each page and the bare view are requested by one client alone
(`--solo-requests` each): their service time. The directory and the profile are
requested anonymously, the records as the measured client, the dashboard as the
measured partner (session cookies made as a log-in makes them, with the second factor).

Three rounds (each: the solo requests, then the four phases); the result is the median
over the rounds of each figure, with the load average before and after each round.
Also reported: the queries each page makes on this data (counted in-process once).
Results go to bench/results/web.json.

Django is set up only once the scratch database exists (hence the PLC0415 waivers).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from common import (
    REVENUE_SHARE,
    VAT_RATE,
    admin_sql,
    cpu_seconds,
    free_port,
    loadavg,
    operator_entity,
    percentile,
    scratch_name,
    settled_consultation,
    with_database,
)

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
RESULTS = BENCH / "results" / "web.json"
BATCH_TRANSFERS = 10_000
BARE_PATH = "/__bench__/bare/"
PAGES = ("directory", "profile", "records", "dashboard")
CLIENT_EMAIL = "kundin@bench.example"
PARTNER_EMAIL = "berater0@bench.example"
# (slug, name, host, categories) of the two demo-like platforms.
PLATFORMS = (
    (
        "coaching",
        "Coaching-Profis",
        "coaching-profis.bench",
        ("Karriere", "Beziehung", "Stress & Balance"),
    ),
    (
        "karten",
        "Kartenlegen-Profis",
        "kartenlegen-profis.bench",
        ("Tarot", "Lenormand", "Liebe & Partnerschaft"),
    ),
)
FIRST_NAMES = (
    "Anna", "Jonas", "Miriam", "Luna", "Sophia", "Lukas", "Clara", "Felix", "Greta", "Paul",
    "Ida", "Emil", "Lea", "Noah", "Marie", "Ben", "Hanna", "Elias", "Lina", "Theo",
)  # fmt: skip
LAST_NAMES = (
    "Berger", "Keller", "Roth", "Stern", "Wendt", "Schulz", "Vogel", "Brandt", "Krüger",
    "Hoffmann", "Lang", "Busch", "Frank", "Seidel", "Arnold", "Kühn", "Peters", "Jung",
)  # fmt: skip
HEADLINES = (
    "Karriere-Coach mit 15 Jahren Erfahrung",
    "Gelassen durch stressige Zeiten",
    "Paar- und Beziehungscoaching",
    "Tarot für klare Entscheidungen",
    "Lenormand und Liebesfragen",
    "Ehrlich, klar und einfühlsam",
)
REVIEWS = (
    "Sehr einfühlsam und klar – danke!",
    "Hat mir wirklich weitergeholfen.",
    "Schnell erreichbar, gute Fragen.",
    "Etwas kurz, aber hilfreich.",
    "",
)


# --- data ----------------------------------------------------------------------------------


@dataclass
class Plan:
    """The consultations to create, as tuples, before anything is booked: each client's
    top-ups must cover what it spends (a wallet never goes below zero)."""

    rows: list[tuple[Any, ...]] = field(default_factory=list)
    spend: dict[int, int] = field(default_factory=dict)


def populate(args: argparse.Namespace) -> dict[str, Any]:
    from django.contrib.auth.hashers import make_password  # noqa: PLC0415
    from django.db import connection  # noqa: PLC0415
    from django.utils.text import slugify  # noqa: PLC0415

    from sprechzeit.accounts.models import (  # noqa: PLC0415
        Category,
        ClientAccount,
        Listing,
        Partner,
        User,
    )
    from sprechzeit.consultations.models import PartnerPresence, VoiceConfig  # noqa: PLC0415
    from sprechzeit.ledger.services import hot_accounts_fold  # noqa: PLC0415
    from sprechzeit.payments.services.setup import platform_payments_default  # noqa: PLC0415
    from sprechzeit.platforms.models import Platform, PlatformDomain  # noqa: PLC0415
    from sprechzeit.wallets import services as wallets  # noqa: PLC0415

    rng = random.Random(19)
    started = time.perf_counter()
    now = datetime.now(tz=UTC)
    entity = operator_entity()
    platforms = []
    categories: dict[int, list[Any]] = {}
    for index, (slug, name, host, names) in enumerate(PLATFORMS):
        platform = Platform.objects.create(
            name=name,
            slug=slug,
            tagline="Beratung im Minutentakt",
            description="Erfahrene Beraterinnen und Berater per Chat und Telefon.",
            legal_entity=entity,
            contact_email=f"kontakt@{host}",
            vat_rate=Decimal("19.00"),
            default_revenue_share=Decimal("50.00"),
        )
        PlatformDomain.objects.create(platform=platform, host=host, is_primary=True)
        platform_payments_default(platform=platform)
        VoiceConfig.objects.create(
            platform=platform,
            phone_number=f"+49 30 555 01 0{index + 1}",
            auth_token=f"bench-voice-token-{slug}",
        )
        categories[platform.pk] = [
            Category.objects.create(platform=platform, name=label, slug=slugify(label))
            for label in names
        ]
        platforms.append(platform)
    coaching, karten = platforms
    password = make_password("bench-bench-bench")
    User.objects.bulk_create(
        [
            User(
                email=f"berater{n}@bench.example",
                kind=User.Kind.PARTNER,
                password=password,
                first_name=FIRST_NAMES[n % len(FIRST_NAMES)],
                last_name=LAST_NAMES[(n // len(FIRST_NAMES)) % len(LAST_NAMES)],
            )
            for n in range(args.partners)
        ],
        batch_size=5000,
    )
    users = list(User.objects.filter(kind=User.Kind.PARTNER).order_by("pk"))
    Partner.objects.bulk_create(
        [Partner(user=user, is_vetted=True) for user in users], batch_size=5000
    )
    partners = list(Partner.objects.select_related("user").order_by("pk"))
    listings = []
    for index, partner in enumerate(partners):
        # Every partner on the first platform, every second one on the other too.
        for platform in (coaching, karten) if index % 2 == 0 else (coaching,):
            display = f"{partner.user.first_name} {partner.user.last_name}"
            rate = rng.randrange(99, 500, 10)
            video = rng.random() < 0.1
            listings.append(
                Listing(
                    partner=partner,
                    platform=platform,
                    display_name=display,
                    slug=f"{slugify(display)}-{partner.pk}",
                    headline=rng.choice(HEADLINES),
                    description=f"{rng.choice(HEADLINES)}.\n\n"
                    "Ich freue mich auf Ihre Fragen – vertraulich und wertschätzend.",
                    rate_minor=rate,
                    revenue_share=Decimal("50.00"),
                    extension=str(1000 + index),
                    video_enabled=video,
                    video_rate_minor=min(499, rate + 100) if video else None,
                )
            )
    Listing.objects.bulk_create(listings, batch_size=5000)
    listing_rows = list(
        Listing.objects.values_list("pk", "partner_id", "platform_id", "rate_minor")
    )
    Listing.categories.through.objects.bulk_create(
        [
            Listing.categories.through(listing_id=pk, category_id=category.pk)
            for pk, _partner, platform_id, _rate in listing_rows
            for category in rng.sample(categories[platform_id], rng.randint(1, 2))
        ],
        batch_size=5000,
    )
    PartnerPresence.objects.bulk_create(
        [
            PartnerPresence(
                partner=partner,
                status=PartnerPresence.Status.ONLINE
                if index == 0 or rng.random() < 0.25
                else PartnerPresence.Status.OFFLINE,
                changed_at=now,
            )
            for index, partner in enumerate(partners)
        ],
        batch_size=5000,
    )
    clients: dict[int, list[int]] = {}
    for platform in platforms:
        emails = [f"k{n}.{platform.slug}@bench.example" for n in range(args.clients_per_platform)]
        if platform is coaching:
            emails[0] = CLIENT_EMAIL
        User.objects.bulk_create(
            [
                User(email=email, kind=User.Kind.CLIENT, platform=platform, password=password)
                for email in emails
            ],
            batch_size=5000,
        )
        ClientAccount.objects.bulk_create(
            [
                ClientAccount(user=user, platform=platform, customer_number=f"K{user.pk}")
                for user in User.objects.filter(platform=platform).order_by("pk")
            ],
            batch_size=5000,
        )
        clients[platform.pk] = list(
            ClientAccount.objects.filter(platform=platform)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
    measured_client = ClientAccount.objects.get(user__email=CLIENT_EMAIL)
    wallet_of = {
        account.pk: wallets.wallet_for(account).paid.pk
        for account in ClientAccount.objects.select_related("platform")
    }
    payable_of = {
        partner.pk: wallets.partner_payable_account(partner=partner, currency="EUR").pk
        for partner in partners
    }
    setup_seconds = time.perf_counter() - started
    print(f"  partners, listings, clients, accounts: {setup_seconds:.0f} s", flush=True)

    by_partner: dict[int, dict[int, tuple[int, int]]] = {}
    for pk, partner_id, platform_id, rate in listing_rows:
        by_partner.setdefault(partner_id, {})[platform_id] = (pk, rate)
    coaching_listings = [(pk, p, rate) for pk, p, plat, rate in listing_rows if plat == coaching.pk]
    plan = Plan()
    year = 365 * 86400

    def add(partner_id: int, platform_id: int, listing: tuple[int, int], client_id: int) -> None:
        seconds = int(rng.triangular(60, 2400, 420))
        started_at = now - timedelta(seconds=rng.uniform(3600, year))
        plan.rows.append((partner_id, platform_id, listing, client_id, seconds, started_at))

    measured_partner = partners[0]
    for n in range(args.consultations):
        partner = partners[n * len(partners) // args.consultations]
        platform_id, listing = rng.choice(list(by_partner[partner.pk].items()))
        add(partner.pk, platform_id, listing, rng.choice(clients[platform_id][1:]))
    for _ in range(args.partner_consultations):
        platform_id, listing = rng.choice(list(by_partner[measured_partner.pk].items()))
        add(measured_partner.pk, platform_id, listing, rng.choice(clients[platform_id][1:]))
    for _ in range(args.client_consultations):
        pk, partner_id, rate = rng.choice(coaching_listings)
        add(partner_id, coaching.pk, (pk, rate), measured_client.pk)
    # Consecutive consultations of one partner share a ledger batch (few payables each).
    plan.rows.sort(key=lambda row: (row[0], row[5]))
    platform_accounts = _platform_accounts(platforms)
    top_ups = _top_ups(args, rng, now, plan, platforms, clients, measured_client.pk, wallet_of)
    started = time.perf_counter()
    history = _history(rng, plan, platform_accounts, wallet_of, payable_of)
    hot_accounts_fold()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # fresh statistics, as a live database has
    print(f"  a year of history: {time.perf_counter() - started:.0f} s", flush=True)
    return {
        "setup_seconds": round(setup_seconds, 1),
        "history_seconds": round(time.perf_counter() - started, 1),
        "top_ups": top_ups,
        **history,
    }


def _platform_accounts(platforms: list[Any]) -> dict[int, dict[str, int]]:
    from sprechzeit.ledger.models import AccountPurpose  # noqa: PLC0415
    from sprechzeit.wallets import services as wallets  # noqa: PLC0415

    purposes = {
        "provider": AccountPurpose.PROVIDER_CLEARING,
        "clearing": AccountPurpose.CONSULTATION_CLEARING,
        "vat": AccountPurpose.OUTPUT_VAT,
        "revenue": AccountPurpose.PLATFORM_REVENUE,
    }
    return {
        platform.pk: {
            key: wallets.platform_account(platform=platform, purpose=purpose).pk
            for key, purpose in purposes.items()
        }
        for platform in platforms
    }


def _top_ups(
    args: argparse.Namespace,
    rng: random.Random,
    now: datetime,
    plan: Plan,
    platforms: list[Any],
    clients: dict[int, list[int]],
    measured_client_id: int,
    wallet_of: dict[int, int],
) -> int:
    """Payments that cover each client's spending (plus a rest), credited to the wallet:
    the measured client in `--client-top-ups` payments, the others in 50 € steps."""
    from sprechzeit.core.money import Money  # noqa: PLC0415
    from sprechzeit.ledger.services import TransferSpec, transfers_post_linked  # noqa: PLC0415
    from sprechzeit.payments.models import (  # noqa: PLC0415
        Channel,
        Payment,
        PaymentStatus,
        ProviderConfig,
        ProviderKind,
    )

    for _partner, _platform, listing, client_id, seconds, _at in plan.rows:
        plan.spend[client_id] = plan.spend.get(client_id, 0) + _gross(seconds, listing[1])
    accounts = _platform_accounts(platforms)
    sandbox = {
        config.platform_id: config.pk
        for config in ProviderConfig.objects.filter(kind=ProviderKind.SANDBOX)
    }
    payments: list[Any] = []
    for platform in platforms:
        for client_id in clients[platform.pk]:
            need = plan.spend.get(client_id, 0) + 1000
            count = args.client_top_ups if client_id == measured_client_id else -(-need // 5000)
            amount = -(-need // count // 100) * 100
            for _ in range(count):
                moment = now - timedelta(seconds=rng.uniform(3600, 365 * 86400))
                payments.append(
                    Payment(
                        id=uuid.UUID(int=rng.getrandbits(128)),
                        platform_id=platform.pk,
                        client_account_id=client_id,
                        provider_config_id=sandbox[platform.pk],
                        channel=Channel.SANDBOX,
                        amount_minor=amount,
                        currency="EUR",
                        status=PaymentStatus.SUCCEEDED,
                        external_id=f"bench-{len(payments)}",
                        credited_at=moment,
                        created_at=moment,
                        updated_at=moment,
                    )
                )
    Payment.objects.bulk_create(payments, batch_size=5000)
    specs = [
        TransferSpec(
            id=uuid.uuid5(payment.id, "wallet"),
            debit_account=accounts[payment.platform_id]["provider"],
            credit_account=wallet_of[payment.client_account_id],
            amount=Money(payment.amount_minor),
            purpose="top_up",
            reference=f"payment:{payment.id}",
        )
        for payment in payments
    ]
    for offset in range(0, len(specs), BATCH_TRANSFERS):
        transfers_post_linked(transfers=specs[offset : offset + BATCH_TRANSFERS])
    return len(payments)


def _gross(seconds: int, rate_minor: int) -> int:
    """Billed per second at `rate_minor` a minute, rounded up to the cent."""
    return (seconds * rate_minor + 59) // 60


def _history(
    rng: random.Random,
    plan: Plan,
    accounts: dict[int, dict[str, int]],
    wallet_of: dict[int, int],
    payable_of: dict[int, int],
) -> dict[str, int]:
    """The planned consultations as settled rows, a share of them rated, and their money
    booked: wallet → consultation clearing → VAT, partner's payable, platform revenue."""
    from sprechzeit.consultations.billing import split_amount  # noqa: PLC0415
    from sprechzeit.consultations.models import Consultation, Rating  # noqa: PLC0415
    from sprechzeit.core.money import Money  # noqa: PLC0415
    from sprechzeit.ledger.services import TransferSpec, transfers_post_linked  # noqa: PLC0415

    per_batch = BATCH_TRANSFERS // 4
    ratings = 0
    for offset in range(0, len(plan.rows), per_batch):
        rows, rated, specs = [], [], []
        for partner_id, platform_id, listing, client_id, seconds, started_at in plan.rows[
            offset : offset + per_batch
        ]:
            listing_id, rate = listing
            gross = Money(_gross(seconds, rate))
            split = split_amount(gross=gross, vat_rate=VAT_RATE, revenue_share=REVENUE_SHARE)
            consultation_id = uuid.UUID(int=rng.getrandbits(128))
            ended_at = started_at + timedelta(seconds=seconds)
            rows.append(
                settled_consultation(
                    seconds=seconds,
                    rate_minor=rate,
                    split=split,
                    started_at=started_at,
                    id=consultation_id,
                    platform_id=platform_id,
                    listing_id=listing_id,
                    partner_id=partner_id,
                    client_id=client_id,
                    channel=Consultation.Channel.PHONE
                    if rng.random() < 0.1
                    else Consultation.Channel.CHAT,
                    end_reason=Consultation.EndReason.CLIENT,
                    requested_at=started_at - timedelta(seconds=20),
                )
            )
            if seconds >= 180 and rng.random() < 0.3:
                rated.append(
                    Rating(
                        consultation_id=consultation_id,
                        listing_id=listing_id,
                        stars=rng.choices((5, 4, 3, 2, 1), weights=(50, 25, 12, 8, 5))[0],
                        text=rng.choice(REVIEWS),
                        created_at=ended_at + timedelta(minutes=5),
                    )
                )
            own = accounts[platform_id]
            reference = f"consultation:{consultation_id}"
            legs = (
                ("charge", wallet_of[client_id], own["clearing"], gross),
                ("vat", own["clearing"], own["vat"], split.vat),
                ("partner", own["clearing"], payable_of[partner_id], split.partner),
                ("revenue", own["clearing"], own["revenue"], split.platform),
            )
            specs.extend(
                TransferSpec(
                    id=uuid.uuid5(consultation_id, leg),
                    debit_account=debit,
                    credit_account=credit,
                    amount=amount,
                    purpose=f"consultation_{leg}",
                    reference=reference,
                )
                for leg, debit, credit, amount in legs
                if amount.minor
            )
        Consultation.objects.bulk_create(rows, batch_size=5000)
        Rating.objects.bulk_create(rated, batch_size=5000)
        transfers_post_linked(transfers=specs)
        ratings += len(rated)
        if (offset // per_batch) % 10 == 0:
            print(f"  {offset + len(rows)} of {len(plan.rows)} consultations", flush=True)
    return {"consultations": len(plan.rows), "ratings": ratings}


# --- what is measured ----------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    name: str
    path: str
    cookie: str  # "" for an anonymous visitor
    marker: str  # a text the answer must contain (a logged-out or wrong page lacks it)


def session_cookie(user: Any, host: str, *, otp_device: Any = None) -> str:
    """A session as the log-in makes it (bound to `host`, with the second factor when
    `otp_device` is given)."""
    from django.conf import settings  # noqa: PLC0415
    from django.contrib.auth import (  # noqa: PLC0415
        BACKEND_SESSION_KEY,
        HASH_SESSION_KEY,
        SESSION_KEY,
    )
    from django.contrib.sessions.backends.db import SessionStore  # noqa: PLC0415
    from django_otp import DEVICE_ID_SESSION_KEY  # noqa: PLC0415

    from sprechzeit.accounts.sessions import SESSION_HOST_KEY  # noqa: PLC0415

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session[SESSION_HOST_KEY] = host
    if otp_device is not None:
        session[DEVICE_ID_SESSION_KEY] = otp_device.persistent_id
    session.create()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


def targets() -> tuple[str, dict[str, Target], dict[str, int]]:
    """The host, what each phase requests, and the size of what the pages read."""
    from django_otp.plugins.otp_totp.models import TOTPDevice  # noqa: PLC0415

    from sprechzeit.accounts.models import ClientAccount, Listing, Partner  # noqa: PLC0415
    from sprechzeit.consultations.models import Consultation, Rating  # noqa: PLC0415
    from sprechzeit.payments.models import Payment  # noqa: PLC0415

    host = PLATFORMS[0][2]
    client = ClientAccount.objects.select_related("user").get(user__email=CLIENT_EMAIL)
    partner = Partner.objects.select_related("user").get(user__email=PARTNER_EMAIL)
    listing = Listing.objects.get(partner=partner, platform__slug=PLATFORMS[0][0])
    device = TOTPDevice.objects.filter(user=partner.user, confirmed=True).first()
    device = device or TOTPDevice.objects.create(user=partner.user, name="Bench", confirmed=True)
    found = {
        "directory": Target("directory", "/berater/", "", "Berater gefunden"),
        "profile": Target("profile", f"/berater/{listing.slug}/", "", listing.display_name),
        "records": Target(
            "records", "/beratungen/", session_cookie(client.user, host), "Monatssummen"
        ),
        "dashboard": Target(
            "dashboard",
            "/partner/",
            session_cookie(partner.user, host, otp_device=device),
            "Ihre Profile",
        ),
        "bare": Target("bare", BARE_PATH, "", "ok"),
    }
    sizes = {
        "partners": Partner.objects.count(),
        "listings": Listing.objects.count(),
        "directory_listings": Listing.objects.filter(platform__slug=PLATFORMS[0][0]).count(),
        "clients": ClientAccount.objects.count(),
        "consultations": Consultation.objects.count(),
        "ratings": Rating.objects.count(),
        "payments": Payment.objects.count(),
        "measured_client_consultations": client.consultations.count(),
        "measured_client_top_ups": Payment.objects.filter(client_account=client).count(),
        "measured_partner_consultations": partner.consultations.count(),
        "measured_profile_ratings": listing.ratings.count(),
    }
    return host, found, sizes


def queries_per_page(host: str, found: dict[str, Target]) -> dict[str, int]:
    """The queries each page makes on this data (in this process, the product's URLconf;
    the last of three requests, so nothing is counted that a warm process would not do)."""
    from django.db import connection  # noqa: PLC0415
    from django.test import Client  # noqa: PLC0415
    from django.test.utils import CaptureQueriesContext  # noqa: PLC0415

    counts = {}
    for name in PAGES:
        target = found[name]
        browser = Client(HTTP_HOST=host)
        if target.cookie:
            key, value = target.cookie.split("=", 1)
            browser.cookies[key] = value
        for _ in range(3):
            with CaptureQueriesContext(connection) as captured:
                response = browser.get(target.path)
        if response.status_code != 200:
            raise RuntimeError(f"{name}: {response.status_code} in-process")
        counts[name] = len(captured.captured_queries)
    return counts


# --- load ----------------------------------------------------------------------------------


def _session(aiohttp: Any) -> Any:
    """One virtual client: a new connection per request, so the kernel hands each request
    (not each client's kept-alive connection) to one of the server's processes and the
    page and the bare view share both processes' load alike (with kept-alive connections
    the split of the 10 bare-view clients between the two processes decided the ratio);
    no cookie jar (the cookie is sent as a header, the session's only)."""
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=1, force_close=True),
        cookie_jar=aiohttp.DummyCookieJar(),
        timeout=aiohttp.ClientTimeout(total=120),
    )


def _headers(host: str, target: Target) -> dict[str, str]:
    headers = {"Host": host, "Accept-Language": "de"}
    if target.cookie:
        headers["Cookie"] = target.cookie
    return headers


async def check(port: int, host: str, found: dict[str, Target]) -> None:
    """Every target answers 200 with its marker (a session that did not count would be
    redirected to the log-in; the wrong page lacks the marker)."""
    import aiohttp  # noqa: PLC0415

    async with _session(aiohttp) as session:
        for target in found.values():
            url = f"http://127.0.0.1:{port}{target.path}"
            async with session.get(
                url, headers=_headers(host, target), allow_redirects=False
            ) as answer:
                body = await answer.text()
                if answer.status != 200 or target.marker not in body:
                    raise RuntimeError(
                        f"{target.name}: {answer.status}, {target.marker!r} "
                        f"{'found' if target.marker in body else 'missing'}"
                    )


async def solo(port: int, host: str, target: Target, requests: int) -> dict[str, float]:
    """One client alone: the page's service time (after a few requests not counted)."""
    import aiohttp  # noqa: PLC0415

    url = f"http://127.0.0.1:{port}{target.path}"
    times = []
    async with _session(aiohttp) as session:
        for n in range(requests + 10):
            began = time.perf_counter()
            async with session.get(
                url, headers=_headers(host, target), allow_redirects=False
            ) as answer:
                await answer.read()
                if answer.status != 200:
                    raise RuntimeError(f"{target.name}: {answer.status} alone")
            if n >= 10:
                times.append(time.perf_counter() - began)
    return {
        "p50_ms": round(percentile(times, 0.50) * 1000, 1),
        "p95_ms": round(percentile(times, 0.95) * 1000, 1),
    }


async def phase(
    port: int,
    host: str,
    page: Target,
    bare: Target,
    args: argparse.Namespace,
    server_pid: int,
) -> dict[str, Any]:
    """`--clients` closed-loop clients for warm-up + `--seconds`, `--bare-clients` of
    them on the bare view; latencies of requests begun in the measured window count."""
    import aiohttp  # noqa: PLC0415

    loop = asyncio.get_running_loop()
    measure_from = loop.time() + args.warmup
    measure_to = measure_from + args.seconds
    latencies: dict[str, list[float]] = {"page": [], "bare": []}
    errors: dict[str, int] = {"page": 0, "bare": 0}
    statuses: dict[int, int] = {}

    async def client(kind: str, target: Target) -> None:
        url = f"http://127.0.0.1:{port}{target.path}"
        headers = _headers(host, target)
        async with _session(aiohttp) as session:
            while (began := loop.time()) < measure_to:
                try:
                    async with session.get(url, headers=headers, allow_redirects=False) as answer:
                        await answer.read()
                        status = answer.status
                except (aiohttp.ClientError, TimeoutError):
                    status = 0
                took = loop.time() - began
                if began < measure_from:
                    continue
                if status == 200:
                    latencies[kind].append(took)
                else:
                    errors[kind] += 1
                    statuses[status] = statuses.get(status, 0) + 1

    cpu: dict[str, float] = {}

    async def server_cpu() -> None:
        await asyncio.sleep(max(0.0, measure_from - loop.time()))
        cpu["from"] = cpu_seconds(server_pid)
        await asyncio.sleep(args.seconds)
        cpu["to"] = cpu_seconds(server_pid)

    own_from = time.process_time()
    await asyncio.gather(
        server_cpu(),
        *(client("bare", bare) for _ in range(args.bare_clients)),
        *(client("page", page) for _ in range(args.clients - args.bare_clients)),
    )
    own = time.process_time() - own_from
    page_p95 = percentile(latencies["page"], 0.95)
    bare_p95 = percentile(latencies["bare"], 0.95)
    return {
        "p50_ms": round(percentile(latencies["page"], 0.50) * 1000, 1),
        "p95_ms": round(page_p95 * 1000, 1),
        "p99_ms": round(percentile(latencies["page"], 0.99) * 1000, 1),
        "rps": round(len(latencies["page"]) / args.seconds, 1),
        "bare_p50_ms": round(percentile(latencies["bare"], 0.50) * 1000, 1),
        "bare_p95_ms": round(bare_p95 * 1000, 1),
        "bare_rps": round(len(latencies["bare"]) / args.seconds, 1),
        "ratio": round(page_p95 / bare_p95, 2),
        "errors": errors["page"] + errors["bare"],
        "error_statuses": {str(k): v for k, v in sorted(statuses.items())},
        "server_cpu_cores": round((cpu["to"] - cpu["from"]) / args.seconds, 2),
        "load_generator_cpu_cores": round(own / (args.warmup + args.seconds), 2),
    }


def run_round(
    number: int,
    port: int,
    host: str,
    found: dict[str, Target],
    args: argparse.Namespace,
    server_pid: int,
) -> dict[str, Any]:
    load = loadavg()
    alone = {
        name: _run(solo(port, host, found[name], args.solo_requests)) for name in (*PAGES, "bare")
    }
    pages = {}
    for name in PAGES:
        pages[name] = _run(phase(port, host, found[name], found["bare"], args, server_pid))
        print(f"  round {number} {name}: {json.dumps(pages[name])}", flush=True)
    one = {
        "round": number,
        "loadavg_before": load,
        "alone": alone,
        "pages": pages,
        "loadavg_after": loadavg(),
    }
    print(json.dumps({"round": number, "alone": alone}), flush=True)
    return one


def _run(coroutine: Any) -> Any:
    """The load generator's event loop: uvloop when installed (uvicorn's standard extras)."""
    try:
        import uvloop  # noqa: PLC0415
    except ImportError:
        return asyncio.run(coroutine)
    return uvloop.run(coroutine)


def summary(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    def median(values: list[float]) -> float:
        return round(float(statistics.median(values)), 2)

    pages = {}
    for name in PAGES:
        phases = [one["pages"][name] for one in rounds]
        pages[name] = {
            "p95_ms": median([p["p95_ms"] for p in phases]),
            "rps": median([p["rps"] for p in phases]),
            "ratio": median([p["ratio"] for p in phases]),
            "p50_ms": median([p["p50_ms"] for p in phases]),
            "bare_p95_ms": median([p["bare_p95_ms"] for p in phases]),
            "alone_p50_ms": median([one["alone"][name]["p50_ms"] for one in rounds]),
            "alone_p95_ms": median([one["alone"][name]["p95_ms"] for one in rounds]),
            "goal_met": median([p["ratio"] for p in phases]) <= 2.0,
        }
    bare = {
        "alone_p50_ms": median([one["alone"]["bare"]["p50_ms"] for one in rounds]),
        "alone_p95_ms": median([one["alone"]["bare"]["p95_ms"] for one in rounds]),
    }
    return {"pages": pages, "bare": bare}


# --- main ------------------------------------------------------------------------------------


def start_server(args: argparse.Namespace, url: str, redis_url: str, port: int) -> Any:
    """uvicorn as deploy/systemd/sprechzeit-web.service runs it, on the bench's settings."""
    path = [str(BENCH), os.environ.get("PYTHONPATH", "")]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(part for part in path if part),
        "DJANGO_SETTINGS_MODULE": "web_settings",
        "DATABASE_URL": url,
        "REDIS_URL": redis_url,
        "SPRECHZEIT_MODE": "test",
    }
    if args.conn_max_age:
        env["DB_CONN_MAX_AGE"] = str(args.conn_max_age)
        env.pop("DB_POOL_MAX_SIZE", None)
    else:
        # The production default (config/database.py); the test mode's default is none.
        env["DB_POOL_MAX_SIZE"] = str(args.pool)
        env.pop("DB_CONN_MAX_AGE", None)
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "sprechzeit.config.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(args.workers),
            "--no-proxy-headers",
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        env=env,
    )
    deadline = time.time() + 60
    while time.time() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return server
        time.sleep(0.2)
    server.terminate()
    raise RuntimeError("the server did not start within 60 s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--partners", type=int, default=2000)
    parser.add_argument("--clients-per-platform", type=int, default=1000)
    parser.add_argument(
        "--consultations", type=int, default=150_000, help="a year's, over all partners"
    )
    parser.add_argument("--client-consultations", type=int, default=400)
    parser.add_argument("--client-top-ups", type=int, default=150)
    parser.add_argument("--partner-consultations", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients")
    parser.add_argument("--bare-clients", type=int, default=10)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--solo-requests", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument("--pool", type=int, default=10, help="DB_POOL_MAX_SIZE per process")
    parser.add_argument(
        "--conn-max-age", type=int, default=0, help="DB_CONN_MAX_AGE instead of the pool"
    )
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument(
        "--reuse", action="store_true", help="measure a scratch database kept by --keep"
    )
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("Set DATABASE_URL to the PostgreSQL server (postgres://…).")
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/8")
    scratch = scratch_name(url, "_bench_web")
    scratch_url = with_database(url, scratch)
    if not args.reuse:
        admin_sql(url, f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
        admin_sql(url, f'CREATE DATABASE "{scratch}"')
    os.environ.update(
        {
            "DATABASE_URL": scratch_url,
            "REDIS_URL": redis_url,
            "SPRECHZEIT_MODE": "test",
            "DJANGO_SETTINGS_MODULE": "sprechzeit.config.settings",
        }
    )
    server = None
    try:
        import django  # noqa: PLC0415
        from django.core.management import call_command  # noqa: PLC0415

        django.setup()
        data: dict[str, Any] = {}
        call_command("migrate", verbosity=0)  # with --reuse: an index added since
        if not args.reuse:
            data = populate(args)
        host, found, sizes = targets()
        queries = queries_per_page(host, found)
        print(f"sizes {json.dumps(sizes)}\nqueries {json.dumps(queries)}", flush=True)
        from django.db import connections  # noqa: PLC0415

        connections.close_all()
        port = free_port()
        server = start_server(args, scratch_url, redis_url, port)
        _run(check(port, host, found))
        rounds = [
            run_round(number, port, host, found, args, server.pid)
            for number in range(1, args.rounds + 1)
        ]
        from sprechzeit.ledger.check import ledger_check  # noqa: PLC0415

        ledger_ok = ledger_check().ok
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        from django.db import connections  # noqa: PLC0415

        connections.close_all()
        if not args.keep:
            admin_sql(url, f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
    result = {
        **summary(rounds),
        "queries": queries,
        "data": {**sizes, **{k: v for k, v in data.items() if k.endswith("seconds")}},
        "concurrency": args.clients,
        "bare_clients": args.bare_clients,
        "seconds": args.seconds,
        "warmup_seconds": args.warmup,
        "solo_requests": args.solo_requests,
        "server": f"uvicorn, {args.workers} worker processes, "
        + (
            f"DB_CONN_MAX_AGE={args.conn_max_age}"
            if args.conn_max_age
            else f"DB_POOL_MAX_SIZE={args.pool}"
        ),
        "load_generator": "one asyncio process (aiohttp on uvloop) on the same machine",
        "cpus": os.cpu_count(),
        "rounds": rounds,
        "ledger_check_ok": ledger_ok,
        "measured_at": datetime.now(tz=UTC).isoformat(timespec="seconds"),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(result["pages"], indent=2))
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
