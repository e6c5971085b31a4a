"""Welcome credit, once per person and platform; opening a new client's wallet.

Against farming, the credit is given

- for the `registration` trigger only once the client confirmed the e-mail address
  (`welcome_credit_after_verification`), never at sign-up, so it cannot be spent by an
  account nobody can reach;
- once per normalised e-mail address (plus-tags, Gmail dots) and payment fingerprint;
- within the platform's velocity limits (`WalletSettings.welcome_max_per_address`,
  `welcome_max_per_domain` per `welcome_window_hours`): beyond them the account is a
  normal account without the credit. Large free-mail domains
  (`settings.SPRECHZEIT_FREEMAIL_DOMAINS`) have no domain limit: their users are many
  different people.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.conf import settings as django_settings
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
    """Open the wallet of a newly registered client (call after `client_register`). No
    welcome credit yet: that follows the e-mail confirmation."""
    return wallet_for(client_account)


def welcome_credit_after_verification(
    *, client_account: ClientAccount
) -> WelcomeCreditGrant | None:
    """Grant the welcome credit of a platform that gives it at registration, now that
    the client's e-mail address is confirmed. Idempotent; None when nothing is due."""
    return welcome_credit_grant(
        client_account=client_account, trigger=WalletSettings.WelcomeOn.REGISTRATION
    )


def normalise_email(email: str) -> str:
    """One person, one address: lower case, without "+tag" and, for Gmail, without dots."""
    local, _sep, domain = email.strip().lower().partition("@")
    local = local.split("+", 1)[0]
    if domain in {"gmail.com", "googlemail.com"}:
        local = local.replace(".", "")
        domain = "gmail.com"
    return f"{local}@{domain}"


def _over_velocity(settings: WalletSettings, *, client_account: ClientAccount, domain: str) -> bool:
    """Whether another credit now would pass one of the platform's velocity limits.
    Caller holds the settings row lock (so two grants cannot both see room for one)."""
    since = clock.now() - timedelta(hours=settings.welcome_window_hours)
    recent = WelcomeCreditGrant.objects.filter(
        platform_id=client_account.platform_id, granted_at__gt=since
    )
    address = client_account.signup_address_hash
    if (
        address
        and settings.welcome_max_per_address is not None
        and recent.filter(address_hash=address).count() >= settings.welcome_max_per_address
    ):
        return True
    freemail = {d.lower() for d in django_settings.SPRECHZEIT_FREEMAIL_DOMAINS}
    return (
        settings.welcome_max_per_domain is not None
        and domain not in freemail
        and recent.filter(email_domain=domain).count() >= settings.welcome_max_per_domain
    )


def welcome_credit_grant(
    *,
    client_account: ClientAccount,
    trigger: WalletSettings.WelcomeOn,
    fingerprint: str = "",
) -> WelcomeCreditGrant | None:
    """Grant the platform's welcome credit as bonus, funded by its promotion account,
    once per person: never twice for the same normalised e-mail or payment fingerprint
    on the platform, for `registration` only to a confirmed e-mail address, and only
    within the velocity limits (module docstring). Returns None when nothing is due."""
    platform = client_account.platform
    settings = wallet_settings(platform=platform)
    if settings.welcome_credit_minor <= 0 or settings.welcome_credit_on != trigger:
        return None
    if (
        trigger == WalletSettings.WelcomeOn.REGISTRATION
        and client_account.user.email_verified_at is None
    ):
        return None
    email = normalise_email(client_account.user.email)
    taken = WelcomeCreditGrant.objects.filter(platform=platform, email=email)
    if fingerprint:
        taken = taken | WelcomeCreditGrant.objects.filter(
            platform=platform, fingerprint=fingerprint
        )
    if taken.exists() or WelcomeCreditGrant.objects.filter(client_account=client_account).exists():
        return None
    return _grant_within_velocity(
        settings=settings, client_account=client_account, email=email, fingerprint=fingerprint
    )


@transaction.atomic
def _grant_within_velocity(
    *,
    settings: WalletSettings,
    client_account: ClientAccount,
    email: str,
    fingerprint: str,
) -> WelcomeCreditGrant | None:
    """The grant itself, under the platform's settings row lock (its own transaction, so
    the cheap refusals above cost no savepoint on every top-up)."""
    platform = client_account.platform
    settings = WalletSettings.objects.select_for_update().get(pk=settings.pk)
    domain = email.partition("@")[2]
    if _over_velocity(settings, client_account=client_account, domain=domain):
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
                address_hash=client_account.signup_address_hash,
                email_domain=domain,
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
