"""Where a partner's money goes: the IBAN's checks and what a change of it sets off.

- Only IBANs of the SEPA zone (schwifty's registry): payouts are SEPA credit transfers,
  a Brazilian, Turkish or Emirati IBAN cannot be paid and is refused at entry.
- Changing an existing IBAN needs the partner's authenticator code when they have a
  device (a stolen session alone cannot divert payouts); staff changes in the back
  office are exempt (they logged in with their own second factor).
- The change is announced to the account's e-mail address on file, with both IBANs
  masked and the date payouts go to the new one.
- Payouts go to a changed IBAN only after a cooling-off period (`IBAN_COOLING_OFF`):
  until then the run skips the partner with that date, so a hijacked account can be
  stopped before money leaves.
- A bank return blocks payouts "until the bank data are fixed": a new IBAN or account
  holder lifts the block; saving the same data again does not.
- Every change of the tax status or bank data adds a dated, insert-only history row
  (`TaxProfileChange`), whoever made it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django_otp import user_has_device
from schwifty import IBAN

from sprechzeit.accounts.services import totp_verify
from sprechzeit.notifications.services import mail_send
from sprechzeit.statements import errors
from sprechzeit.statements.models import PartnerTaxProfile, TaxProfileChange

IBAN_COOLING_OFF: Final = timedelta(days=3)


def iban_problem(iban: IBAN) -> str:
    """Why payouts cannot go to this (valid) IBAN; "" when they can."""
    if not iban.in_sepa_zone:
        return _(
            "Auszahlungen sind nur per SEPA-Überweisung möglich; %(country)s gehört nicht "
            "zum SEPA-Raum. Bitte ein Konto in einem SEPA-Land angeben."
        ) % {"country": iban.country_code}
    return ""


def iban_masked(iban: str) -> str:
    return f"{iban[:4]} … {iban[-4:]}" if len(iban) > 8 else iban


def bank_change_apply(
    *,
    profile: PartnerTaxProfile,
    previous: PartnerTaxProfile | None,
    totp_code: str,
    by_staff: bool,
    now: datetime,
) -> None:
    """Set the verification, cooling-off and block of `profile` (fields already set,
    not saved) after a change of its bank data; see the module. Raises
    `TaxProfileInvalid(totp_code=…)` when a needed authenticator code is missing or
    wrong. Caller holds the transaction."""
    if not profile.iban:
        return
    old_iban = previous.iban if previous else ""
    iban_changed = profile.iban != old_iban
    holder_changed = previous is None or profile.account_holder != previous.account_holder
    if old_iban and iban_changed:
        if not by_staff and not _reauthenticated(profile, totp_code):
            raise errors.TaxProfileInvalid(
                totp_code=_(
                    "Zum Ändern der IBAN bitte den Code aus Ihrer Authenticator-App eingeben."
                )
            )
        profile.iban_usable_from = now + IBAN_COOLING_OFF
        _notify(profile, old_iban)
    if iban_changed or holder_changed:
        profile.iban_verified_at = now
        profile.payout_blocked_reason = ""
    elif profile.iban_verified_at is None and not profile.payout_blocked_reason:
        profile.iban_verified_at = now


def _reauthenticated(profile: PartnerTaxProfile, totp_code: str) -> bool:
    """The partner proved it is them: a valid authenticator code, when they have one."""
    user = profile.partner.user
    if not user_has_device(user, confirmed=True):
        return True
    return bool(totp_code) and totp_verify(user=user, token=totp_code) is not None


def _notify(profile: PartnerTaxProfile, old_iban: str) -> None:
    """Tell the account's e-mail address (the one mail service; sent after the commit),
    from the operator of the partner's first platform."""
    user = profile.partner.user
    listing = profile.partner.listings.select_related("platform__legal_entity").order_by("pk")
    first = listing.first()
    when = profile.iban_usable_from
    mail_send(
        platform=None,
        entity=first.platform.legal_entity if first is not None else None,
        to=user,
        template="iban_changed",
        context={
            "user": user,
            "old": iban_masked(old_iban),
            "new": iban_masked(profile.iban),
            "date": date_format(timezone.localtime(when), "DATETIME_FORMAT") if when else "",
        },
        key=f"iban-changed:{profile.partner_id}:{profile.iban}:{when:%Y%m%d%H%M%S}",
    )


def tax_profile_change_record(
    *, profile: PartnerTaxProfile, previous: PartnerTaxProfile | None, by_staff: bool
) -> TaxProfileChange | None:
    """Add a history row when the status or bank data changed (saved `profile`)."""
    tracked = TaxProfileChange.TRACKED
    if previous is not None and all(
        getattr(previous, name) == getattr(profile, name) for name in tracked
    ):
        return None
    return TaxProfileChange.objects.create(
        partner_id=profile.partner_id,
        valid_from=profile.updated_at,
        changed_by=TaxProfileChange.By.STAFF if by_staff else TaxProfileChange.By.PARTNER,
        **{name: getattr(profile, name) or "" for name in tracked},
    )
