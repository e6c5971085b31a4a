"""Second factors beyond the first log-in: staff invitations and recovery codes.

**Staff** enrol their authenticator only through a one-time, expiring invitation link
(`sprechzeit staff invite <email>`): whoever opens it must also know the account's
password, then scans a fresh secret and confirms it with a code. A staff member without a
confirmed device who logs in with the password gets no enrolment (`site.auth_views`).

**Recovery codes** (django-otp's static device): ten single-use codes, generated when an
authenticator is enrolled and on request, shown once. Each is accepted once instead of a
TOTP code, for the day the phone is lost.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Final

from django.db import transaction
from django.utils.translation import gettext as _
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from sprechzeit.accounts.errors import InvitationInvalid, NotStaff, WrongCode
from sprechzeit.accounts.models import StaffInvitation, User
from sprechzeit.accounts.services import totp_verify
from sprechzeit.core import clock

INVITATION_VALID_FOR: Final = timedelta(hours=72)
RECOVERY_CODE_COUNT: Final = 10
# Lower-case base32 without look-alikes of digits 0, 1, 8, 9: easy to type from paper.
_RECOVERY_ALPHABET: Final = "abcdefghijklmnopqrstuvwxyz234567"
_RECOVERY_LENGTH: Final = 10


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# --- staff invitations -----------------------------------------------------------------


@transaction.atomic
def staff_invite(*, user: User, valid_for: timedelta = INVITATION_VALID_FOR) -> str:
    """A new invitation for `user` (an active staff login); returns the secret token of
    its link, which is stored only as a hash. Earlier unused invitations stop working.
    Raises NotStaff for anyone else."""
    if user.kind != User.Kind.STAFF or not user.is_staff or not user.is_active:
        raise NotStaff(user=user.pk)
    now = clock.now()
    StaffInvitation.objects.filter(user=user, used_at__isnull=True).delete()
    token = secrets.token_urlsafe(32)
    StaffInvitation.objects.create(
        user=user, token_sha256=_digest(token), created_at=now, expires_at=now + valid_for
    )
    return token


def staff_invitation_open(*, token: str) -> StaffInvitation:
    """The live invitation of `token`: unused, unexpired, for an active staff login.
    Raises InvitationInvalid otherwise (also for a token that never existed)."""
    invitation = (
        StaffInvitation.objects.select_related("user")
        .filter(token_sha256=_digest(token[:200]))
        .first()
    )
    if (
        invitation is None
        or invitation.used_at is not None
        or invitation.expires_at <= clock.now()
        or not invitation.user.is_active
        or invitation.user.kind != User.Kind.STAFF
    ):
        raise InvitationInvalid()
    return invitation


@transaction.atomic
def staff_invitation_device(*, invitation: StaffInvitation) -> TOTPDevice:
    """A fresh, unconfirmed authenticator for the invitation's staff member (called once
    the password is proven). Earlier unconfirmed ones are deleted, so a secret shown
    before never becomes the confirmed one."""
    TOTPDevice.objects.filter(user=invitation.user, confirmed=False).delete()
    return TOTPDevice.objects.create(
        user=invitation.user, name=_("Authenticator-App"), confirmed=False
    )


def staff_invitation_accept(
    *, token: str, device_id: int, code: str
) -> tuple[TOTPDevice, list[str]]:
    """Complete the enrolment: `code` from the new device confirms it, the invitation is
    used up, every other authenticator of the person is removed (a lost phone stops
    working) and fresh recovery codes are returned, to be shown once.

    Raises InvitationInvalid (used, expired, unknown device) or WrongCode; nothing
    changes then, except the device's throttle after a wrong code.
    """
    invitation = staff_invitation_open(token=token)
    device = TOTPDevice.objects.filter(pk=device_id, user=invitation.user, confirmed=False).first()
    if device is None:
        raise InvitationInvalid()
    compact = code.strip().replace(" ", "")
    # Verified outside the transaction below, so that a wrong code's throttle is kept.
    if not (compact.isdigit() and device.verify_token(compact)):
        raise WrongCode()
    return device, _invitation_complete(invitation_id=invitation.pk, device=device)


@transaction.atomic
def _invitation_complete(*, invitation_id: int, device: TOTPDevice) -> list[str]:
    invitation = StaffInvitation.objects.select_for_update().get(pk=invitation_id)
    if invitation.used_at is not None:  # a concurrent request completed it first
        raise InvitationInvalid()
    invitation.used_at = clock.now()
    invitation.save(update_fields=["used_at"])
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user_id=invitation.user_id).exclude(pk=device.pk).delete()
    return recovery_codes_regenerate(user=invitation.user)


# --- recovery codes ----------------------------------------------------------------


def _recovery_code() -> str:
    return "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_LENGTH))


def recovery_code_display(code: str) -> str:
    """`abcdefghij` → `abcde-fghij` (how codes are shown; typed either way)."""
    return f"{code[:5]}-{code[5:]}"


@transaction.atomic
def recovery_codes_regenerate(*, user: User) -> list[str]:
    """Replace the user's recovery codes by RECOVERY_CODE_COUNT new ones and return them
    for display; earlier codes stop working at once."""
    device, _created = StaticDevice.objects.get_or_create(
        user=user, defaults={"name": _("Wiederherstellungscodes"), "confirmed": True}
    )
    device.token_set.all().delete()
    codes = [_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return [recovery_code_display(code) for code in codes]


def recovery_codes_remaining(*, user: User) -> int:
    count: int = StaticToken.objects.filter(device__user=user, device__confirmed=True).count()
    return count


def recovery_code_verify(*, user: User, code: str) -> StaticDevice | None:
    """The user's recovery-code device if `code` is one of its unused codes (which is
    then used up), else None. The device row is locked: one code, one log-in."""
    compact = code.strip().lower().replace("-", "").replace(" ", "")
    if not (compact.isalnum() and len(compact) == _RECOVERY_LENGTH):
        return None
    with transaction.atomic():
        device = StaticDevice.objects.select_for_update().filter(user=user, confirmed=True).first()
        if device is None or not device.verify_token(compact):
            return None
        return device


def second_factor_verify(*, user: User, token: str) -> Device | None:
    """The device that accepts `token`: a TOTP code (digits) from a confirmed authenticator,
    or an unused recovery code; None otherwise. Both kinds are throttled by django-otp."""
    compact = token.strip().replace(" ", "").replace("-", "")
    if compact.isdigit() and len(compact) <= 8:
        return totp_verify(user=user, token=compact)
    return recovery_code_verify(user=user, code=compact)
