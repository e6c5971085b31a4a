"""Adjustments: a bonus or a reversal booked for a partner now, listed on the next
statement."""

from __future__ import annotations

import uuid

from django.db import transaction
from django.utils.translation import gettext as _

from sprechzeit.accounts.models import Partner
from sprechzeit.core import clock
from sprechzeit.core.money import Money
from sprechzeit.ledger import services as ledger
from sprechzeit.ledger.models import AccountPurpose
from sprechzeit.platforms.models import Platform
from sprechzeit.statements import errors
from sprechzeit.statements.models import Adjustment
from sprechzeit.wallets import services as wallets


@transaction.atomic
def adjustment_create(
    *,
    partner: Partner,
    platform: Platform,
    kind: Adjustment.Kind,
    amount: Money,
    description: str,
) -> Adjustment:
    """Book a bonus (> 0: platform promotion expense → partner payable) or a reversal
    (< 0: partner payable → platform revenue) now; the next statement lists it."""
    if not amount:
        raise errors.StatementError(_("Eine Anpassung braucht einen Betrag."))
    transfer_id = uuid.uuid4()
    payable = wallets.partner_payable_account(partner=partner, currency=amount.currency)
    if amount.minor > 0:
        expense = wallets.platform_account(
            platform=platform, purpose=AccountPurpose.PROMOTION_EXPENSE
        )
        debit, credit = expense, payable
    else:
        revenue = wallets.platform_account(
            platform=platform, purpose=AccountPurpose.PLATFORM_REVENUE
        )
        debit, credit = payable, revenue
    ledger.transfer_post(
        id=transfer_id,
        debit_account=debit,
        credit_account=credit,
        amount=Money(abs(amount.minor), amount.currency),
        purpose=f"partner_adjustment_{kind}",
        reference=f"partner:{partner.pk}",
    )
    return Adjustment.objects.create(
        partner=partner,
        platform=platform,
        kind=kind,
        description=description,
        amount_minor=amount.minor,
        currency=amount.currency,
        transfer_id=transfer_id,
        created_at=clock.now(),
    )
