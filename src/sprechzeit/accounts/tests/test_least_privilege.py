"""Staff least privilege: no role can raise anyone's rights through the admin, and staff
or superuser accounts are read-only to everyone but a superuser."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.test import Client

from sprechzeit.accounts import roles
from sprechzeit.accounts.models import User
from sprechzeit.accounts.services import staff_create
from sprechzeit.accounts.tests.factories import (
    client_create,
    login_verified,
    partner_with_listing,
)
from sprechzeit.platforms.tests.factories import platform_create

pytestmark = pytest.mark.django_db

NET = {"host": "127.0.0.1"}  # the back office is on the network's host


def _staff(role: str) -> Client:
    browser = Client()
    login_verified(browser, staff_create(email=f"{role}@example.com", password=None, role=role))
    return browser


def _escalation(user: User) -> dict[str, Any]:
    """A change form POST that tries to make `user` a superuser with every right."""
    return {
        "email": user.email,
        "kind": User.Kind.STAFF,
        "platform": user.platform_id or "",
        "first_name": "Eve",
        "last_name": "",
        "language": "de",
        "is_active": "on",
        "is_staff": "on",
        "is_superuser": "on",
        "groups": [Group.objects.get(name=roles.ADMIN).pk],
        "user_permissions": [Permission.objects.get(codename="delete_user").pk],
        "password": "pbkdf2_sha256$1$x$y",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "10:00:00",
    }


def _unprivileged(user: User) -> bool:
    user = User.objects.get(pk=user.pk)
    return not (
        user.is_staff
        or user.is_superuser
        or user.groups.filter(name=roles.ADMIN).exists()
        or user.user_permissions.exists()
    )


@pytest.mark.parametrize("role", [roles.SUPPORT, roles.ADMIN])
def test_a_role_with_change_user_cannot_raise_a_clients_rights(role: str) -> None:
    account = client_create(platform=platform_create(slug="a"))
    password = account.user.password
    browser = _staff(role)
    url = f"/admin/accounts/user/{account.user.pk}/change/"
    page = browser.get(url, headers=NET)
    assert page.status_code == 200
    for field in ("is_superuser", "is_staff", "groups", "user_permissions"):
        assert f'name="{field}"' not in page.content.decode(), field
    assert "password/" not in page.content.decode()  # no link to set a password either

    response = browser.post(url, _escalation(account.user), headers=NET)
    assert response.status_code == 302, response.context["adminform"].form.errors
    user = User.objects.get(pk=account.user.pk)
    assert user.first_name == "Eve"  # the allowed fields were saved …
    assert user.kind == User.Kind.CLIENT  # read-only: tenancy is not support's to change
    assert _unprivileged(user)  # … the rights were ignored
    assert user.password == password
    password_url = f"/admin/accounts/user/{account.user.pk}/password/"
    assert browser.get(password_url, headers=NET).status_code == 403
    response = browser.post(
        password_url, {"password1": "neu-geheim-42x", "password2": "neu-geheim-42x"}, headers=NET
    )
    assert response.status_code == 403
    assert User.objects.get(pk=account.user.pk).password == password


@pytest.mark.parametrize("role", [roles.SUPPORT, roles.ADMIN])
def test_staff_cannot_change_a_staff_account_their_own_included(role: str) -> None:
    browser = _staff(role)
    me = User.objects.get(email=f"{role}@example.com")
    other = staff_create(email="kollege@example.com", password=None, role=roles.ACCOUNTING)
    for target in (me, other):
        groups = set(target.groups.values_list("name", flat=True))
        url = f"/admin/accounts/user/{target.pk}/change/"
        page = browser.get(url, headers=NET)
        assert page.status_code == 200  # view only
        assert 'name="_save"' not in page.content.decode()
        assert browser.post(url, _escalation(target), headers=NET).status_code == 403
        target = User.objects.get(pk=target.pk)
        assert not target.is_superuser
        assert set(target.groups.values_list("name", flat=True)) == groups
    assert not User.objects.get(pk=me.pk).is_superuser
    delete = f"/admin/accounts/user/{other.pk}/delete/"
    assert browser.post(delete, {"post": "yes"}, headers=NET).status_code == 403
    assert User.objects.filter(pk=other.pk).exists()


def test_a_superuser_still_manages_rights() -> None:
    boss = User.objects.create_superuser("chefin@example.com", "richtig-geheim-42")
    browser = Client()
    login_verified(browser, boss)
    target = staff_create(email="kollege@example.com", password=None, role=roles.SUPPORT)
    url = f"/admin/accounts/user/{target.pk}/change/"
    assert 'name="is_superuser"' in browser.get(url, headers=NET).content.decode()
    data = _escalation(target)
    del data["password"]
    data["password"] = User.objects.get(pk=target.pk).password
    assert browser.post(url, data, headers=NET).status_code == 302
    assert User.objects.get(pk=target.pk).is_superuser


@pytest.mark.parametrize(
    ("role", "allowed", "denied"),
    [
        (
            roles.SUPPORT,
            ["accounts.change_clientaccount", "consultations.view_consultation"],
            [
                "statements.view_statement",
                "statements.download_statement",
                "payouts.download_sepa",
                "payments.view_payment",
                "wallets.change_walletstate",
                "payments.change_refundrequest",
            ],
        ),
        (
            roles.RISK,
            [
                "payments.view_dispute",
                "payments.change_refundrequest",
                "payments.change_payment",
                "wallets.change_walletstate",
            ],
            ["payouts.download_sepa", "statements.view_statement", "accounts.change_user"],
        ),
        (
            roles.ACCOUNTING,
            [
                "ledger.view_transfer",
                "payments.view_payment",
                "wallets.view_walletstate",
                "statements.download_statement",
                "payouts.download_sepa",
            ],
            ["payments.change_refundrequest", "wallets.change_walletstate", "accounts.change_user"],
        ),
        (
            roles.ADMIN,
            [
                "platforms.change_platform",
                "payments.change_providerconfig",
                "ledger.view_transfer",  # reads the money, decides nothing about it
                "payments.view_payment",
            ],
            [
                "payouts.download_sepa",
                "statements.download_statement",
                "payments.change_refundrequest",
                "wallets.change_walletstate",
            ],
        ),
    ],
)
def test_each_role_holds_its_least_privileges(
    role: str, allowed: list[str], denied: list[str]
) -> None:
    user = User.objects.get(
        pk=staff_create(email=f"{role}@example.com", password=None, role=role).pk
    )
    assert [perm for perm in allowed if not user.has_perm(perm)] == []
    assert [perm for perm in denied if user.has_perm(perm)] == []


def test_migrate_takes_the_old_roles_rights_away_and_adds_risk() -> None:
    """The groups are rebuilt after every migrate (accounts.apps): a support group that
    held money files under the old roles loses them on the next deployment."""
    support, _created = Group.objects.get_or_create(name=roles.SUPPORT)
    stale = Permission.objects.filter(
        codename__in=["view_statement", "download_sepa", "view_payment", "change_user"]
    )
    support.permissions.add(*stale)
    Group.objects.filter(name=roles.RISK).delete()
    call_command("migrate", verbosity=0)
    held = set(Group.objects.get(name=roles.SUPPORT).permissions.values_list("codename", flat=True))
    assert held == {codename for _app, codename in roles.ROLE_PERMISSIONS[roles.SUPPORT]}
    assert "download_sepa" not in held
    assert "view_statement" not in held
    risk = Group.objects.get(name=roles.RISK)
    assert risk.permissions.filter(codename="change_refundrequest").exists()


def test_support_moderates_a_listing_but_not_its_money_or_tenancy() -> None:
    platform = platform_create(slug="a")
    partner, listing = partner_with_listing(platform=platform, rate_minor=199)
    account = client_create(platform=platform)
    browser = _staff(roles.SUPPORT)
    url = f"/admin/accounts/listing/{listing.pk}/change/"
    page = browser.get(url, headers=NET).content.decode()
    for field in ("rate_minor", "revenue_share", "platform", "partner"):
        assert f'name="{field}"' not in page, field
    assert 'name="headline"' in page
    other = platform_create(slug="b")
    browser.post(
        url,
        {
            "display_name": listing.display_name,
            "slug": listing.slug,
            "headline": "Neu",
            "description": "",
            "rate_minor": 499,
            "revenue_share": "0.99",
            "platform": other.pk,
            "partner": partner.pk,
        },
        headers=NET,
    )
    listing.refresh_from_db()
    assert listing.headline == "Neu"  # the content was saved …
    assert (listing.rate_minor, listing.platform_id) == (199, platform.pk)  # … nothing else
    url = f"/admin/accounts/clientaccount/{account.pk}/change/"
    assert 'name="platform"' not in browser.get(url, headers=NET).content.decode()
