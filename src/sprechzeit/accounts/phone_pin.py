"""The phone PIN's lock: wrong PINs are counted per client account across calls.

A call may try a few times (`consultations.telephony.voice`), but a caller who hangs up
and calls again must not start from zero: every entry is recorded (`PhonePinEvent`, with
its time and the call), and `limit` wrong entries within `window` seconds
(`settings.SPRECHZEIT_PHONE_PIN_LOCK`) lock the account's phone access. A locked PIN is
not checked at all, so guessing stops there. Failures count since the last correct
entry or unlock: the client unlocks by setting a new PIN on the account page
(`client_set_pin`), support by the admin action (`client_pin_unlock`).
"""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.db import transaction
from django.db.models import Max

from sprechzeit.accounts.models import ClientAccount, PhonePinEvent
from sprechzeit.core import clock


class PinCheck(StrEnum):
    OK = "ok"
    WRONG = "wrong"
    # Locked before this entry, or by it (the entry that reached the limit).
    LOCKED = "locked"


def _record(account: ClientAccount, kind: PhonePinEvent.Kind, call_ref: str, by: str = "") -> None:
    PhonePinEvent.objects.create(
        client_account=account, kind=kind, call_ref=call_ref[:64], by=by[:100], at=clock.now()
    )


def _lock_account(account: ClientAccount) -> ClientAccount:
    # Two calls entering PINs at once must not both see room for one more failure.
    return ClientAccount.objects.select_for_update().get(pk=account.pk)


@transaction.atomic
def client_pin_check(*, account: ClientAccount, pin: str, call_ref: str = "") -> PinCheck:
    """Check a PIN entered on the phone and record it. Returns LOCKED without checking
    while the account is locked, and when this wrong entry reached the limit (the lock
    starts now); WRONG or OK otherwise. Locks the account row for the transaction."""
    account = _lock_account(account)
    if account.phone_pin_locked_at is not None:
        _record(account, PhonePinEvent.Kind.REFUSED, call_ref)
        return PinCheck.LOCKED
    if account.phone_pin_hash and pin and check_password(pin, account.phone_pin_hash):
        _record(account, PhonePinEvent.Kind.OK, call_ref)
        return PinCheck.OK
    _record(account, PhonePinEvent.Kind.WRONG, call_ref)
    limit, seconds = settings.SPRECHZEIT_PHONE_PIN_LOCK
    events = PhonePinEvent.objects.filter(client_account=account)
    fresh_start = events.filter(
        kind__in=[PhonePinEvent.Kind.OK, PhonePinEvent.Kind.UNLOCKED]
    ).aggregate(last=Max("pk"))["last"]
    failures = events.filter(
        kind=PhonePinEvent.Kind.WRONG,
        at__gt=clock.now() - timedelta(seconds=seconds),
        pk__gt=fresh_start or 0,
    ).count()
    if failures < limit:
        return PinCheck.WRONG
    account.phone_pin_locked_at = clock.now()
    account.save(update_fields=["phone_pin_locked_at"])
    return PinCheck.LOCKED


@transaction.atomic
def client_pin_unlock(*, account: ClientAccount, by: str) -> bool:
    """Lift the lock of the account's phone access (support, or a new PIN set by the
    client: `by` says who); earlier failures no longer count. Returns whether it was
    locked; unlocking an unlocked account changes nothing."""
    account = _lock_account(account)
    if account.phone_pin_locked_at is None:
        return False
    account.phone_pin_locked_at = None
    account.save(update_fields=["phone_pin_locked_at"])
    _record(account, PhonePinEvent.Kind.UNLOCKED, "", by=by)
    return True
