"""VAT that is not owed, taken off the books (§ 17 UStG; docs/vat.md, for review by the
tax adviser).

Each consultation books its VAT when it is settled, from its whole charge. Two parts of
that charge bring the operator no consideration:

- **Bonus-funded minutes** (welcome credit, goodwill bonus): the client paid nothing for
  them, so they are no taxable supply for consideration; the VAT booked on the part of
  the charge the bonus paid is booked back, output VAT → platform revenue.
- **Consumption written off after a chargeback**: the consideration became
  uncollectible (§ 17 Abs. 2 Nr. 1 UStG); the VAT contained in the written-off amount
  (at the platform's rate, for clients in the German VAT case) is booked back in the
  month of the write-off, output VAT → chargeback loss.

`vat_corrections_book(legal_entity=…, period=…)` books one correction per platform and
kind for an ended month (idempotent: the same ids on a rerun), with the basis in the
metadata; `accounting vat` reads them back into Kz 81 (basis and tax less the
corrections), so the return stays reconciled with the ledger.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from fractions import Fraction
from typing import Final

from django.db import transaction

from sprechzeit.accounts.models import ClientAccount
from sprechzeit.accounts.vat_place import ClientVatCase
from sprechzeit.consultations.models import Consultation
from sprechzeit.core.money import Money, round_half_up
from sprechzeit.ledger import services as ledger
from sprechzeit.ledger.models import AccountPurpose, Transfer
from sprechzeit.ledger.services import TransferSpec
from sprechzeit.platforms.models import LegalEntity, Platform
from sprechzeit.statements.periods import Period
from sprechzeit.wallets import services as wallets

PURPOSE: Final = "vat_correction_17"
NAMESPACE: Final = uuid.UUID("6a1f3c52-3d2e-4f0b-9d57-17a8b0c0f017")


@dataclass(frozen=True, slots=True)
class Correction:
    platform: Platform
    kind: str  # "bonus" or "write_off"
    basis_minor: int  # the gross amount without consideration
    vat_minor: int  # the VAT in it, booked back


def _bonus_part(consultation: Consultation) -> int:
    """The part of the consultation's charge that bonus money paid (the charge takes
    its holds in order, each hold's bonus first; `consultations.billing`)."""
    charge_left, from_bonus = int(consultation.amount_minor or 0), 0
    for hold in consultation.holds.order_by("seq"):
        charge = min(charge_left, hold.amount_minor)
        charge_left -= charge
        if charge:
            parts = wallets.wallet_hold_parts(hold_id=hold.transfer_id)
            from_bonus += min(charge, parts.bonus.minor)
    return from_bonus


def vat_corrections(*, legal_entity: LegalEntity, period: Period) -> list[Correction]:
    """The corrections of `period` per platform of the entity (nothing for a zero)."""
    start, end = period.bounds()
    sums: dict[tuple[int, str], list[int]] = defaultdict(lambda: [0, 0])
    platforms = {p.pk: p for p in Platform.objects.filter(legal_entity=legal_entity)}
    for consultation in Consultation.objects.filter(
        platform__legal_entity=legal_entity,
        settled_at__gte=start,
        settled_at__lt=end,
        amount_minor__gt=0,
        vat_minor__gt=0,
    ).order_by("pk"):
        gross = int(consultation.amount_minor or 0)
        bonus = _bonus_part(consultation)
        if bonus:
            row = sums[(consultation.platform_id, "bonus")]
            row[0] += bonus
            row[1] += round_half_up(Fraction(int(consultation.vat_minor or 0) * bonus, gross))
    for written in Transfer.objects.filter(
        purpose="receivable_written_off",
        created_at__gte=start,
        created_at__lt=end,
        debit_account__purpose=AccountPurpose.CHARGEBACK_LOSS,
    ):
        client_id = written.reference.partition(":")[2] if written.reference else ""
        client = (
            ClientAccount.objects.filter(pk=int(client_id)).select_related("platform").first()
            if client_id.isdigit()
            else None
        )
        if client is None or client.platform_id not in platforms:
            continue
        if client.vat_case != ClientVatCase.DOMESTIC:
            continue
        rate = Fraction(client.platform.vat_rate)
        row = sums[(client.platform_id, "write_off")]
        row[0] += written.amount
        row[1] += written.amount - round_half_up(Fraction(written.amount) * 100 / (100 + rate))
    return [
        Correction(platforms[platform_id], kind, basis, vat)
        for (platform_id, kind), (basis, vat) in sorted(sums.items())
        if vat
    ]


@transaction.atomic
def vat_corrections_book(*, legal_entity: LegalEntity, period: Period) -> list[Correction]:
    """Book the corrections of an ended month (see the module); a rerun books nothing
    twice (ids from entity, platform, kind and month)."""
    corrections = vat_corrections(legal_entity=legal_entity, period=period)
    specs = []
    for correction in corrections:
        platform = correction.platform
        target = (
            AccountPurpose.PLATFORM_REVENUE
            if correction.kind == "bonus"
            else AccountPurpose.CHARGEBACK_LOSS
        )
        key = f"vat17:{platform.pk}:{correction.kind}:{period.label}"
        specs.append(
            TransferSpec(
                id=uuid.uuid5(NAMESPACE, key),
                debit_account=wallets.platform_account(
                    platform=platform, purpose=AccountPurpose.OUTPUT_VAT
                ),
                credit_account=wallets.platform_account(platform=platform, purpose=target),
                amount=Money(correction.vat_minor, platform.currency),
                purpose=PURPOSE,
                reference=f"platform:{platform.pk}",
                metadata={
                    "kind": correction.kind,
                    "basis_minor": correction.basis_minor,
                    "tax_period": period.label,
                },
            )
        )
    if specs:
        ledger.transfers_post_linked(transfers=specs)
    return corrections
