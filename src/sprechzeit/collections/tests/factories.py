"""Factories for collections tests: a sandbox platform, a client who topped up, spent
and was charged back (so the balance is negative), staff of the risk role."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sprechzeit.accounts.models import ClientAccount, User
from sprechzeit.accounts.services import staff_create
from sprechzeit.accounts.tests.factories import partner_with_listing
from sprechzeit.core import clock
from sprechzeit.core.money import EUR, Money
from sprechzeit.payments.models import ChannelPolicy, Dispute, Payment
from sprechzeit.payments.services.sandbox import sandbox_deliver, sandbox_top_up
from sprechzeit.payments.tests.factories import client, sandbox_setup
from sprechzeit.wallets import services as wallets


def eur(minor: int) -> Money:
    return Money(minor, EUR)


def risk_staff(email: str = "risk@staff.example", role: str = "risk") -> User:
    """The staff member with this address (created with `role` the first time)."""
    existing = User.objects.filter(email=email, platform__isnull=True).first()
    return existing or staff_create(email=email, password=None, role=role)


def spend(account: ClientAccount, minor: int) -> None:
    """A consultation's charge of `minor` (held, then settled; the partner earns half)."""
    partner, _listing = partner_with_listing(platform=account.platform)
    payable = wallets.partner_payable_account(partner=partner, currency=EUR)
    hold_id = uuid.uuid4()
    wallets.wallet_hold(
        client_account=account,
        amount=eur(minor),
        reference="consultation:test",
        expires_at=clock.now() + timedelta(minutes=5),
        hold_id=hold_id,
    )
    wallets.wallet_settle(
        client_account=account,
        hold_id=hold_id,
        charge=eur(minor),
        vat=eur(0),
        partner_share=eur(minor // 2),
        partner_account=payable,
        reference="consultation:test",
    )


def charged_back(
    *, top_up: int = 3000, spent: int = 2400, email: str | None = None
) -> tuple[ClientAccount, ChannelPolicy, Payment, Dispute]:
    """A client who topped up `top_up`, spent `spent` and whose top-up was charged back
    (an open dispute): owes `spent` now."""
    platform, _config, policy = sandbox_setup()
    account = client(platform, email)
    payment = sandbox_top_up(client_account=account, policy=policy, amount=eur(top_up))
    spend(account, spent)
    sandbox_deliver(payment=payment, event_type="dispute.opened", dispute_id="dp_1")
    dispute = Dispute.objects.get(payment=payment)
    return account, policy, payment, dispute
