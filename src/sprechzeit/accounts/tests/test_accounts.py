from __future__ import annotations

from typing import cast

import pytest
from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.hashers import check_password
from django.db import IntegrityError, transaction
from django.test import Client, RequestFactory

from sprechzeit.accounts import roles
from sprechzeit.accounts.errors import (
    EmailTaken,
    InvalidPin,
    ListingExists,
    RateOutOfRange,
    UnknownRole,
)
from sprechzeit.accounts.models import ClientAccount, Listing, User
from sprechzeit.accounts.services import (
    client_register,
    client_set_pin,
    listing_create,
    listing_update_rate,
    partner_create,
    staff_create,
)
from sprechzeit.accounts.tests.factories import (
    PASSWORD,
    client_create,
    login_verified,
    partner_with_listing,
)
from sprechzeit.platforms.http import PlatformRequest
from sprechzeit.platforms.models import Platform
from sprechzeit.platforms.tests.factories import platform_create

pytestmark = pytest.mark.django_db


def _request_on(host: str, platform: Platform) -> PlatformRequest:
    request = cast(PlatformRequest, RequestFactory().get("/", headers={"host": host}))
    request.platform = platform
    return request


def test_same_email_holds_separate_accounts_on_two_platforms() -> None:
    a, b = platform_create(slug="a"), platform_create(slug="b")
    on_a = client_register(platform=a, email="Kim@Example.com", password="passwort-a-123")
    on_b = client_register(platform=b, email="kim@example.com", password="passwort-b-456")
    assert on_a.user.pk != on_b.user.pk
    assert on_a.user.email == on_b.user.email == "kim@example.com"
    # Each password opens only its own platform's account.
    assert (
        authenticate(
            _request_on("a.localhost", a), email="kim@example.com", password="passwort-a-123"
        )
        == on_a.user
    )
    assert (
        authenticate(
            _request_on("b.localhost", b), email="kim@example.com", password="passwort-a-123"
        )
        is None
    )
    assert (
        authenticate(
            _request_on("b.localhost", b), email="kim@example.com", password="passwort-b-456"
        )
        == on_b.user
    )


def test_duplicate_email_on_same_platform_is_refused_and_nothing_half_saved() -> None:
    platform = platform_create()
    client_register(platform=platform, email="kim@example.com", password=PASSWORD)
    users_before, accounts_before = User.objects.count(), ClientAccount.objects.count()
    with pytest.raises(EmailTaken):
        client_register(platform=platform, email="KIM@example.com ", password=PASSWORD)
    assert (User.objects.count(), ClientAccount.objects.count()) == (users_before, accounts_before)


def test_database_refuses_duplicate_email_per_platform_even_past_the_service() -> None:
    platform = platform_create()
    client_create(platform=platform, email="kim@example.com")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(email="KIM@example.com", kind=User.Kind.CLIENT, platform=platform)


def test_client_must_have_platform_and_partner_must_not() -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(email="x@example.com", kind=User.Kind.CLIENT, platform=None)


def test_customer_numbers_are_unique_per_platform() -> None:
    platform = platform_create()
    numbers = {client_create(platform=platform).customer_number for _ in range(25)}
    assert len(numbers) == 25
    assert all(len(n) == 7 and n.isdigit() for n in numbers)


def test_phone_pin_is_stored_hashed() -> None:
    account = client_create(platform=platform_create())
    client_set_pin(account=account, pin="4711")
    account.refresh_from_db()
    assert "4711" not in account.phone_pin_hash
    assert check_password("4711", account.phone_pin_hash)
    for bad in ("12", "abcd", "123456789", ""):
        with pytest.raises(InvalidPin):
            client_set_pin(account=account, pin=bad)


def test_passwords_are_hashed_with_argon2_in_production_settings() -> None:
    # The suite prepends a fast MD5 hasher; what remains is the production list.
    production_hashers = [h for h in settings.PASSWORD_HASHERS if "MD5" not in h]
    assert production_hashers[0].endswith("Argon2PasswordHasher")
    user = User.objects.create_user("p@example.com", PASSWORD, kind=User.Kind.PARTNER)
    assert user.password != PASSWORD


def test_partner_has_one_login_and_one_listing_per_platform() -> None:
    a, b = platform_create(), platform_create()
    partner, listing_a = partner_with_listing(platform=a)
    listing_b = listing_create(
        partner=partner, platform=b, display_name="Anders auf B", rate_minor=250
    )
    assert {listing_a.platform, listing_b.platform} == {a, b}
    with pytest.raises(ListingExists):
        listing_create(partner=partner, platform=a, display_name="Zweites Profil", rate_minor=199)
    with pytest.raises(EmailTaken):
        partner_create(email=partner.user.email, password=PASSWORD, first_name="X", last_name="Y")


@pytest.mark.parametrize(
    ("rate", "ok"), [(98, False), (99, True), (250, True), (499, True), (500, False), (0, False)]
)
def test_listing_rate_must_lie_within_platform_limits(rate: int, ok: bool) -> None:
    platform = platform_create(rate_min_minor=99, rate_max_minor=499)
    partner, listing = partner_with_listing(platform=platform)
    other = platform_create(rate_min_minor=99, rate_max_minor=499)
    if ok:
        assert listing_update_rate(listing=listing, rate_minor=rate).rate_minor == rate
        assert (
            listing_create(
                partner=partner, platform=other, display_name="B", rate_minor=rate
            ).rate_minor
            == rate
        )
    else:
        with pytest.raises(RateOutOfRange) as excinfo:
            listing_update_rate(listing=listing, rate_minor=rate)
        assert excinfo.value.fields == {"rate_minor": rate, "min_minor": 99, "max_minor": 499}
        listing.refresh_from_db()
        assert listing.rate_minor == 199
        with pytest.raises(RateOutOfRange):
            listing_create(partner=partner, platform=other, display_name="B", rate_minor=rate)
        assert not Listing.objects.filter(platform=other).exists()


def test_admin_form_refuses_rate_outside_limits() -> None:
    from sprechzeit.accounts.admin import ListingForm  # noqa: PLC0415

    platform = platform_create(rate_min_minor=100, rate_max_minor=300)
    partner, _listing = partner_with_listing(platform=platform_create())
    form = ListingForm(
        data={
            "partner": partner.pk,
            "platform": platform.pk,
            "display_name": "X",
            "slug": "x",
            "rate_minor": 301,
            "is_published": True,
        }
    )
    assert not form.is_valid()
    assert "rate_minor" in form.errors


@pytest.mark.parametrize(
    ("role", "allowed", "denied"),
    [
        (
            roles.ADMIN,
            ["platforms.change_platform", "accounts.change_listing"],
            ["accounts.delete_user"],
        ),
        (
            roles.SUPPORT,
            ["accounts.change_clientaccount", "accounts.view_user"],
            ["platforms.change_platform", "accounts.add_listing"],
        ),
        (
            roles.ACCOUNTING,
            ["platforms.view_legalentity", "accounts.view_partner"],
            ["accounts.change_user", "platforms.change_platform"],
        ),
    ],
)
def test_staff_roles_grant_exactly_their_permissions(
    role: str, allowed: list[str], denied: list[str]
) -> None:
    user = staff_create(email=f"{role}@example.com", password=PASSWORD, role=role)
    user = User.objects.get(pk=user.pk)  # fresh permission cache
    for perm in allowed:
        assert user.has_perm(perm), perm
    for perm in denied:
        assert not user.has_perm(perm), perm
    assert user.is_staff
    assert not user.is_superuser


def test_unknown_role_is_refused() -> None:
    with pytest.raises(UnknownRole):
        staff_create(email="x@example.com", password=PASSWORD, role="chef")
    assert not User.objects.filter(email="x@example.com").exists()


def test_support_staff_can_open_admin_but_not_edit_platforms(client: Client) -> None:
    platform = platform_create()
    staff = staff_create(email="support@example.com", password=PASSWORD, role=roles.SUPPORT)
    login_verified(client, staff)
    assert client.get("/admin/", headers={"host": "127.0.0.1"}).status_code == 200
    assert client.get(
        f"/admin/platforms/platform/{platform.pk}/change/", headers={"host": "127.0.0.1"}
    ).status_code in {200}
    response = client.post(
        f"/admin/platforms/platform/{platform.pk}/change/",
        {"name": "gehackt"},
        headers={"host": "127.0.0.1"},
    )
    assert response.status_code == 403
    platform.refresh_from_db()
    assert platform.name != "gehackt"


def test_clients_cannot_reach_admin(client: Client) -> None:
    account = client_create(platform=platform_create(slug="a"))
    client.force_login(account.user)
    # On a platform's host the back office does not exist; on the network's host the
    # client's session does not count (it belongs to platform A).
    assert client.get("/admin/", headers={"host": "a.localhost"}).status_code == 404
    assert client.get("/admin/", headers={"host": "127.0.0.1"}).status_code == 302


def test_every_role_permission_exists() -> None:
    """A typo in roles.ROLE_PERMISSIONS would silently grant nothing; catch it here."""
    from django.contrib.auth.models import Permission  # noqa: PLC0415

    missing = [
        f"{app}.{codename}"
        for pairs in roles.ROLE_PERMISSIONS.values()
        for app, codename in pairs
        if not Permission.objects.filter(content_type__app_label=app, codename=codename).exists()
    ]
    assert missing == []
