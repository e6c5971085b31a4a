"""Month end on what `sprechzeit simulate` made: the simulation creates a complete network
(operators with address, VAT ID, tax number and bank; partners in all four VAT cases,
some with incomplete data), so closing January issues credit notes in every VAT case
and holds the incomplete ones, the export and the payout run write files that pass the
XSDs and the EN 16931 Schematron, the bank's collective answer confirms the payouts,
and the ledger check is clean. Outside demo mode, or when it books nothing, the command
fails loudly.

The issue's full run (`--platforms 2 --partners 12 --clients 200 --days 62 --seed 5`)
takes minutes; this is the same path on a smaller seeded network."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from schwifty import IBAN
from stdnum.eu import vat as eu_vat

from sprechzeit.core import clock
from sprechzeit.ledger.tests.helpers import assert_ledger_sound
from sprechzeit.payouts import lines
from sprechzeit.payouts.models import Payout, PayoutRun
from sprechzeit.payouts.sepa import sepa_errors
from sprechzeit.payouts.tests.bank_answers import camt053_collective, written
from sprechzeit.platforms.models import LegalEntity
from sprechzeit.statements.documents.validation import SchematronValidator, xsd_errors
from sprechzeit.statements.models import PartnerTaxProfile, Statement
from sprechzeit.statements.vat import VatStatus

pytestmark = pytest.mark.django_db


def simulate(*args: str) -> str:
    out = io.StringIO()
    call_command("simulate", *args, stdout=out)
    return out.getvalue()


def test_simulate_refuses_outside_demo_mode(settings: object) -> None:
    settings.SPRECHZEIT_MODE = "production"  # type: ignore[attr-defined]
    with pytest.raises(CommandError, match="SPRECHZEIT_MODE=demo"):
        simulate("--platforms", "1", "--partners", "1", "--clients", "1", "--days", "1")
    assert not LegalEntity.objects.exists()


def test_simulate_fails_when_it_booked_nothing() -> None:
    # seed 1 with one client for one day: no top-up, so no consultation is paid
    with pytest.raises(CommandError, match="booked nothing"):
        simulate("--platforms", "1", "--partners", "1", "--clients", "1", "--days", "1")


def test_month_end_on_a_simulated_network(tmp_path: Path) -> None:
    report = simulate(
        *("--platforms", "2", "--partners", "6", "--clients", "24", "--days", "32"),
        *("--seed", "5"),
    )
    assert "ledger=OK" in report
    assert "incomplete (held at close): 1" in report
    for entity in LegalEntity.objects.all():
        assert all((entity.street, entity.postal_code, entity.city, entity.register_entry))
        assert entity.country == "DE"
        assert eu_vat.is_valid(entity.vat_id)
        assert entity.tax_number
        assert entity.bic == str(IBAN(entity.iban).bic)
    profiles = PartnerTaxProfile.objects.all()
    assert {profile.vat_status for profile in profiles} == set(VatStatus)
    assert any(
        "ü" in profile.account_holder or "ß" in profile.account_holder for profile in profiles
    )
    with clock.frozen_at(datetime(2026, 2, 10, 9, tzinfo=UTC)):
        call_command("statements", "close", "--period", "2026-01", stdout=io.StringIO())
    issued = Statement.objects.filter(status=Statement.Status.ISSUED)
    assert {note.vat_status for note in issued} == set(VatStatus)
    assert Statement.objects.filter(status=Statement.Status.HELD).exists()
    # the export: every e-invoice passes the CII XSD and the EN 16931 Schematron
    out = tmp_path / "export"
    call_command(
        "statements", "export", "--period", "2026-01", "--out", str(out), stdout=io.StringIO()
    )
    schematron = SchematronValidator()
    documents = sorted(out.glob("*.xml"))
    assert len(documents) == 2 * issued.count()
    for path in documents:
        xml = path.read_bytes()
        assert xsd_errors(xml) == [], path.name
        failures = [
            failure
            for failure in schematron.failures(xml)
            if not (path.name.endswith("_xrechnung.xml") and failure.id == "FX-SCH-A-000556")
        ]
        assert failures == [], (path.name, failures)
    assert len(list(out.glob("*.pdf"))) == issued.count()
    # the payout run: DK-valid files whose ids the bank answers with
    with clock.frozen_at(datetime(2026, 2, 11, 9, tzinfo=UTC)):
        call_command("payouts", "run", "--out", str(tmp_path / "sepa"), stdout=io.StringIO())
    runs = list(PayoutRun.objects.all())
    assert runs
    for run in runs:
        file = (tmp_path / "sepa" / f"{run.message_id}.xml").read_bytes()
        assert sepa_errors(file) == []
        sent = written(file)
        assert (sent.message_id, sent.payment_info_id) == (run.message_id, run.payment_info_id)
        result = lines.payouts_import_camt(
            xml=camt053_collective(sent, statement_id=f"STMT-{run.pk}")
        )
        assert len(result.confirmed) == run.count
    assert not Payout.objects.filter(status=Payout.Status.IN_TRANSIT).exists()
    call_command("ledger", "check", stdout=io.StringIO())  # raises on a violation
    assert_ledger_sound()
