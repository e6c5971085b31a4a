"""Saved payment methods: saving one through the provider's hosted page, a one-click
top-up with it, removing it, and the client's automatic top-up with a monthly cap.

Every charge is a `Payment` created after the same checks as a checkout (channel,
limits, blocked, self-excluded, deposit limit: `payment_create_checked`) and applied with
`payment_apply` like a webhook's update, so the wallet is credited exactly once however
the provider's notification and the charge's answer interleave.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import transaction
from django.db.models import Sum
from django.urls import reverse

from sprechzeit.accounts.models import ClientAccount
from sprechzeit.core import clock
from sprechzeit.core.errors import DomainError
from sprechzeit.core.money import Money
from sprechzeit.notifications.rendering import platform_link
from sprechzeit.payments import errors
from sprechzeit.payments.models import ChannelPolicy, Payment, PaymentStatus
from sprechzeit.payments.providers.saved import (
    NEEDS_FIRST_PAYMENT,
    SAVABLE,
    ChargeCall,
    methods_for,
)
from sprechzeit.payments.saved_models import AutoTopUp, MethodCharge, MethodSetup, SavedMethod
from sprechzeit.payments.services.payments import payment_apply, payment_create_checked
from sprechzeit.wallets.locks import wallet_lock_against_stale_balance
from sprechzeit.wallets.services import wallet_balance

logger = logging.getLogger(__name__)


def _customer_ref(client_account: ClientAccount, policy: ChannelPolicy) -> str:
    known = (
        SavedMethod.objects.filter(
            client_account=client_account, provider_config=policy.provider_config
        )
        .values_list("customer_ref", flat=True)
        .first()
    )
    if known:
        return known
    return methods_for(policy.provider_config).customer_create(
        email=client_account.user.email, reference=client_account.customer_number
    )


def _description(client_account: ClientAccount) -> str:
    return f"{client_account.platform.name} {client_account.customer_number}"


def method_setup_start(
    *,
    client_account: ClientAccount,
    policy: ChannelPolicy,
    first_amount: Money | None,
    return_url: str,
    cancel_url: str,
    webhook_url: str,
) -> tuple[MethodSetup, str]:
    """Start saving a method; the client goes to the returned URL (the provider's page).
    `return_url` may hold `{id}`, replaced by the setup's id. Mollie's mandate comes from
    a first top-up of `first_amount` (checked like any top-up)."""
    kind = policy.provider_config.kind
    if kind not in SAVABLE or policy.platform_id != client_account.platform_id:
        raise errors.MethodNotSavable()
    setup = MethodSetup.objects.create(
        client_account=client_account,
        provider_config=policy.provider_config,
        channel=policy.channel,
        customer_ref="",
        created_at=clock.now(),
    )
    store = methods_for(policy.provider_config)
    customer = _customer_ref(client_account, policy)
    first: ChargeCall | None = None
    payment: Payment | None = None
    if kind in NEEDS_FIRST_PAYMENT:
        if first_amount is None:
            raise errors.MethodNotSavable()
        payment = payment_create_checked(
            client_account=client_account, policy=policy, amount=first_amount
        )
        first = ChargeCall(
            payment_id=payment.pk,
            customer_ref=customer,
            method_ref="",
            amount=first_amount,
            description=_description(client_account),
            webhook_url=webhook_url,
            idempotency_key=f"payment-{payment.pk}",
        )
    started = store.setup_start(
        setup_id=setup.pk,
        customer_ref=customer,
        first_payment=first,
        return_url=return_url.replace("{id}", str(setup.pk)),
        cancel_url=cancel_url,
    )
    setup.customer_ref = started.customer_ref
    setup.external_ref = started.external_ref
    setup.save(update_fields=["customer_ref", "external_ref"])
    if payment is not None:
        payment.external_id = started.external_ref
        payment.redirect_url = started.redirect_url
        payment.save(update_fields=["external_id", "redirect_url"])
    return setup, started.redirect_url


def method_setup_finish(*, setup: MethodSetup) -> SavedMethod | None:
    """Back from the provider's page: save the method if the provider confirms it (None
    while it does not, e.g. a Mollie first payment still open). Repeats save once."""
    if setup.method_id is not None:
        return setup.method
    info = methods_for(setup.provider_config).setup_result(
        customer_ref=setup.customer_ref, external_ref=setup.external_ref
    )
    if info is None:
        return None
    with transaction.atomic():
        method, _created = SavedMethod.objects.get_or_create(
            provider_config=setup.provider_config,
            method_ref=info.method_ref,
            defaults={
                "client_account": setup.client_account,
                "channel": setup.channel,
                "customer_ref": setup.customer_ref,
                "label": info.label[:100],
                "created_at": clock.now(),
            },
        )
        setup.method = method
        setup.save(update_fields=["method"])
    return method


def method_remove(*, client_account: ClientAccount, method: SavedMethod) -> None:
    """Remove a saved method at the provider and here; an automatic top-up using it stops."""
    if method.client_account_id != client_account.pk or method.removed_at is not None:
        raise errors.MethodNotSavable()
    methods_for(method.provider_config).method_remove(
        customer_ref=method.customer_ref, method_ref=method.method_ref
    )
    with transaction.atomic():
        method.removed_at = clock.now()
        method.save(update_fields=["removed_at"])
        AutoTopUp.objects.filter(method=method).update(enabled=False)


def _policy(method: SavedMethod) -> ChannelPolicy:
    policy = ChannelPolicy.objects.filter(
        provider_config=method.provider_config, channel=method.channel
    ).first()
    if policy is None:
        raise errors.ChannelUnavailable(channel=method.channel)
    return policy


def method_charge(
    *, method: SavedMethod, amount: Money, webhook_url: str, automatic: bool = False
) -> Payment:
    """Top up `amount` from a saved method without the client at the provider's page
    (Stripe off-session PaymentIntent, Mollie recurring payment). The provider's answer
    is applied at once; its webhook later confirms the same payment once."""
    if method.removed_at is not None:
        raise errors.MethodNotSavable()
    account = method.client_account
    payment = payment_create_checked(client_account=account, policy=_policy(method), amount=amount)
    MethodCharge.objects.create(
        payment=payment, method=method, automatic=automatic, created_at=clock.now()
    )
    try:
        update = methods_for(method.provider_config).charge(
            ChargeCall(
                payment_id=payment.pk,
                customer_ref=method.customer_ref,
                method_ref=method.method_ref,
                amount=amount,
                description=_description(account),
                webhook_url=webhook_url,
                idempotency_key=f"payment-{payment.pk}",
            )
        )
    except errors.PaymentError as exc:
        payment.status = PaymentStatus.CANCELED
        payment.failure_reason = exc.code
        payment.save(update_fields=["status", "failure_reason"])
        raise
    payment_apply(payment_id=payment.pk, update=update)
    payment.refresh_from_db()
    return payment


def auto_topup_set(
    *,
    client_account: ClientAccount,
    method: SavedMethod,
    threshold: Money,
    amount: Money,
    monthly_cap: Money,
    enabled: bool = True,
) -> AutoTopUp:
    if method.client_account_id != client_account.pk or method.removed_at is not None:
        raise errors.MethodNotSavable()
    if not (threshold.minor >= 0 and 0 < amount.minor <= monthly_cap.minor):
        raise errors.AutoTopUpInvalid()
    rule, _created = AutoTopUp.objects.update_or_create(
        client_account=client_account,
        defaults={
            "method": method,
            "threshold_minor": threshold.minor,
            "amount_minor": amount.minor,
            "monthly_cap_minor": monthly_cap.minor,
            "enabled": enabled,
            "updated_at": clock.now(),
        },
    )
    return rule


def auto_charged_this_month(*, client_account: ClientAccount, now: datetime) -> int:
    start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    total = (
        MethodCharge.objects.filter(
            payment__client_account=client_account, automatic=True, created_at__gte=start
        )
        .exclude(payment__status__in=[PaymentStatus.FAILED, PaymentStatus.CANCELED])
        .aggregate(total=Sum("payment__amount_minor"))["total"]
    )
    return int(total or 0)


def auto_topup_check(
    *, client_account: ClientAccount, webhook_url: str, spent: Money | None = None
) -> Payment | None:
    """Charge the client's automatic top-up if the balance is below the threshold and
    the month's cap allows the whole amount; None otherwise. `spent` is what a live
    consultation has used so far and not yet booked: its hold keeps the booked balance
    unchanged until the end, so without it the balance mid-chat would never fall.
    Deposit limit and self-exclusion refuse it like any top-up (their error is raised).
    A charge already under way (pending) is not repeated."""
    rule = (
        AutoTopUp.objects.select_related("method", "method__provider_config")
        .filter(client_account=client_account, enabled=True, method__removed_at__isnull=True)
        .first()
    )
    if rule is None:
        return None
    with transaction.atomic():
        # One check at a time per client: two warnings at once charge once.
        wallet_lock_against_stale_balance(client_account=client_account)
        balance = wallet_balance(client_account=client_account).total.minor
        if balance - (spent.minor if spent is not None else 0) >= rule.threshold_minor:
            return None
        if MethodCharge.objects.filter(
            payment__client_account=client_account,
            automatic=True,
            payment__status__in=[PaymentStatus.CREATED, PaymentStatus.PENDING],
        ).exists():
            return None
        now = clock.now()
        if (
            auto_charged_this_month(client_account=client_account, now=now) + rule.amount_minor
            > rule.monthly_cap_minor
        ):
            return None
    return method_charge(
        method=rule.method,
        amount=Money(rule.amount_minor, client_account.platform.currency),
        webhook_url=webhook_url,
        automatic=True,
    )


def auto_topup_enabled(*, client_account_id: int) -> bool:
    """Whether the client has an automatic top-up switched on (one query, no account
    loaded: a live consultation asks at each of its warnings)."""
    return AutoTopUp.objects.filter(client_account_id=client_account_id, enabled=True).exists()


def auto_topup_when_low(*, client_account: ClientAccount, spent: Money) -> Payment | None:
    """The automatic top-up as a live consultation asks for it (at its warnings),
    `spent` being what the consultation has used so far:
    the provider's webhook goes to the platform's own host. A refusal (deposit limit,
    self-exclusion, blocked, the provider down, a declined card) charges nothing and is
    logged; the consultation then ends at its balance as usual."""
    rule = AutoTopUp.objects.filter(client_account=client_account, enabled=True).first()
    if rule is None:
        return None
    config_id = rule.method.provider_config_id
    webhook_url = platform_link(
        client_account.platform, reverse("payments:webhook", args=[config_id])
    )
    try:
        payment = auto_topup_check(
            client_account=client_account, webhook_url=webhook_url, spent=spent
        )
    except DomainError as exc:
        logger.info("automatic top-up of %s refused: %s", client_account.pk, exc.code)
        return None
    if payment is not None and payment.status == PaymentStatus.FAILED:
        logger.info(
            "automatic top-up of %s declined: %s", client_account.pk, payment.failure_reason
        )
    return payment
