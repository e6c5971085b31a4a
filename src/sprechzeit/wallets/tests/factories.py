"""Factories for wallet tests: a platform with a client, a funded wallet, the check."""

from __future__ import annotations

import uuid

from sprechzeit.accounts.models import ClientAccount
from sprechzeit.accounts.services import email_verification_token, user_verify_email
from sprechzeit.accounts.tests.factories import client_create
from sprechzeit.core.money import EUR, Money
from sprechzeit.ledger.models import AccountPurpose
from sprechzeit.platforms.models import Platform
from sprechzeit.platforms.tests.factories import platform_create
from sprechzeit.wallets import services


def eur(minor: int) -> Money:
    return Money(minor, EUR)


def client_with_wallet(
    *, platform: Platform | None = None, email: str | None = None
) -> ClientAccount:
    account = client_create(platform=platform or platform_create(), email=email)
    services.wallet_for(account)
    return account


def email_verified(client_account: ClientAccount) -> None:
    """The client opens the confirmation link: the address is confirmed and a welcome
    credit given at registration follows (as `site.auth_views.verify_email` does)."""
    user_verify_email(
        token=email_verification_token(user=client_account.user), platform=client_account.platform
    )
    client_account.user.refresh_from_db()
    services.welcome_credit_after_verification(client_account=client_account)


def fund(client_account: ClientAccount, minor: int) -> None:
    """Top up `minor` from the platform's provider clearing (as a payment would)."""
    services.wallet_credit(
        client_account=client_account,
        amount=eur(minor),
        source=services.platform_account(
            platform=client_account.platform, purpose=AccountPurpose.PROVIDER_CLEARING
        ),
        id=uuid.uuid4(),
        reference="test:fund",
    )
