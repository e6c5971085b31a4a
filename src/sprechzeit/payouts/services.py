"""Payout runs: a SEPA pain.001.001.09 file for one issuing entity (`payouts.sepa`), each
payout booked partner payable → payout in transit. The bank's answers confirm or return
the payouts: `payouts.lines` (camt.053/054), `payouts.status_report` (pain.002), both
booking through `payouts.settle`; `payouts.bank` routes a whole statement.

Nothing is paid twice: a statement is covered by at most one open or confirmed payout
(the run locks the entity first), each ledger id derives from the payout, and each
bank line is imported once.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from sprechzeit.core import clock
from sprechzeit.core.money import Money
from sprechzeit.ledger import selectors as ledger_selectors
from sprechzeit.ledger import services as ledger
from sprechzeit.ledger.models import Account, AccountPurpose
from sprechzeit.ledger.services import TransferSpec
from sprechzeit.payouts import errors, selectors
from sprechzeit.payouts.models import Payout, PayoutRun
from sprechzeit.payouts.payee import payee_problem, payee_verifier
from sprechzeit.payouts.sepa import sepa_errors, sepa_file, sepa_file_ids, sepa_text
from sprechzeit.platforms.models import LegalEntity
from sprechzeit.statements.models import PartnerTaxProfile, Statement
from sprechzeit.statements.payability import payout_decision
from sprechzeit.statements.services import entity_account
from sprechzeit.wallets import services as wallets


@dataclass(frozen=True, slots=True)
class Skipped:
    partner_id: int
    amount_minor: int
    reason: str


def _skip_reason(
    profile: PartnerTaxProfile | None, amount_minor: int, threshold: int, payable_minor: int
) -> str:
    """Why a partner is not paid now ("" = paid): the rule credit notes state too."""
    decision = payout_decision(
        profile=profile,
        amount_minor=amount_minor,
        threshold_minor=threshold,
        payable_minor=payable_minor,
    )
    return decision.reason_de()


@transaction.atomic(durable=True)
def payout_run_create(
    *, legal_entity: LegalEntity, within: Callable[[PayoutRun], object] | None = None
) -> PayoutRun:
    """Pay every partner of `legal_entity` whose unpaid issued statements reach the
    threshold and who has a verified IBAN: one pain.001.001.09 file (checked against the
    DK GBIC_5 XSD), each payout booked partner payable → payout in transit.

    Locks the entity row first: two runs at once queue, the second finds the statements
    covered. Raises `NothingToPay` (with the skipped partners and why) or
    `DebtorAccountMissing`; everything else is recorded in `run.skipped`. `within` is
    called with the finished run inside the run's transaction (the console's audit
    entry commits with the run, or neither does).
    """
    entity = LegalEntity.objects.select_for_update().get(pk=legal_entity.pk)
    if not entity.iban:
        raise errors.DebtorAccountMissing(legal_entity=entity.pk)
    policy = selectors.policy_for(legal_entity=entity)
    owed = selectors.unpaid_statements(legal_entity=entity)
    now = clock.now()
    payables = {
        partner_id: wallets.partner_payable_account(
            partner=statements[0].partner, currency=statements[0].currency
        )
        for partner_id, statements in owed.items()
    }
    chosen, skipped = _partners_due(owed, payables, threshold_minor=policy.threshold_minor)
    if not chosen:
        raise errors.NothingToPay(skipped=[asdict(item) for item in skipped])
    run = PayoutRun.objects.create(
        legal_entity=entity,
        message_id=f"PO{entity.pk}-{now:%Y%m%d%H%M%S}-{uuid.uuid4().hex[:6]}"[:35],
        execution_date=timezone.localdate(now) + timedelta(days=policy.execution_days),
        skipped=[asdict(item) for item in skipped],
        created_at=now,
    )
    made = _payouts_book(run, chosen, payables)
    xml = sepa_file(run, entity, made)
    problems = sepa_errors(xml)
    ids = sepa_file_ids(xml)
    if ids.message_id != run.message_id or len(ids.payment_info_ids) != 1:
        problems.append(f"MsgId {ids.message_id} / PmtInfId {ids.payment_info_ids}")
    if problems:
        raise errors.SepaFileInvalid(problems=problems[:5])
    run.payment_info_id = ids.payment_info_ids[0]
    run.file = xml
    run.file_sha256 = hashlib.sha256(xml).hexdigest()
    run.count = len(made)
    run.total_minor = sum(payout.amount_minor for payout, _profile in made)
    run.save(update_fields=["payment_info_id", "file", "file_sha256", "count", "total_minor"])
    if within is not None:
        within(run)
    return run


type Due = list[tuple[int, list[Statement], PartnerTaxProfile]]


def _partners_due(
    owed: dict[int, list[Statement]], payables: dict[int, Account], *, threshold_minor: int
) -> tuple[Due, list[Skipped]]:
    """Who is paid now (partner, statements, tax profile) and who is skipped and why,
    by the rule the credit notes state, then the payee check (`payouts.payee`);
    partners in id order."""
    profiles = {
        profile.partner_id: profile
        for profile in PartnerTaxProfile.objects.filter(partner_id__in=list(owed))
    }
    balances = ledger_selectors.accounts_balances(accounts=list(payables.values()))
    verifier = payee_verifier()
    chosen: Due = []
    skipped: list[Skipped] = []
    for partner_id, statements in sorted(owed.items()):
        amount = sum(statement.gross_minor for statement in statements)
        profile = profiles.get(partner_id)
        posted = balances[int(payables[partner_id].pk)].posted.minor
        reason = _skip_reason(profile, amount, threshold_minor, posted)
        if not reason and profile is not None:
            name = sepa_text(profile.account_holder, 70)
            reason = payee_problem(verifier.verify(iban=profile.iban, name=name))
        if reason or profile is None:
            skipped.append(Skipped(partner_id, amount, reason))
        else:
            chosen.append((partner_id, statements, profile))
    return chosen, skipped


def _payouts_book(
    run: PayoutRun, chosen: Due, payables: dict[int, Account]
) -> list[tuple[Payout, PartnerTaxProfile]]:
    """One payout per chosen partner, named by its newest credit note's number, and its
    booking partner payable → payout in transit (one linked batch)."""
    entity = run.legal_entity
    in_transit = entity_account(legal_entity=entity, purpose=AccountPurpose.PAYOUT_IN_TRANSIT)
    specs: list[TransferSpec] = []
    made: list[tuple[Payout, PartnerTaxProfile]] = []
    for partner_id, statements, profile in chosen:
        amount = sum(statement.gross_minor for statement in statements)
        credit_notes = [s for s in statements if s.kind == Statement.Kind.CREDIT_NOTE]
        newest = (credit_notes or statements)[-1]
        transfer_id = uuid.uuid4()
        payout = Payout.objects.create(
            run=run,
            legal_entity=entity,
            partner_id=partner_id,
            amount_minor=amount,
            currency=newest.currency,
            end_to_end_id=str(newest.number),
            iban=profile.iban,
            account_holder=profile.account_holder,
            transfer_id=transfer_id,
            created_at=run.created_at,
        )
        payout.statements.set(statements)
        specs.append(
            TransferSpec(
                id=transfer_id,
                debit_account=payables[partner_id],
                credit_account=in_transit,
                amount=Money(amount, payout.currency),
                purpose="partner_payout",
                reference=f"payout:{payout.pk}",
            )
        )
        made.append((payout, profile))
    ledger.transfers_post_linked(transfers=specs)
    return made
