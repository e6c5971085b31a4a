"""Staff decide a chargeback: each outcome's ledger effect, notes and verified evidence,
exactly one audit entry per action."""

from __future__ import annotations

import io

import pytest
from PIL import Image, PngImagePlugin
from pypdf import PdfWriter

from sprechzeit.audit.models import AuditEntry
from sprechzeit.audit.selectors import history_for
from sprechzeit.collections import errors
from sprechzeit.collections.evidence import evidence_verify
from sprechzeit.collections.models import CaseStatus, DisputeEvidence, DunningCase
from sprechzeit.collections.services.disputes import (
    dispute_evidence_add,
    dispute_note_add,
    dispute_outcome,
)
from sprechzeit.collections.tests.factories import charged_back, eur, risk_staff
from sprechzeit.ledger import selectors as ledger_selectors
from sprechzeit.ledger.models import Account, AccountPurpose
from sprechzeit.ledger.tests.helpers import assert_ledger_sound
from sprechzeit.payments import selectors as payment_selectors
from sprechzeit.payments.models import DisputeStatus
from sprechzeit.wallets import services as wallets

pytestmark = pytest.mark.django_db


def _pdf(pages: int = 1, extra: bytes = b"") -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=200, height=200)
    out = io.BytesIO()
    writer.write(out)
    data = out.getvalue()
    return data.replace(b"%%EOF", extra + b"%%EOF") if extra else data


def _png() -> bytes:
    """A PNG with a text chunk, which re-encoding drops."""
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "secret-metadata")
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 10, 10)).save(out, format="PNG", pnginfo=info)
    return out.getvalue()


def _partner_payables() -> list[int]:
    return [
        ledger_selectors.account_balance(account=a).posted.minor
        for a in Account.objects.filter(purpose=AccountPurpose.PARTNER_PAYABLE)
    ]


@pytest.mark.parametrize("outcome", [DisputeStatus.LOST, DisputeStatus.ACCEPTED])
def test_lost_or_accepted_keeps_the_debit_and_the_client_enters_dunning(outcome: str) -> None:
    account, _policy, payment, dispute = charged_back(top_up=3000, spent=2400)
    staff = risk_staff()
    payables = _partner_payables()
    assert wallets.wallet_balance(client_account=account).receivable == eur(2400)
    case = dispute_outcome(actor=staff, dispute=dispute, outcome=outcome, reason="no proof")
    dispute.refresh_from_db()
    assert dispute.status == outcome
    assert dispute.closed_at is not None
    assert case is not None
    assert case.status == CaseStatus.OPEN
    assert case.owed_at_open_minor == 2400
    balance = wallets.wallet_balance(client_account=account)
    assert balance.total == eur(-2400)
    assert _partner_payables() == payables  # the partner's share is never touched
    [entry] = history_for(dispute)
    assert entry.action == "dispute.outcome"
    assert entry.after is not None
    assert entry.after["status"] == outcome
    assert entry.after["dunning_case"] == case.pk
    assert AuditEntry.objects.count() == 1
    rows = payment_selectors.payment_rows(account)
    assert rows[0].payment == payment
    assert rows[0].tone == "error"
    assert_ledger_sound()
    with pytest.raises(errors.DisputeDecided):
        dispute_outcome(actor=staff, dispute=dispute, outcome=DisputeStatus.WON)
    assert AuditEntry.objects.count() == 1


def test_won_restores_the_debit_settles_the_receivable_and_unblocks() -> None:
    account, _policy, payment, dispute = charged_back(top_up=3000, spent=2400)
    staff = risk_staff()
    assert payment_selectors.payment_rows(account)[0].status.startswith("angefochten")
    case = dispute_outcome(actor=staff, dispute=dispute, outcome=DisputeStatus.WON)
    assert case is None
    balance = wallets.wallet_balance(client_account=account)
    assert balance.receivable == eur(0)
    assert balance.paid == eur(600)
    wallets.wallet_check_spend(client_account=account)  # no longer blocked
    payment.refresh_from_db()
    assert payment.charged_back_minor == 0
    assert not DunningCase.objects.exists()
    after = history_for(dispute).get().after
    assert after is not None
    assert after["restored_minor"] == 3000
    assert "abgewiesen" in payment_selectors.payment_rows(account)[0].status
    assert_ledger_sound()


def test_unknown_outcome_is_refused_without_an_entry() -> None:
    _account, _policy, _payment, dispute = charged_back()
    with pytest.raises(errors.OutcomeUnknown):
        dispute_outcome(actor=risk_staff(), dispute=dispute, outcome="open")
    assert not AuditEntry.objects.exists()


def test_notes_and_evidence_are_kept_and_audited_once_each() -> None:
    _account, _policy, _payment, dispute = charged_back()
    staff = risk_staff()
    with pytest.raises(errors.NoteEmpty):
        dispute_note_add(actor=staff, dispute=dispute, text="  ")
    dispute_note_add(actor=staff, dispute=dispute, text="Kunde hat die Beratung genutzt.")
    pdf = dispute_evidence_add(actor=staff, dispute=dispute, upload=_pdf(2), description="Chat")
    png = dispute_evidence_add(actor=staff, dispute=dispute, upload=_png())
    assert (pdf.content_type, pdf.pages, pdf.file_name) == (
        "application/pdf",
        2,
        f"beleg-{dispute.pk}-1.pdf",
    )
    assert png.content_type == "image/png"
    assert png.file_name.endswith(".png")
    assert b"secret-metadata" in _png()
    assert b"secret-metadata" not in bytes(png.content)  # re-encoded, not kept as sent
    actions = sorted(history_for(dispute).values_list("action", flat=True))
    assert actions == ["dispute.evidence", "dispute.evidence", "dispute.note"]


@pytest.mark.parametrize(
    "upload",
    [
        b"plain text, not a document",
        b"%PDF-1.4 truncated",
        _pdf(1, extra=b"/JavaScript (app.alert(1))\n"),
        _pdf(51),
        b"GIF89a" + b"\x00" * 40,
    ],
    ids=["text", "broken-pdf", "pdf-with-script", "pdf-too-long", "gif"],
)
def test_evidence_that_cannot_be_verified_is_refused(upload: bytes) -> None:
    with pytest.raises(errors.EvidenceRefused):
        evidence_verify(upload)


def test_evidence_is_refused_once_the_dispute_is_decided() -> None:
    _account, _policy, _payment, dispute = charged_back()
    staff = risk_staff()
    dispute_outcome(actor=staff, dispute=dispute, outcome=DisputeStatus.LOST)
    with pytest.raises(errors.DisputeDecided):
        dispute_evidence_add(actor=staff, dispute=dispute, upload=_pdf())
    assert not DisputeEvidence.objects.exists()
