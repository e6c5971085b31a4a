"""Goodwill credits (limits per role, a second different approver, the ledger) and the
client file's staff actions (notes, blocks, PIN lock, limits, exclusion, refund request,
close, transcripts). Each staff action writes exactly one audit entry."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import override_settings

from sprechzeit.accounts import roles
from sprechzeit.accounts.phone_pin import PinCheck, client_pin_check
from sprechzeit.audit.models import AuditEntry
from sprechzeit.consultations.models import Consultation
from sprechzeit.consultations.services import (
    chat_message_create,
    consultation_accept,
    consultation_end,
    consultation_request,
)
from sprechzeit.consultations.tests.factories import scene
from sprechzeit.core import clock
from sprechzeit.core.money import Money
from sprechzeit.ledger.models import AccountPurpose, Transfer
from sprechzeit.ledger.tests.helpers import assert_ledger_sound
from sprechzeit.payments.models import RefundRequest
from sprechzeit.platforms.tests.factories import platform_create
from sprechzeit.support import errors
from sprechzeit.support.models import GoodwillCredit
from sprechzeit.support.selectors import client_file, clients_find
from sprechzeit.support.services import (
    goodwill_approve,
    goodwill_reject,
    goodwill_request,
    staff_client_block,
    staff_client_close,
    staff_client_unblock,
    staff_deposit_limit,
    staff_exclusion_extend,
    staff_note_add,
    staff_pin_unlock,
    staff_refund_request,
    transcript_read,
)
from sprechzeit.wallets import services as wallets
from sprechzeit.wallets.state import wallet_state
from sprechzeit.wallets.tests.factories import client_with_wallet, eur, fund

from .factories import staff

pytestmark = pytest.mark.django_db
BONUS, PAID = GoodwillCredit.Kind.BONUS, GoodwillCredit.Kind.PAID


def test_goodwill_within_the_limit_is_booked_at_once_on_the_right_account() -> None:
    client = client_with_wallet()
    agent = staff(roles.SUPPORT)
    bonus = goodwill_request(
        actor=agent, client_account=client, amount=eur(1500), kind=BONUS, reason="Abbruch"
    )
    paid = goodwill_request(
        actor=agent, client_account=client, amount=eur(2000), kind=PAID, reason="Doppelt bezahlt"
    )
    assert (bonus.status, paid.status) == ("booked", "booked")
    balance = wallets.wallet_balance(client_account=client)
    assert (balance.bonus, balance.paid) == (eur(1500), eur(2000))
    transfers = Transfer.objects.filter(reference__startswith="goodwill:").select_related(
        "debit_account", "credit_account"
    )
    assert sorted(
        (t.purpose, t.debit_account.purpose, t.credit_account.purpose) for t in transfers
    ) == [
        ("goodwill_bonus", AccountPurpose.PROMOTION_EXPENSE, AccountPurpose.CLIENT_BONUS),
        ("goodwill_paid", AccountPurpose.PROMOTION_EXPENSE, AccountPurpose.CLIENT_WALLET),
    ]
    assert [e.action for e in AuditEntry.objects.order_by("id")] == ["goodwill.credit"] * 2
    assert_ledger_sound()


def test_goodwill_over_the_limit_waits_for_a_second_approver_whose_limit_covers_it() -> None:
    client = client_with_wallet()
    agent, other_support, risk, admin = (
        staff(roles.SUPPORT),
        staff(roles.SUPPORT),
        staff(roles.RISK),
        staff(roles.ADMIN),
    )
    credit = goodwill_request(
        actor=agent,
        client_account=client,
        amount=eur(5000),
        kind=BONUS,
        reason="Ärger",
        ip="10.1.1.1",
    )
    assert credit.status == GoodwillCredit.Status.PENDING
    assert wallets.wallet_balance(client_account=client).bonus == eur(0)
    with pytest.raises(errors.GoodwillSameApprover):
        goodwill_approve(actor=agent, credit=credit)
    with pytest.raises(errors.GoodwillOverLimit):
        goodwill_approve(actor=other_support, credit=credit)
    with pytest.raises(errors.NotAllowedForRole):
        goodwill_approve(actor=staff(roles.ACCOUNTING), credit=credit)
    goodwill_approve(actor=risk, credit=credit, note="ok", ip="10.2.2.2")
    credit.refresh_from_db()
    assert (credit.status, credit.decided_by) == ("booked", risk)
    assert wallets.wallet_balance(client_account=client).bonus == eur(5000)
    with pytest.raises(errors.GoodwillDecided):
        goodwill_approve(actor=admin, credit=credit)
    assert [(e.action, e.actor, e.ip) for e in AuditEntry.objects.order_by("id")] == [
        ("goodwill.request", agent, "10.1.1.1"),
        ("goodwill.approve", risk, "10.2.2.2"),
    ]
    # The same id books nothing twice even if the booking is retried.
    assert Transfer.objects.filter(reference=f"goodwill:{credit.id}").count() == 1
    assert_ledger_sound()


@override_settings(SPRECHZEIT_GOODWILL_LIMITS={"support": 100, "risk": 100, "admin": 100})
def test_limits_are_configurable_and_a_rejection_books_nothing() -> None:
    client = client_with_wallet()
    credit = goodwill_request(
        actor=staff(roles.ADMIN), client_account=client, amount=eur(101), kind=PAID, reason="x"
    )
    assert credit.status == GoodwillCredit.Status.PENDING
    with pytest.raises(errors.ReasonRequired):
        goodwill_reject(actor=staff(roles.RISK), credit=credit, note="")
    goodwill_reject(actor=staff(roles.RISK), credit=credit, note="kein Anlass")
    assert wallets.wallet_balance(client_account=client).paid == eur(0)
    with pytest.raises(errors.GoodwillInvalid):
        goodwill_request(
            actor=staff(roles.ADMIN), client_account=client, amount=eur(0), kind=PAID, reason="x"
        )
    with pytest.raises(errors.GoodwillInvalid):
        goodwill_request(
            actor=staff(roles.ADMIN),
            client_account=client,
            amount=Money(5, "USD"),
            kind=PAID,
            reason="x",
        )
    assert_ledger_sound()


def test_notes_blocks_and_the_pin_lock() -> None:
    client = client_with_wallet()
    agent, risk = staff(roles.SUPPORT), staff(roles.RISK)
    staff_note_add(actor=agent, client_account=client, text="Rief an wegen Aufladung")
    staff_client_block(actor=agent, client_account=client, reason="Verdacht auf Missbrauch")
    with pytest.raises(errors.AlreadyBlocked):
        staff_client_block(actor=agent, client_account=client, reason="noch mal")
    with pytest.raises(errors.NotAllowedForRole):
        staff_client_unblock(actor=agent, client_account=client, reason="geklärt")
    staff_client_unblock(actor=risk, client_account=client, reason="geklärt")
    assert wallet_state(client).blocked_at is None
    client.phone_pin_hash = ""
    client.save(update_fields=["phone_pin_hash"])
    for _ in range(5):
        outcome = client_pin_check(account=client, pin="0000")
    assert outcome == PinCheck.LOCKED
    assert staff_pin_unlock(actor=agent, client_account=client) is True
    client.refresh_from_db()
    assert client.phone_pin_locked_at is None
    assert [e.action for e in AuditEntry.objects.order_by("id")] == [
        "client.note",
        "client.block",
        "client.unblock",
        "client.pin_unlock",
    ]
    file = client_file(client)
    assert [n.text for n in file.notes] == ["Rief an wegen Aufladung"]
    assert file.pin_events[0].by == agent.email


def test_limits_only_stricter_at_once_and_exclusions_only_longer() -> None:
    client = client_with_wallet()
    agent = staff(roles.SUPPORT)
    staff_deposit_limit(actor=agent, client_account=client, limit=eur(10000), reason="Wunsch")
    assert wallets.wallet_deposit_limit(client_account=client) == eur(10000)
    raised = staff_deposit_limit(actor=agent, client_account=client, limit=eur(50000), reason="x")
    # Raising waits for the platform's cooling-off, for staff as for the client.
    assert raised.current == eur(10000)
    assert raised.pending == eur(50000)
    assert raised.pending_from is not None
    assert raised.pending_from > clock.now()
    until = clock.now() + timedelta(days=30)
    staff_exclusion_extend(actor=agent, client_account=client, until=until, reason="Bitte")
    with pytest.raises(errors.ExclusionNotLonger):
        staff_exclusion_extend(
            actor=agent, client_account=client, until=until - timedelta(days=1), reason="kürzer"
        )
    assert wallet_state(client).excluded_until == until
    assert AuditEntry.objects.filter(action="client.exclusion").count() == 1
    assert AuditEntry.objects.filter(action="client.deposit_limit").count() == 2


def test_refund_request_on_behalf_and_closing_the_account() -> None:
    client = client_with_wallet()
    fund(client, 3000)
    agent = staff(roles.SUPPORT)
    request = staff_refund_request(
        actor=agent, client_account=client, amount=eur(1000), reason="telefonisch"
    )
    assert (request.amount_minor, request.status) == (1000, "requested")
    with pytest.raises(errors.NotAllowedForRole):
        staff_client_close(actor=staff(roles.RISK), client_account=client, reason="x")
    RefundRequest.objects.all().delete()
    closure = staff_client_close(actor=agent, client_account=client, reason="Wunsch der Kundin")
    assert closure.refund_request is not None
    assert closure.refund_request.amount_minor == 3000
    client.user.refresh_from_db()
    assert not client.user.is_active
    assert [e.action for e in AuditEntry.objects.order_by("id")] == [
        "client.refund_request",
        "client.close",
    ]
    assert_ledger_sound()


def test_transcripts_for_support_and_admin_only_and_every_read_logged() -> None:
    s = scene(balance_minor=5000)
    consultation = consultation_request(client=s.client, listing=s.listing)
    consultation = consultation_accept(consultation=consultation, partner=s.partner)
    chat_message_create(consultation=consultation, role="client", body="Hallo")
    consultation_end(consultation=consultation, reason=Consultation.EndReason.CLIENT, at_second=60)
    with pytest.raises(errors.NotAllowedForRole):
        transcript_read(actor=staff(roles.ACCOUNTING), consultation=consultation)
    with pytest.raises(errors.NotAllowedForRole):
        transcript_read(actor=staff(roles.RISK), consultation=consultation)
    agent = staff(roles.SUPPORT)
    for _ in range(2):
        assert [m.body for m in transcript_read(actor=agent, consultation=consultation)] == [
            "Hallo"
        ]
    assert AuditEntry.objects.filter(action="client.transcript_read").count() == 2


def test_finding_clients_within_a_platform() -> None:
    a, b = platform_create(slug="a"), platform_create(slug="b")
    anna = client_with_wallet(platform=a, email="anna.meier@example.com")
    anna.user.first_name, anna.user.last_name = "Anna", "Meier"
    anna.user.save(update_fields=["first_name", "last_name"])
    client_with_wallet(platform=b, email="anna.meier@example.net")
    assert clients_find(platform=a, query="anna") == [anna]
    assert clients_find(platform=a, query="Anna Meier") == [anna]
    assert clients_find(platform=a, query=anna.customer_number) == [anna]
    assert clients_find(platform=a, query=str(anna.pk)) == [anna]
    assert clients_find(platform=a, query="") == []
