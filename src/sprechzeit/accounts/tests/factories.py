from __future__ import annotations

import itertools

from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from sprechzeit.accounts.models import ClientAccount, Listing, Partner, User
from sprechzeit.accounts.services import client_register, listing_create, partner_create
from sprechzeit.platforms.models import Platform

PASSWORD = "richtig-geheim-42"
_seq = itertools.count(1)


def client_create(
    *, platform: Platform, email: str | None = None, password: str = PASSWORD
) -> ClientAccount:
    return client_register(
        platform=platform, email=email or f"klient{next(_seq)}@example.com", password=password
    )


def partner_with_listing(
    *, platform: Platform, rate_minor: int = 199, email: str | None = None
) -> tuple[Partner, Listing]:
    n = next(_seq)
    partner = partner_create(
        email=email or f"berater{n}@example.com",
        password=PASSWORD,
        first_name="Bea",
        last_name=f"Rater{n}",
    )
    listing = listing_create(
        partner=partner, platform=platform, display_name=f"Bea {n}", rate_minor=rate_minor
    )
    return partner, listing


def totp_device_confirmed(*, user: User) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="Test", confirmed=True)


def totp_now(device: TOTPDevice) -> str:
    """The code an authenticator app would show for `device` right now."""
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):0{device.digits}d}"


def login_verified(client: Client, user: User) -> None:
    """Log `user` in as if through password and TOTP (a session verified by django-otp)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or totp_device_confirmed(
        user=user
    )
    client.force_login(user, backend="sprechzeit.accounts.backends.PlatformEmailBackend")
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
