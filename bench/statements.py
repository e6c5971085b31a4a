"""Statements benchmark on PostgreSQL: close a month of N partners and M consultations
(with the CII XML of every credit note), then render the PDFs of every issued note.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sprechzeit python bench/statements.py
    (defaults: --partners 10000 --consultations 1000000 --pdf-rounds 3, every issued
    note's PDF, --processes = CPU count; --consultations 100000 sets up in about a
    tenth of the time, for iterating on the PDF phase)

Set-up, in a scratch database (`<name>_bench_statements`, created afresh, dropped after):
partners, listings, clients and tax profiles are bulk-inserted; the consultations are
bulk-inserted as settled rows and their money goes through the ledger's batch path
(`transfers_post_linked`, 10,000 transfers a batch: consultation clearing → the
partner's payable, the partner's share of each consultation). No hand-written SQL.

Measured: `statements_close` (drafts, numbers, XML + XSD check, VAT bookings) in
seconds, and PDFs per second: `statements_render_pdfs` (the month-end run of the
command and the Celery task: chunks of statements over worker processes, each PDF one
WeasyPrint pass with the XML embedded, stored with its hash) over all issued notes,
in `--pdf-rounds` rounds; between rounds the stored PDFs are cleared (the scratch
database's superuser may, through the maintenance switch). Each round records the load
average before and after (the machine may be shared) and checks a seeded sample of
its PDFs (a PDF, the stored hash, the embedded `factur-x.xml` equal to the stored XML);
the result is the median round. Results go to bench/results/statements.json; `ledger
check` must pass and every partner's statement must equal the ledger movements of its
payable.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from common import (
    REVENUE_SHARE,
    VAT_RATE,
    admin_sql,
    operator_entity,
    scratch_name,
    settled_consultation,
    with_database,
)

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "statements.json"
BATCH = 10_000


def django_setup(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("SPRECHZEIT_MODE", "test")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sprechzeit.config.settings")
    sys.path.insert(0, str(ROOT / "src"))
    import django  # noqa: PLC0415

    django.setup()
    from django.core.management import call_command  # noqa: PLC0415

    call_command("migrate", verbosity=0)


def populate(partners: int, consultations: int) -> dict[str, Any]:
    from django.contrib.auth.hashers import make_password  # noqa: PLC0415

    from sprechzeit.accounts.models import ClientAccount, Listing, Partner, User  # noqa: PLC0415
    from sprechzeit.consultations.billing import split_amount  # noqa: PLC0415
    from sprechzeit.consultations.models import Consultation  # noqa: PLC0415
    from sprechzeit.core.money import Money  # noqa: PLC0415
    from sprechzeit.ledger import services as ledger  # noqa: PLC0415
    from sprechzeit.ledger.models import AccountPurpose  # noqa: PLC0415
    from sprechzeit.ledger.services import TransferSpec  # noqa: PLC0415
    from sprechzeit.legal.models import Consent  # noqa: PLC0415
    from sprechzeit.legal.services import legal_document_issue  # noqa: PLC0415
    from sprechzeit.legal.texts import starter_texts  # noqa: PLC0415
    from sprechzeit.platforms.models import Platform  # noqa: PLC0415
    from sprechzeit.statements.models import PartnerTaxProfile  # noqa: PLC0415
    from sprechzeit.statements.vat import VatStatus  # noqa: PLC0415
    from sprechzeit.wallets import services as wallets  # noqa: PLC0415

    rng = random.Random(6)
    started = time.perf_counter()
    entity = operator_entity()
    platforms = [
        Platform.objects.create(
            name=f"Bench {n}", slug=f"bench{n}", legal_entity=entity, contact_email="k@b.example"
        )
        for n in range(2)
    ]
    password = make_password("bench-bench-bench")
    User.objects.bulk_create(
        [
            User(email=f"berater{n}@bench.example", kind=User.Kind.PARTNER, password=password)
            for n in range(partners)
        ],
        batch_size=5000,
    )
    users = list(User.objects.filter(kind=User.Kind.PARTNER).order_by("pk"))
    # self-billing is agreed per issuing entity (§ 14 Abs. 2 UStG): the entity's
    # agreement, and every partner's consent to it (without it every note is held)
    starter = next(t for t in starter_texts(platform=platforms[0]) if t.kind == "self_billing")
    agreement = legal_document_issue(
        platform=platforms[0],
        kind=starter.kind,
        title_de=starter.title_de,
        text_de=starter.text_de,
        valid_from=datetime.fromisoformat("2025-01-01T00:00:00+01:00"),
    )
    Consent.objects.bulk_create(
        [
            Consent(
                user=user,
                document=agreement,
                purpose=Consent.Purpose.SELF_BILLING,
                at=datetime.fromisoformat("2026-01-02T12:00:00+01:00"),
            )
            for user in users
        ],
        batch_size=5000,
    )
    Partner.objects.bulk_create([Partner(user=user) for user in users], batch_size=5000)
    partner_rows = list(Partner.objects.order_by("pk"))
    Listing.objects.bulk_create(
        [
            Listing(
                partner=partner,
                platform=platform,
                display_name=f"Berater {partner.pk}",
                slug=f"b{partner.pk}",
                rate_minor=199,
                revenue_share=Decimal("50.00"),
            )
            for partner in partner_rows
            for platform in platforms
        ],
        batch_size=5000,
    )
    listings = {
        (listing.partner_id, listing.platform_id): listing.pk
        for listing in Listing.objects.only("pk", "partner_id", "platform_id")
    }
    statuses = list(VatStatus)
    ibans = {
        VatStatus.REGULAR: ("DE", "DE136695976", "", "DE02120300000000202051"),
        VatStatus.SMALL_BUSINESS: ("DE", "", "1123456789", "DE02100100100006820101"),
        VatStatus.EU_REVERSE_CHARGE: ("AT", "ATU13585627", "", "AT611904300234573201"),
        VatStatus.NON_EU: ("CH", "", "CHE-116.281.710", "CH9300762011623852957"),
    }
    now = datetime.fromisoformat("2026-11-01T03:00:00+01:00")
    profiles = []
    for index, partner in enumerate(partner_rows):
        status = statuses[index % 4]
        country, vat_id, tax_number, iban = ibans[status]
        profiles.append(
            PartnerTaxProfile(
                partner=partner,
                legal_name=f"Berater {partner.pk}",
                street="Beraterweg",
                building_number=str(index),
                postal_code="10115",
                city="Berlin",
                country=country,
                vat_id=vat_id,
                tax_number=tax_number,
                vat_status=status,
                iban=iban,
                account_holder=f"Berater {partner.pk}",
                iban_verified_at=now,
                self_billing_accepted_at=now,
                self_billing_version="2026-01",
                updated_at=now,
            )
        )
    PartnerTaxProfile.objects.bulk_create(profiles, batch_size=5000)
    clients = []
    for platform in platforms:
        User.objects.bulk_create(
            [
                User(
                    email=f"k{n}@bench.example",
                    kind=User.Kind.CLIENT,
                    platform=platform,
                    password=password,
                )
                for n in range(500)
            ]
        )
        client_users = User.objects.filter(platform=platform).order_by("pk")
        ClientAccount.objects.bulk_create(
            [
                ClientAccount(user=user, platform=platform, customer_number=f"K{user.pk}")
                for user in client_users
            ]
        )
        clients.append(
            list(ClientAccount.objects.filter(platform=platform).values_list("pk", flat=True))
        )
    clearing = [
        wallets.platform_account(platform=platform, purpose=AccountPurpose.CONSULTATION_CLEARING)
        for platform in platforms
    ]
    payables = {
        partner.pk: wallets.partner_payable_account(partner=partner, currency="EUR")
        for partner in partner_rows
    }
    setup_seconds = time.perf_counter() - started
    period_start = datetime.fromisoformat("2026-10-01T08:00:00+02:00")
    started = time.perf_counter()
    expected: dict[int, int] = {}
    for offset in range(0, consultations, BATCH):
        rows = []
        specs = []
        for n in range(offset, min(offset + BATCH, consultations)):
            # consecutive consultations share a partner, so a ledger batch touches a
            # hundred payables rather than ten thousand (as a settlement feed would)
            partner = partner_rows[n * partners // consultations]
            p_index = rng.randrange(2)
            platform = platforms[p_index]
            seconds = rng.randint(60, 1800)
            gross = Money((seconds * 199 + 59) // 60)
            split = split_amount(gross=gross, vat_rate=VAT_RATE, revenue_share=REVENUE_SHARE)
            moment = period_start + timedelta(seconds=(n * 2) % (29 * 86400))
            consultation_id = uuid.UUID(int=rng.getrandbits(128))
            rows.append(
                settled_consultation(
                    seconds=seconds,
                    rate_minor=199,
                    split=split,
                    started_at=moment,
                    id=consultation_id,
                    platform=platform,
                    listing_id=listings[(partner.pk, platform.pk)],
                    partner=partner,
                    client_id=clients[p_index][n % len(clients[p_index])],
                    requested_at=moment,
                )
            )
            if split.partner.minor:
                specs.append(
                    TransferSpec(
                        id=uuid.uuid5(consultation_id, "partner"),
                        debit_account=clearing[p_index],
                        credit_account=payables[partner.pk],
                        amount=split.partner,
                        purpose="consultation_partner",
                        reference=f"consultation:{consultation_id}",
                    )
                )
                expected[partner.pk] = expected.get(partner.pk, 0) + split.partner.minor
        Consultation.objects.bulk_create(rows, batch_size=5000)
        ledger.transfers_post_linked(transfers=specs)
        if (offset // BATCH) % 10 == 0:
            print(
                f"  {offset + len(rows)} consultations after {time.perf_counter() - started:.0f} s",
                flush=True,
            )
    return {
        "setup_seconds": round(setup_seconds, 1),
        "consultations_seconds": round(time.perf_counter() - started, 1),
        "expected": expected,
        "payables": payables,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--partners", type=int, default=10_000)
    parser.add_argument("--consultations", type=int, default=1_000_000)
    parser.add_argument("--pdfs", type=int, default=0, help="PDFs per round (0: every note).")
    parser.add_argument("--pdf-rounds", type=int, default=3)
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--pdf-sample", type=int, default=50, help="PDFs checked per round.")
    parser.add_argument(
        "--no-schematron",
        action="store_true",
        help="Close with the XSD check only (STATEMENTS_SCHEMATRON_AT_ISSUE = False): the"
        " EN 16931 Schematron costs ~0.1 s per note, about 20 minutes for 10,000.",
    )
    parser.add_argument("--keep", action="store_true", help="Keep the scratch database.")
    parser.add_argument("--profile", action="store_true", help="Profile the close (cProfile).")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("Set DATABASE_URL to the PostgreSQL server (postgres://…).")
    scratch = scratch_name(url, "_bench_statements")
    admin_sql(url, f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
    admin_sql(url, f'CREATE DATABASE "{scratch}"')
    try:
        django_setup(with_database(url, scratch))
        result = run(args)
    finally:
        if not args.keep:
            from django.db import connections  # noqa: PLC0415

            connections.close_all()
            admin_sql(url, f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


def run(args: argparse.Namespace) -> dict[str, Any]:
    from sprechzeit.core import clock  # noqa: PLC0415
    from sprechzeit.ledger.check import ledger_check  # noqa: PLC0415
    from sprechzeit.ledger.selectors import accounts_balances  # noqa: PLC0415
    from sprechzeit.statements import services  # noqa: PLC0415
    from sprechzeit.statements.models import Statement  # noqa: PLC0415

    if args.no_schematron:
        from django.conf import settings  # noqa: PLC0415

        settings.STATEMENTS_SCHEMATRON_AT_ISSUE = False
    data = populate(args.partners, args.consultations)
    print(
        f"set-up {data['setup_seconds']} s, consultations {data['consultations_seconds']} s",
        flush=True,
    )
    progress_at = time.perf_counter()

    def progress(done: int, total: int) -> None:
        if done % 1000 == 0 or done == total:
            print(f"  {done}/{total} after {time.perf_counter() - progress_at:.1f} s", flush=True)

    started = time.perf_counter()
    with clock.frozen_at(datetime.fromisoformat("2026-11-01T03:00:00+01:00")):
        if args.profile:
            import cProfile  # noqa: PLC0415
            import pstats  # noqa: PLC0415

            profiler = cProfile.Profile()
            closed = profiler.runcall(services.statements_close, period="2026-10")
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
        else:
            closed = services.statements_close(period="2026-10", progress=progress)
    close_seconds = time.perf_counter() - started
    # every statement equals the ledger movements of the partner's payable in the period
    shares = dict(Statement.objects.values_list("partner_id", "net_minor"))
    mismatched = sum(1 for pk, minor in data["expected"].items() if shares.get(pk) != minor)
    issued = Statement.objects.filter(status=Statement.Status.ISSUED)
    vat = dict(issued.values_list("partner_id", "vat_minor"))
    balances = accounts_balances(accounts=list(data["payables"].values()))
    payable_mismatch = sum(
        1
        for pk, account in data["payables"].items()
        if balances[int(account.pk)].posted.minor != data["expected"].get(pk, 0) + vat.get(pk, 0)
    )
    documents = issued.order_by("pk").values_list("pk", flat=True)
    sample = list(documents[: args.pdfs] if args.pdfs else documents)
    rounds: list[dict[str, Any]] = []
    for number in range(args.pdf_rounds):
        rounds.append(pdf_round(sample, args, number))
        # each round's figures are kept as soon as it ends (a long run may be cut short)
        partial = args.out.with_suffix(".rounds.json")
        partial.write_text(json.dumps(rounds, indent=2) + "\n")
    # the median round (of an even number, the slower middle one)
    median = sorted(rounds, key=lambda one: one["pdfs_per_second"])[(len(rounds) - 1) // 2]
    report = ledger_check()
    return {
        "partners": args.partners,
        "consultations": args.consultations,
        "statements_issued": closed.issued,
        "statements_held": closed.held,
        "close_seconds": round(close_seconds, 1),
        "statements_per_second": round(closed.issued / close_seconds, 1) if close_seconds else None,
        "close_schematron": not args.no_schematron,
        "pdfs_rendered": median["pdfs_rendered"],
        "pdfs_per_second": median["pdfs_per_second"],
        "pdf_seconds": median["pdf_seconds"],
        "pdf_processes": median["processes"],
        "pdf_rounds": rounds,
        "setup_seconds": data["setup_seconds"],
        "consultations_and_ledger_seconds": data["consultations_seconds"],
        "statements_not_equal_to_ledger": mismatched,
        "payables_not_equal_to_statements": payable_mismatch,
        "ledger_check_ok": report.ok,
        "cpu_count": os.cpu_count(),
        "database": "postgresql",
    }


def pdf_round(ids: list[int], args: argparse.Namespace, number: int) -> dict[str, Any]:
    """Render the PDFs of `ids` (none stored: the first round follows the close, later
    ones clear them first), timed, then check a seeded sample of them."""
    from sprechzeit.ledger.guard import ledger_maintenance  # noqa: PLC0415
    from sprechzeit.statements import services  # noqa: PLC0415
    from sprechzeit.statements.models import Statement  # noqa: PLC0415

    with ledger_maintenance():
        Statement.objects.filter(pk__in=ids).exclude(pdf=None).update(pdf=None, pdf_sha256="")
    load_before = [round(x, 2) for x in os.getloadavg()]
    started = time.perf_counter()

    def progress(done: int, total: int) -> None:
        if done % 1000 == 0 or done == total:
            print(
                f"  round {number + 1}: {done}/{total} PDFs after "
                f"{time.perf_counter() - started:.0f} s",
                flush=True,
            )

    run = services.statements_render_pdfs(ids=ids, processes=args.processes, progress=progress)
    seconds = time.perf_counter() - started
    load_after = [round(x, 2) for x in os.getloadavg()]
    checked = random.Random(number).sample(ids, min(args.pdf_sample, len(ids)))
    return {
        "round": number + 1,
        "pdfs_rendered": run.rendered,
        "pdfs_failed": len(run.failed),
        "pdf_seconds": round(seconds, 1),
        "pdfs_per_second": round(run.rendered / seconds, 2) if seconds else 0.0,
        "processes": run.processes,
        "load_average_before": load_before,
        "load_average_after": load_after,
        "sample_checked": len(checked),
        "sample_invalid": pdfs_invalid(checked),
    }


def pdfs_invalid(ids: list[int]) -> list[int]:
    """Those of `ids` whose stored PDF is missing, not a PDF, not its stored hash, or
    whose embedded `factur-x.xml` is not the stored XML byte for byte."""
    import hashlib  # noqa: PLC0415
    import io  # noqa: PLC0415

    from pypdf import PdfReader  # noqa: PLC0415

    from sprechzeit.statements.models import Statement  # noqa: PLC0415

    invalid = []
    for pk, pdf, sha256, xml in Statement.objects.filter(pk__in=ids).values_list(
        "pk", "pdf", "pdf_sha256", "xml"
    ):
        blob = bytes(pdf or b"")
        attached = (
            PdfReader(io.BytesIO(blob)).attachments.get("factur-x.xml", [b""])[0]
            if blob.startswith(b"%PDF")
            else b""
        )
        if (
            len(blob) == 0
            or hashlib.sha256(blob).hexdigest() != sha256
            or attached != bytes(xml or b"")
        ):
            invalid.append(pk)
    return sorted(invalid)


if __name__ == "__main__":
    main()
