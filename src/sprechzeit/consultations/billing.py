"""The money side of a consultation, in one place: the adapter onto the wallets app.

Consultations never book on the ledger themselves. A consultation's holds are wallet
holds (`wallet_hold`, bonus first), its settlement is one `wallet_settle` per hold; the
split into output VAT, the partner's share and platform revenue is computed here
(`split_amount`) because it depends on the frozen tariff of the consultation.

Ids: every hold id derives from the consultation id (`transfer_id`), so a retried
accept, extension or settlement books nothing twice.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Final

from sprechzeit.accounts.models import ClientAccount
from sprechzeit.consultations.errors import ClientBlocked, InsufficientBalance
from sprechzeit.consultations.models import Consultation, ConsultationHold
from sprechzeit.core import clock
from sprechzeit.core.money import Money, round_half_up
from sprechzeit.wallets import errors as wallet_errors
from sprechzeit.wallets import services as wallets

NAMESPACE: Final = uuid.UUID("5f0e9a3c-2c1b-4a8e-9d7a-3c4b1e2f6a70")
# Holds outlive the longest consultation by a day: expiry is the last safety net only.
HOLD_MARGIN: Final = timedelta(days=1)


def transfer_id(consultation: Consultation, leg: str) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"consultation:{consultation.pk}:{leg}")


def client_available(*, client: ClientAccount, currency: str) -> Money:
    """What the client may spend now (paid + bonus, minus running holds)."""
    available = wallets.wallet_balance(client_account=client).available
    return available if available.currency == currency else Money.zero(currency)


def client_check_spend(*, client: ClientAccount) -> None:
    """Raise `ClientBlocked` for a blocked or self-excluded client."""
    try:
        wallets.wallet_check_spend(client_account=client)
    except (wallet_errors.WalletBlocked, wallet_errors.SelfExcluded) as exc:
        raise ClientBlocked(reason=exc.code) from exc


def hold_add(
    *, consultation: Consultation, amount: Money, seq: int, now: datetime | None = None
) -> ConsultationHold:
    """Reserve `amount` of the client's wallet for `consultation` (hold number `seq`).

    Caller holds the consultation's row lock and the transaction. Raises
    `InsufficientBalance` or `ClientBlocked` (nothing booked).
    """
    hold_id = transfer_id(consultation, f"hold:{seq}")
    expires_at = clock.now() + timedelta(seconds=consultation.max_duration_seconds) + HOLD_MARGIN
    try:
        wallets.wallet_hold(
            client_account=consultation.client,
            amount=amount,
            reference=f"consultation:{consultation.pk}",
            expires_at=expires_at,
            hold_id=hold_id,
        )
    except wallet_errors.InsufficientBalance as exc:
        raise InsufficientBalance(needed_minor=amount.minor) from exc
    except (wallet_errors.WalletBlocked, wallet_errors.SelfExcluded) as exc:
        raise ClientBlocked(reason=exc.code) from exc
    return ConsultationHold.objects.create(
        consultation=consultation,
        seq=seq,
        transfer_id=hold_id,
        amount_minor=amount.minor,
        created_at=now or clock.now(),
    )


@dataclass(frozen=True, slots=True)
class Split:
    """How a gross amount divides: output VAT, the partner's share, the platform's."""

    gross: Money
    vat: Money
    partner: Money
    platform: Money


def split_amount(*, gross: Money, vat_rate: Decimal, revenue_share: Decimal) -> Split:
    """VAT is contained in the gross price; the partner's share is a percentage of the
    net amount. Two roundings (net, share), each half-up; the parts add up to `gross`."""
    net_minor = round_half_up(Fraction(gross.minor) * 100 / (100 + Fraction(vat_rate)))
    partner_minor = round_half_up(Fraction(net_minor) * Fraction(revenue_share) / 100)
    return Split(
        gross=gross,
        vat=Money(gross.minor - net_minor, gross.currency),
        partner=Money(partner_minor, gross.currency),
        platform=Money(net_minor - partner_minor, gross.currency),
    )


def split_bonus_funded(*, consultation: Consultation, split: Split) -> Split:
    """The split with the partner paid `platform.bonus_partner_share` % of their normal
    share for the part of the charge that bonus money pays (the operator funded that
    bonus; the difference stays with the operator's revenue). At 100 % (the default)
    `split` is returned unchanged.

    The bonus-funded part follows `wallet_settle`: the charge takes the holds in order
    and each hold spends its bonus part first. Rounded once, half-up; VAT is untouched
    and the parts still add up to the gross amount."""
    percent = Fraction(consultation.platform.bonus_partner_share)
    gross = split.gross.minor
    if percent >= 100 or gross <= 0 or split.partner.minor <= 0:
        return split
    charge_left, from_bonus = gross, 0
    for hold in consultation.holds.order_by("seq"):
        charge = min(charge_left, hold.amount_minor)
        charge_left -= charge
        if charge:
            parts = wallets.wallet_hold_parts(hold_id=hold.transfer_id)
            from_bonus += min(charge, parts.bonus.minor)
    if not from_bonus:
        return split
    cut = round_half_up(
        Fraction(split.partner.minor) * Fraction(from_bonus, gross) * (100 - percent) / 100
    )
    return Split(
        gross=split.gross,
        vat=split.vat,
        partner=Money(split.partner.minor - cut, split.gross.currency),
        platform=Money(split.platform.minor + cut, split.gross.currency),
    )


def settlement_book(*, consultation: Consultation, split: Split) -> uuid.UUID:
    """Charge the rated amount from the consultation's holds in order and release the
    rest, splitting it into VAT, partner share and platform revenue. Holds the amount
    does not reach are voided. Each hold settles once (idempotent by hold id); the
    caller's transaction makes all of them one commit. Caller holds the row lock."""
    currency = consultation.currency
    partner_account = wallets.partner_payable_account(
        partner=consultation.partner, currency=currency
    )
    charge_left, vat_left, partner_left = split.gross.minor, split.vat.minor, split.partner.minor
    for hold in consultation.holds.order_by("seq"):
        charge = min(charge_left, hold.amount_minor)
        vat = min(vat_left, charge)
        partner = min(partner_left, charge - vat)
        charge_left, vat_left, partner_left = (
            charge_left - charge,
            vat_left - vat,
            partner_left - partner,
        )
        wallets.wallet_settle(
            client_account=consultation.client,
            hold_id=hold.transfer_id,
            charge=Money(charge, currency),
            vat=Money(vat, currency),
            partner_share=Money(partner, currency),
            partner_account=partner_account,
            reference=f"consultation:{consultation.pk}",
        )
    if charge_left or vat_left or partner_left:
        raise AssertionError("settlement above the held amount")  # pragma: no cover
    return transfer_id(consultation, "hold:1")
