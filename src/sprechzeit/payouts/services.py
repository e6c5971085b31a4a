"""Payout writes: a payout run (SEPA pain.001.001.09 for one issuing entity, booked
partner payable → payout in transit), and applying bank statement lines (camt.053, read
by `payments.bankfiles`) that confirm a payout (→ bank) or return it (→ back to the
partner's payable, partner flagged to fix the IBAN). `payouts.bank` is the one import
that routes a whole statement to payments and payouts.

Nothing is paid twice: a statement is covered by at most one open or confirmed payout
(the run locks the entity first), each ledger id derives from the payout, and each
bank line is imported once.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, Final

from django.db import transaction
from django.utils import timezone
from schwifty import IBAN

from sprechzeit.core import clock
from sprechzeit.core.money import Money
from sprechzeit.core.xml import xsd_errors
from sprechzeit.ledger import selectors as ledger_selectors
from sprechzeit.ledger import services as ledger
from sprechzeit.ledger.models import Account, AccountPurpose
from sprechzeit.ledger.services import TransferSpec
from sprechzeit.payments.bankfiles import ParsedEntry, parse_camt053
from sprechzeit.payments.errors import StatementInvalid
from sprechzeit.payouts import errors, selectors
from sprechzeit.payouts.mails import payout_mail_on_commit
from sprechzeit.payouts.models import BankLine, Payout, PayoutRun
from sprechzeit.platforms.models import LegalEntity
from sprechzeit.statements.models import PartnerTaxProfile, Statement
from sprechzeit.statements.payability import payout_decision
from sprechzeit.statements.services import entity_account
from sprechzeit.wallets import services as wallets

NAMESPACE: Final = uuid.UUID("9a7d6f0e-3b2c-4e51-8f1a-6c5d4b3a2e19")
DK_XSD: Final = Path(__file__).parent / "xsd" / "pain.001.001.09_GBIC_5.xsd"


def sepa_errors(xml: bytes) -> list[str]:
    """The DK GBIC_5 pain.001.001.09 schema's complaints (empty when valid)."""
    return xsd_errors(xml, schema=DK_XSD)


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


def _address(street: str, building: str, postcode: str, town: str, country: str) -> dict[str, str]:
    return {
        "street_name": street[:70],
        "building_number": building[:16],
        "postcode": postcode[:16],
        "town": town[:35],
        "country": country,
    }


def _sepa_file(
    run: PayoutRun, entity: LegalEntity, payouts: list[tuple[Payout, PartnerTaxProfile]]
) -> bytes:
    from sepaxml import SepaTransfer  # noqa: PLC0415 (only here)

    bic = entity.bic
    if not bic:
        # The DK schema wants the debtor agent (BICFI); schwifty knows it for German IBANs.
        derived = IBAN(entity.iban).bic
        bic = str(derived) if derived is not None else ""
    if not bic:
        raise errors.DebtorAccountMissing(legal_entity=entity.pk, missing="bic")
    config: dict[str, Any] = {
        "name": entity.name[:70],
        "IBAN": entity.iban,
        "BIC": bic,
        "batch": True,
        "currency": "EUR",
        "address": _address(entity.street, "", entity.postal_code, entity.city, entity.country),
    }
    sepa = SepaTransfer(config, schema="pain.001.001.09", clean=True)
    sepa.msg_id = run.message_id
    for payout, profile in payouts:
        sepa.add_payment(
            {
                "name": payout.account_holder,
                "IBAN": payout.iban,
                "amount": payout.amount_minor,
                "execution_date": run.execution_date,
                "description": f"Auszahlung Gutschrift {payout.end_to_end_id}",
                "endtoend_id": payout.end_to_end_id,
                "address": _address(
                    profile.street,
                    profile.building_number,
                    profile.postal_code,
                    profile.city,
                    profile.country,
                ),
            }
        )
    return bytes(sepa.export(validate=True))


@transaction.atomic(durable=True)
def payout_run_create(*, legal_entity: LegalEntity) -> PayoutRun:
    """Pay every partner of `legal_entity` whose unpaid issued statements reach the
    threshold and who has a verified IBAN: one pain.001.001.09 file (checked against the
    DK GBIC_5 XSD), each payout booked partner payable → payout in transit.

    Locks the entity row first: two runs at once queue, the second finds the statements
    covered. Raises `NothingToPay` (with the skipped partners and why) or
    `DebtorAccountMissing`; everything else is recorded in `run.skipped`.
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
    xml = _sepa_file(run, entity, made)
    problems = sepa_errors(xml)
    if problems:
        raise errors.SepaFileInvalid(problems=problems[:5])
    run.file = xml
    run.file_sha256 = hashlib.sha256(xml).hexdigest()
    run.count = len(made)
    run.total_minor = sum(payout.amount_minor for payout, _profile in made)
    run.save(update_fields=["file", "file_sha256", "count", "total_minor"])
    return run


type Due = list[tuple[int, list[Statement], PartnerTaxProfile]]


def _partners_due(
    owed: dict[int, list[Statement]], payables: dict[int, Account], *, threshold_minor: int
) -> tuple[Due, list[Skipped]]:
    """Who is paid now (partner, statements, tax profile) and who is skipped and why,
    by the rule the credit notes state; partners in id order."""
    profiles = {
        profile.partner_id: profile
        for profile in PartnerTaxProfile.objects.filter(partner_id__in=list(owed))
    }
    balances = ledger_selectors.accounts_balances(accounts=list(payables.values()))
    chosen: Due = []
    skipped: list[Skipped] = []
    for partner_id, statements in sorted(owed.items()):
        amount = sum(statement.gross_minor for statement in statements)
        profile = profiles.get(partner_id)
        posted = balances[int(payables[partner_id].pk)].posted.minor
        reason = _skip_reason(profile, amount, threshold_minor, posted)
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


# --- bank statement (camt.053) -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CamtLine:
    key: str
    # The statement's own account: it names the paying entity (numbers repeat across
    # entities). Empty when the file does not say.
    account_iban: str
    end_to_end_id: str
    amount_minor: int
    credit: bool
    reason_code: str


@dataclass
class ImportResult:
    confirmed: list[str] = field(default_factory=list)
    returned: list[str] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)
    repeated: int = 0


def camt_line(entry: ParsedEntry) -> CamtLine:
    """A payout's view of a parsed bank entry (same key as the payments import's)."""
    return CamtLine(
        key=entry.key,
        account_iban=entry.account,
        end_to_end_id=entry.end_to_end_id,
        amount_minor=entry.amount_minor,
        credit=entry.credit,
        reason_code=entry.return_reason,
    )


def camt_lines(xml: bytes) -> list[CamtLine]:
    """The booked transactions of a camt.053 (any version), read by the one parser of
    `payments.bankfiles`: end-to-end id, amount, direction, return reason."""
    try:
        _statement_id, entries = parse_camt053(xml)
    except StatementInvalid as exc:
        raise errors.BankStatementInvalid() from exc
    return [camt_line(entry) for entry in entries]


def _book(key: str, debit: Any, credit: Any, payout: Payout, purpose: str) -> None:
    ledger.transfer_post(
        id=uuid.uuid5(NAMESPACE, f"{payout.pk}:{key}"),
        debit_account=debit,
        credit_account=credit,
        amount=Money(payout.amount_minor, payout.currency),
        purpose=purpose,
        reference=f"payout:{payout.pk}",
    )


def payouts_import_camt(*, xml: bytes) -> ImportResult:
    """Confirm or return payouts from a bank statement; each line once (a repeated
    import changes nothing). A debit with our end-to-end id and amount confirms the
    payout (in transit → bank); a line with a return reason returns it (→ back to the
    partner's payable; the partner's IBAN must be fixed before the next payout). Lines
    that match no payout are recorded as unmatched, nothing booked.

    Payouts only: `payouts.bank.bank_statement_import` reads the file once for top-ups
    and payouts and sends what nobody knows to the review queue."""
    result = ImportResult()
    for line in camt_lines(xml):
        with transaction.atomic():
            if BankLine.objects.filter(key=line.key).exists():
                result.repeated += 1
                continue
            outcome, payout = bank_line_apply(line)
            bank_line_record(line, outcome, payout)
            {
                BankLine.Outcome.CONFIRMED: result.confirmed,
                BankLine.Outcome.RETURNED: result.returned,
                BankLine.Outcome.UNMATCHED: result.unmatched,
            }[outcome].append(line.end_to_end_id or line.key)
    return result


def bank_line_record(line: CamtLine, outcome: BankLine.Outcome, payout: Payout | None) -> None:
    """Remember a line under its key, so it is applied once. Caller holds the transaction."""
    BankLine.objects.create(
        key=line.key[:200],
        end_to_end_id=line.end_to_end_id[:35],
        amount_minor=line.amount_minor,
        credit=line.credit,
        reason_code=line.reason_code[:10],
        payout=payout,
        outcome=outcome,
        imported_at=clock.now(),
    )


def bank_line_apply(line: CamtLine) -> tuple[BankLine.Outcome, Payout | None]:
    """Confirm or return the payout a bank line names (end-to-end id and amount, on the
    paying entity's account); UNMATCHED books nothing. Locks the payout row. Caller
    holds the transaction and records the line (`bank_line_record`)."""
    if not line.end_to_end_id:
        return BankLine.Outcome.UNMATCHED, None
    candidates = Payout.objects.filter(
        end_to_end_id=line.end_to_end_id,
        amount_minor=line.amount_minor,
        status__in=[Payout.Status.IN_TRANSIT, Payout.Status.CONFIRMED],
    )
    if line.account_iban:
        candidates = candidates.filter(legal_entity__iban=line.account_iban)
    payout = (
        candidates.select_for_update(of=("self",))
        .select_related("run__legal_entity", "partner")
        .order_by("-created_at")
        .first()
    )
    if payout is None:
        return BankLine.Outcome.UNMATCHED, None
    entity = payout.run.legal_entity
    in_transit = entity_account(legal_entity=entity, purpose=AccountPurpose.PAYOUT_IN_TRANSIT)
    if line.reason_code:
        payout_return(payout=payout, reason_code=line.reason_code)
        return BankLine.Outcome.RETURNED, payout
    bank = entity_account(legal_entity=entity, purpose=AccountPurpose.BANK)
    if line.credit or payout.status != Payout.Status.IN_TRANSIT:
        return BankLine.Outcome.UNMATCHED, None
    _book("confirm", in_transit, bank, payout, "partner_payout_confirmed")
    payout.status = Payout.Status.CONFIRMED
    payout.settled_at = clock.now()
    payout.save(update_fields=["status", "settled_at"])
    payout_mail_on_commit(payout=payout)
    return BankLine.Outcome.CONFIRMED, payout


def payout_return(*, payout: Payout, reason_code: str, rejected: bool = False) -> None:
    """The bank returned (camt.053) or rejected (pain.002) a payout: its amount goes back
    to the partner's payable (from payout in transit, or from the bank once executed),
    and the partner's IBAN must be fixed before the next run. Caller holds the
    transaction and the payout's row lock; the payout is in transit or confirmed."""
    entity = payout.run.legal_entity
    in_transit = entity_account(legal_entity=entity, purpose=AccountPurpose.PAYOUT_IN_TRANSIT)
    bank = entity_account(legal_entity=entity, purpose=AccountPurpose.BANK)
    payable = wallets.partner_payable_account(partner=payout.partner, currency=payout.currency)
    source = in_transit if payout.status == Payout.Status.IN_TRANSIT else bank
    _book("return", source, payable, payout, "partner_payout_returned")
    payout.status = Payout.Status.RETURNED
    payout.return_reason = reason_code
    payout.settled_at = clock.now()
    payout.save(update_fields=["status", "return_reason", "settled_at"])
    payout_mail_on_commit(payout=payout)
    what = "Ablehnung durch die Bank" if rejected else "Rücküberweisung der Bank"
    PartnerTaxProfile.objects.filter(partner=payout.partner).update(
        iban_verified_at=None,
        payout_blocked_reason=f"{what} ({reason_code}): bitte IBAN und Kontoinhaber prüfen.",
    )
