"""Provider adapters and the one place that builds them from a `ProviderConfig`.

Secrets come from the environment variables the configuration names, never from the
database or the repository."""

from __future__ import annotations

import os

from django.conf import settings

from sprechzeit.payments.errors import ProviderNotConfigured
from sprechzeit.payments.models import ProviderConfig, ProviderKind
from sprechzeit.payments.providers.banktransfer import BankTransferProvider
from sprechzeit.payments.providers.base import Provider
from sprechzeit.payments.providers.mollie import MollieProvider
from sprechzeit.payments.providers.paypal import PayPalProvider
from sprechzeit.payments.providers.sandbox import SandboxProvider
from sprechzeit.payments.providers.stripe import StripeProvider


def config_secret(name: str) -> str:
    """The value of environment variable `name`; missing or empty is a configuration error."""
    value = os.environ.get(name, "") if name else ""
    if not value:
        raise ProviderNotConfigured(variable=name)
    return value


def provider_for(config: ProviderConfig) -> Provider:
    kind = config.kind
    if kind == ProviderKind.SANDBOX:
        # The test checkout hands out balance for free: never in production.
        if str(settings.SPRECHZEIT_MODE) == "production":
            raise ProviderNotConfigured(kind=kind, mode="production")
        return SandboxProvider(config_id=int(config.pk))
    if kind == ProviderKind.BANK_TRANSFER:
        return BankTransferProvider()
    if kind == ProviderKind.STRIPE:
        return StripeProvider(
            api_key=config_secret(config.secret_env),
            webhook_secret=config_secret(config.webhook_secret_env),
        )
    if kind == ProviderKind.MOLLIE:
        return MollieProvider(api_key=config_secret(config.secret_env))
    if kind == ProviderKind.PAYPAL:
        return PayPalProvider(
            client_id=config_secret(config.client_id_env),
            client_secret=config_secret(config.secret_env),
            webhook_id=config.webhook_id,
            live=config.live,
        )
    raise ProviderNotConfigured(kind=kind)
