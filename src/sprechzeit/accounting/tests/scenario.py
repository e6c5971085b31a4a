"""A constructed October for one operator entity: four partners (regular, small
business, EU reverse charge, outside the EU) on one platform, each with a client who
tops up on 1 October and consultations during the month; the credit notes are issued on
2 November and the EU one is cancelled and reissued on 5 November. Ledger counters are
taken after October and after November, so tests can compare a period's movement."""

from __future__ import annotations

from dataclasses import dataclass, field

from sprechzeit.accounting.selectors import entity_accounts
from sprechzeit.consultations.models import Consultation
from sprechzeit.core import clock
from sprechzeit.ledger.models import Account
from sprechzeit.ledger.selectors import Counters, accounts_counters
from sprechzeit.platforms.models import LegalEntity, Platform
from sprechzeit.platforms.tests.factories import platform_create
from sprechzeit.statements import services as statements
from sprechzeit.statements.models import Statement
from sprechzeit.statements.tests.factories import at, busy_scene, settled, tax_profile
from sprechzeit.statements.vat import VatStatus
from sprechzeit.wallets import services as wallets

# seconds of each partner's October consultations (price 1,99 € a minute)
DURATIONS = {
    VatStatus.REGULAR: (600, 61),
    VatStatus.SMALL_BUSINESS: (300,),
    VatStatus.EU_REVERSE_CHARGE: (1200,),
    VatStatus.NON_EU: (900, 120),
}


@dataclass
class Month:
    entity: LegalEntity
    platform: Platform
    consultations: dict[VatStatus, list[Consultation]] = field(default_factory=dict)
    notes: dict[VatStatus, Statement] = field(default_factory=dict)
    cancellation: Statement | None = None
    replacement: Statement | None = None
    after_october: dict[int, Counters] = field(default_factory=dict)
    after_november: dict[int, Counters] = field(default_factory=dict)

    def accounts(self) -> dict[int, str]:
        """The entity's accounts and its partners' payables: id → purpose."""
        own = dict(entity_accounts(legal_entity=self.entity).values_list("pk", "purpose"))
        partners = [str(c[0].partner_id) for c in self.consultations.values()]
        own.update(
            Account.objects.filter(
                owner_type="accounts.partner", owner_id__in=partners
            ).values_list("pk", "purpose")
        )
        return own


def october(*, entity_vat_id: str = "DE123456789") -> Month:
    with clock.frozen_at(at(2026, 10, 1, 8)):
        platform = platform_create()
        entity = platform.legal_entity
        entity.vat_id = entity_vat_id
        entity.datev_consultant_number = 29098
        entity.datev_client_number = 55003
        entity.save()
        month = Month(entity=entity, platform=platform)
        scenes = {status: busy_scene(platform=platform) for status in DURATIONS}
        for status, s in scenes.items():
            tax_profile(s.partner, status)
    for day, (status, seconds) in enumerate(
        ((status, seconds) for status, all_ in DURATIONS.items() for seconds in all_), start=3
    ):
        month.consultations.setdefault(status, []).append(
            settled(scenes[status], seconds=seconds, when=at(2026, 10, day))
        )
    month.after_october = _counters(month)
    with clock.frozen_at(at(2026, 11, 2)):
        statements.statements_close(period="2026-10")
    for status, s in scenes.items():
        month.notes[status] = Statement.objects.get(partner=s.partner, kind="389")
    with clock.frozen_at(at(2026, 11, 5)):
        month.cancellation, month.replacement = statements.statement_cancel(
            statement=month.notes[VatStatus.EU_REVERSE_CHARGE]
        )
    month.after_november = _counters(month)
    return month


def _counters(month: Month) -> dict[int, Counters]:
    return accounts_counters(account_ids=month.accounts())


__all__ = ["Month", "october", "wallets"]
