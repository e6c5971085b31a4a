"""Writes of people, accounts and listings. Every function checks tenancy and limits
itself and raises a typed error; nothing is half-saved (one transaction each)."""

from __future__ import annotations

import secrets

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission
from django.db import IntegrityError, transaction
from django.utils.text import slugify

from sprechzeit.accounts import roles
from sprechzeit.accounts.errors import (
    EmailTaken,
    InvalidPin,
    ListingExists,
    RateOutOfRange,
    UnknownRole,
)
from sprechzeit.accounts.models import Category, ClientAccount, Listing, Partner, User
from sprechzeit.platforms.models import Platform

CUSTOMER_NUMBER_DIGITS = 7


def _normalise_email(email: str) -> str:
    return User.objects.normalize_email(email.strip()).lower()


def _new_customer_number(*, platform: Platform) -> str:
    """A random, unguessable-enough customer number, unique on the platform (retried)."""
    for _attempt in range(20):
        number = str(
            secrets.randbelow(9 * 10 ** (CUSTOMER_NUMBER_DIGITS - 1))
            + 10 ** (CUSTOMER_NUMBER_DIGITS - 1)
        )
        if not ClientAccount.objects.filter(platform=platform, customer_number=number).exists():
            return number
    raise RuntimeError("could not find a free customer number")  # pragma: no cover


@transaction.atomic
def client_register(
    *,
    platform: Platform,
    email: str,
    password: str | None,
    first_name: str = "",
    last_name: str = "",
    language: str = "de",
) -> ClientAccount:
    """Create a client login and account on `platform`.

    The same e-mail may register on another platform; on this one it raises EmailTaken.
    """
    email = _normalise_email(email)
    if User.objects.filter(platform=platform, email__iexact=email).exists():
        raise EmailTaken(email=email)
    try:
        with transaction.atomic():
            user = User.objects.create_user(
                email,
                password,
                kind=User.Kind.CLIENT,
                platform=platform,
                first_name=first_name,
                last_name=last_name,
                language=language,
            )
    except IntegrityError as exc:  # a concurrent registration won the race
        raise EmailTaken(email=email) from exc
    return ClientAccount.objects.create(
        user=user, platform=platform, customer_number=_new_customer_number(platform=platform)
    )


def client_set_pin(*, account: ClientAccount, pin: str) -> None:
    """Store the phone PIN hashed (4–8 digits)."""
    if not (pin.isdigit() and 4 <= len(pin) <= 8):
        raise InvalidPin()
    account.phone_pin_hash = make_password(pin)
    account.save(update_fields=["phone_pin_hash"])


@transaction.atomic
def partner_create(
    *, email: str, password: str | None, first_name: str, last_name: str, phone_number: str = ""
) -> Partner:
    email = _normalise_email(email)
    if User.objects.filter(platform__isnull=True, email__iexact=email).exists():
        raise EmailTaken(email=email)
    user = User.objects.create_user(
        email, password, kind=User.Kind.PARTNER, first_name=first_name, last_name=last_name
    )
    return Partner.objects.create(user=user, phone_number=phone_number)


def listing_check_rate(*, platform: Platform, rate_minor: int) -> None:
    if not platform.rate_min_minor <= rate_minor <= platform.rate_max_minor:
        raise RateOutOfRange(
            rate_minor=rate_minor,
            min_minor=platform.rate_min_minor,
            max_minor=platform.rate_max_minor,
        )


@transaction.atomic
def listing_create(
    *,
    partner: Partner,
    platform: Platform,
    display_name: str,
    rate_minor: int,
    description: str = "",
    headline: str = "",
    categories: list[Category] | None = None,
    extension: str = "",
) -> Listing:
    """List `partner` on `platform` at a per-minute rate within the platform's limits."""
    listing_check_rate(platform=platform, rate_minor=rate_minor)
    if Listing.objects.filter(partner=partner, platform=platform).exists():
        raise ListingExists(partner=partner.pk, platform=platform.slug)
    base_slug = slugify(display_name) or "berater"
    slug, n = base_slug, 1
    while Listing.objects.filter(platform=platform, slug=slug).exists():
        n += 1
        slug = f"{base_slug}-{n}"
    listing = Listing.objects.create(
        partner=partner,
        platform=platform,
        display_name=display_name,
        slug=slug,
        rate_minor=rate_minor,
        description=description,
        headline=headline,
        extension=extension,
    )
    if categories:
        listing.categories.set([c for c in categories if c.platform_id == platform.pk])
    return listing


@transaction.atomic
def listing_update_rate(*, listing: Listing, rate_minor: int) -> Listing:
    listing_check_rate(platform=listing.platform, rate_minor=rate_minor)
    listing.rate_minor = rate_minor
    listing.save(update_fields=["rate_minor"])
    return listing


def roles_sync() -> None:
    """Create the staff groups and give each exactly the permissions of roles.ROLE_PERMISSIONS."""
    for role, pairs in roles.ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=role)
        perms = [
            perm
            for app_label, codename in pairs
            if (
                perm := Permission.objects.filter(
                    content_type__app_label=app_label, codename=codename
                ).first()
            )
        ]
        group.permissions.set(perms)


@transaction.atomic
def staff_create(
    *, email: str, password: str | None, role: str, first_name: str = "", last_name: str = ""
) -> User:
    """A staff login with one role; the admin role is also a superuser-free full administrator."""
    if role not in roles.ROLE_PERMISSIONS:
        raise UnknownRole(role=role)
    email = _normalise_email(email)
    if User.objects.filter(platform__isnull=True, email__iexact=email).exists():
        raise EmailTaken(email=email)
    roles_sync()
    user = User.objects.create_user(
        email,
        password,
        kind=User.Kind.STAFF,
        is_staff=True,
        first_name=first_name,
        last_name=last_name,
    )
    user.groups.add(Group.objects.get(name=role))
    return user
