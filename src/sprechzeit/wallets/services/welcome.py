"""Welcome credit, once per person and platform; opening a new client's wallet."""

from __future__ import annotations

import uuid

from django.db import IntegrityError, transaction

from sprechzeit.accounts.models import ClientAccount
from sprechzeit.core import clock
from sprechzeit.core.money import Money
from sprechzeit.ledger import services as ledger
from sprechzeit.ledger.models import AccountPurpose
from sprechzeit.wallets.models import WalletSettings, WelcomeCreditGrant
from sprechzeit.wallets.services.accounts import (
    WALLET_NAMESPACE,
    Wallet,
    platform_account,
    wallet_for,
)
from sprechzeit.wallets.signals import balance_credited_on_commit
from sprechzeit.wallets.state import wallet_settings


def wallet_open(*, client_account: ClientAccount) -> Wallet:
    """Open the wallet of a newly registered client; grants the platform's welcome credit
    when it is given at registration. Call after `client_register`."""
    wallet = wallet_for(client_account)
    welcome_credit_grant(
        client_account=client_account, trigger=WalletSettings.WelcomeOn.REGISTRATION
    )
    return wallet


def normalise_email(email: str) -> str:
    """One person, one address: lower case, without "+tag" and, for Gmail, without dots."""
    local, _sep, domain = email.strip().lower().partition("@")
    local = local.split("+", 1)[0]
    if domain in {"gmail.com", "googlemail.com"}:
        local = local.replace(".", "")
        domain = "gmail.com"
    return f"{local}@{domain}"


def welcome_credit_grant(
    *,
    client_account: ClientAccount,
    trigger: WalletSettings.WelcomeOn,
    fingerprint: str = "",
) -> WelcomeCreditGrant | None:
    """Grant the platform's welcome credit as bonus, funded by its promotion account,
    once per person: never twice for the same normalised e-mail or payment fingerprint
    on the platform. Returns None when nothing is due."""
    platform = client_account.platform
    settings = wallet_settings(platform=platform)
    if settings.welcome_credit_minor <= 0 or settings.welcome_credit_on != trigger:
        return None
    email = normalise_email(client_account.user.email)
    taken = WelcomeCreditGrant.objects.filter(platform=platform, email=email)
    if fingerprint:
        taken = taken | WelcomeCreditGrant.objects.filter(
            platform=platform, fingerprint=fingerprint
        )
    if taken.exists() or WelcomeCreditGrant.objects.filter(client_account=client_account).exists():
        return None
    wallet = wallet_for(client_account)
    amount = Money(settings.welcome_credit_minor, platform.currency)
    transfer_id = uuid.uuid5(WALLET_NAMESPACE, f"welcome:{platform.pk}:{email}")
    try:
        with transaction.atomic():
            grant = WelcomeCreditGrant.objects.create(
                platform=platform,
                client_account=client_account,
                email=email,
                fingerprint=fingerprint,
                amount_minor=amount.minor,
                currency=amount.currency,
                transfer_id=transfer_id,
                granted_at=clock.now(),
            )
            ledger.transfer_post(
                id=transfer_id,
                debit_account=platform_account(
                    platform=platform, purpose=AccountPurpose.PROMOTION_EXPENSE
                ),
                credit_account=wallet.bonus,
                amount=amount,
                purpose="welcome_credit",
                reference=f"client:{client_account.pk}",
            )
    except IntegrityError:  # a concurrent grant for the same person won
        return None
    balance_credited_on_commit(client_account_id=client_account.pk)
    return grant
