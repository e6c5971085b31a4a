"""Which throttles guard the doors of people's accounts (rates: `SPRECHZEIT_THROTTLES`).

Every door counts per account *and* per client address (`core.net.client_address`):
the first stops guessing one password from many addresses, the second one address
trying many accounts. Account keys are the submitted e-mail address, never "the account
found", so a throttled answer looks the same whether the account exists or not. The
e-mail key is shared by all hosts: a partner's or staff member's login works on every
platform's host, and its counter must not restart on each of them.
"""

from __future__ import annotations

from django.http import HttpRequest
from django_otp.models import Device

from sprechzeit.accounts.enrolment import second_factor_verify
from sprechzeit.accounts.models import User
from sprechzeit.accounts.services import totp_verify
from sprechzeit.core.net import client_address
from sprechzeit.core.throttle import Bucket, Throttled, throttle_give_back, throttle_take

# Set on the request by the authentication backend when it refused a throttled log-in:
# `authenticate()` swallows the backend's PermissionDenied, the login form reads this.
THROTTLED_ATTR = "sprechzeit_throttled"


def _address_bucket(scope: str, request: HttpRequest | None) -> list[Bucket]:
    address = client_address(request) if request is not None else ""
    return [Bucket(scope, address)] if address else []


def login_buckets(*, request: HttpRequest | None, login: str) -> list[Bucket]:
    return [
        Bucket("login_account", login.strip().lower()),
        *_address_bucket("login_address", request),
    ]


def password_reset_buckets(*, request: HttpRequest, email: str) -> list[Bucket]:
    return [
        Bucket("password_reset_account", email.strip().lower()),
        *_address_bucket("password_reset_address", request),
    ]


def signup_buckets(*, request: HttpRequest) -> list[Bucket]:
    return _address_bucket("signup_address", request)


def request_throttled(request: HttpRequest) -> Throttled | None:
    """The throttle that refused this request's log-in, if one did."""
    refused = getattr(request, THROTTLED_ATTR, None)
    return refused if isinstance(refused, Throttled) else None


def totp_verify_limited(
    *, request: HttpRequest, user: User, token: str, allow_recovery: bool = False
) -> Device | None:
    """`totp_verify` (or, with `allow_recovery`, `second_factor_verify`: a TOTP code or an
    unused recovery code) behind the TOTP step's throttles (per user and per address):
    raises `Throttled` without checking the code once the limit is reached; a correct
    code does not count."""
    ticket = throttle_take(
        buckets=[Bucket("totp_account", str(user.pk)), *_address_bucket("totp_address", request)]
    )
    verify = second_factor_verify if allow_recovery else totp_verify
    device = verify(user=user, token=token)
    if device is not None:
        throttle_give_back(ticket=ticket)
    return device
