"""Writes of people, accounts and listings. Every function checks tenancy and limits
itself and raises a typed error; nothing is half-saved (one transaction each)."""

from __future__ import annotations

import secrets

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission
from django.core import signing
from django.core.files.base import File
from django.db import IntegrityError, transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django_otp import user_has_device
from django_otp.plugins.otp_totp.models import TOTPDevice

from sprechzeit.accounts import roles
from sprechzeit.accounts.errors import (
    EmailTaken,
    InvalidPin,
    InvalidToken,
    InvalidVatId,
    ListingExists,
    RateOutOfRange,
    UnknownRole,
)
from sprechzeit.accounts.models import Category, ClientAccount, Listing, Partner, User
from sprechzeit.accounts.phone_pin import client_pin_unlock
from sprechzeit.accounts.vat_place import EU, place_of_supply, vat_id_clean, vat_id_problem
from sprechzeit.core import clock
from sprechzeit.core.net import address_hash
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
    client_address: str = "",
    country: str = "DE",
    vat_id: str = "",
) -> ClientAccount:
    """Create a client login and account on `platform`.

    `country` (ISO, where the client lives) and, for a business, `vat_id` decide the VAT
    of its consultations (accounts/vat_place.py); an invalid VAT ID raises
    `InvalidVatId`.

    The same e-mail may register on another platform; on this one it raises EmailTaken.
    `client_address` (the registering request's, `core.net.client_address`) is kept only
    as a keyed hash, for the welcome credit's velocity limit.
    """
    email = _normalise_email(email)
    country, vat_id = _tax_details(country=country, vat_id=vat_id)
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
        user=user,
        platform=platform,
        customer_number=_new_customer_number(platform=platform),
        signup_address_hash=address_hash(client_address) if client_address else "",
        country=country,
        vat_id=vat_id,
        vat_case=place_of_supply(country=country, vat_id=vat_id),
    )


def _tax_details(*, country: str, vat_id: str) -> tuple[str, str]:
    country = (country or "DE").strip().upper()
    if len(country) != 2 or not country.isalpha():
        raise InvalidVatId(field="country")
    vat_id = vat_id_clean(vat_id) if country in EU else vat_id.strip()
    problem = vat_id_problem(vat_id=vat_id, country=country)
    if problem is not None:
        raise InvalidVatId(problem, field="vat_id")
    return country, vat_id


def client_tax_details_change(*, account: ClientAccount, country: str, vat_id: str) -> None:
    """Record a new country or VAT ID. The VAT case in force changes with the next
    top-up (`client_vat_case_apply`), not for money already paid."""
    country, vat_id = _tax_details(country=country, vat_id=vat_id)
    ClientAccount.objects.filter(pk=account.pk).update(country=country, vat_id=vat_id)
    account.country, account.vat_id = country, vat_id


def client_vat_case_apply(*, account: ClientAccount) -> str:
    """Put the VAT case of the declared country and VAT ID in force (at a top-up);
    returns it."""
    case = place_of_supply(country=account.country, vat_id=account.vat_id)
    if case != account.vat_case:
        ClientAccount.objects.filter(pk=account.pk).update(vat_case=case)
        account.vat_case = case
    return str(case)


@transaction.atomic
def client_set_pin(*, account: ClientAccount, pin: str) -> None:
    """Store the phone PIN hashed (4–8 digits). A new PIN also lifts a lock of the
    phone access after too many wrong entries (accounts/phone_pin.py)."""
    if not (pin.isdigit() and 4 <= len(pin) <= 8):
        raise InvalidPin()
    account.phone_pin_hash = make_password(pin)
    account.save(update_fields=["phone_pin_hash"])
    if client_pin_unlock(account=account, by="client"):
        account.phone_pin_locked_at = None


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


# --- e-mail verification ------------------------------------------------------------

EMAIL_VERIFY_SALT = "sprechzeit.accounts.email-verify"
EMAIL_VERIFY_MAX_AGE = 3 * 24 * 3600


def email_verification_token(*, user: User) -> str:
    """A signed, expiring token that names the user and the address it confirms."""
    return signing.dumps({"u": user.pk, "e": user.email}, salt=EMAIL_VERIFY_SALT, compress=True)


def user_verify_email(*, token: str, platform: Platform | None) -> User:
    """Mark the address of the token's user verified (idempotent).

    The token must be fresh, untampered, still name the user's current address and belong
    to the platform it is opened on. Raises InvalidToken otherwise; nothing changes then.
    """
    try:
        data = signing.loads(token, salt=EMAIL_VERIFY_SALT, max_age=EMAIL_VERIFY_MAX_AGE)
    except signing.BadSignature as exc:  # also SignatureExpired
        raise InvalidToken() from exc
    user = User.objects.filter(pk=data.get("u"), email=data.get("e")).first()
    if user is None or (
        user.platform_id is not None and (platform is None or user.platform_id != platform.pk)
    ):
        raise InvalidToken()
    if user.email_verified_at is None:
        user.email_verified_at = clock.now()
        user.save(update_fields=["email_verified_at"])
    return user


# --- two-factor authentication (TOTP) ----------------------------------------------


def user_requires_2fa(*, user: User) -> bool:
    """Partners and staff always; clients only once they have enrolled a device."""
    return user.kind != User.Kind.CLIENT or user_has_device(user, confirmed=True)


def totp_self_enrolment_allowed(*, user: User) -> bool:
    """May the person who logs in with the password enrol the authenticator? Not for
    staff: theirs is enrolled through a one-time invitation link (`accounts.enrolment`),
    so a leaked or initial password alone never yields a back-office login."""
    return user.kind != User.Kind.STAFF


def totp_enrolment_device(*, user: User) -> TOTPDevice:
    """The user's unconfirmed TOTP device for enrolment (created once, reused on reload)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=_("Authenticator-App"), confirmed=False)
    return device


def totp_verify(*, user: User, token: str) -> TOTPDevice | None:
    """The device (confirmed, or the pending enrolment) that accepts `token`, or None.

    A pending device that accepts a token becomes confirmed: enrolment is complete. The
    devices' own throttling slows down guessing.
    """
    token = token.strip().replace(" ", "")
    if not token.isdigit():
        return None
    devices = TOTPDevice.objects.filter(user=user)
    if not totp_self_enrolment_allowed(user=user):
        devices = devices.filter(confirmed=True)  # staff enrol through their invitation only
    for device in devices.order_by("-confirmed", "pk"):
        if device.verify_token(token):
            if not device.confirmed:
                device.confirmed = True
                device.save(update_fields=["confirmed"])
                TOTPDevice.objects.filter(user=user, confirmed=False).delete()
            return device
    return None


@transaction.atomic
def listing_update(
    *,
    listing: Listing,
    display_name: str,
    headline: str,
    description: str,
    rate_minor: int,
    categories: list[Category],
    photo: File[bytes] | None = None,
) -> Listing:
    """A partner edits their listing: text, categories of the listing's platform, photo and
    a price within the platform's limits (RateOutOfRange otherwise; nothing is saved)."""
    listing_check_rate(platform=listing.platform, rate_minor=rate_minor)
    listing.display_name = display_name.strip()
    listing.headline = headline.strip()
    listing.description = description.strip()
    listing.rate_minor = rate_minor
    if photo is not None:  # re-encoded under a random name, or ImageRefused (core.images)
        listing.photo.save("", photo, save=False)
    listing.save()
    listing.categories.set([c for c in categories if c.platform_id == listing.platform_id])
    return listing
