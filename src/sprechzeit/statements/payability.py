"""Paid out or carried forward: the one rule the payout run applies and a credit note
states, so the two can never disagree.

`payout_decision` is the rule; `payout_outlook` adds the figures a credit note prints
(carried forward from earlier documents + this document = payable, and the decision on
that total). The payout run (`payouts.services.payout_run_create`) calls
`payout_decision` with the same total, the entity's threshold and, on top, the ledger
balance; a credit note freezes its outlook at issue (`data["payout"]`).

The inputs a credit note needs from payouts (the entity's threshold and what earlier
documents still owe each partner) come through `payout_terms`: payouts sits above
statements in the layers, so it registers its selector here when the app is ready
(`payouts.apps.PayoutsConfig.ready`) instead of statements importing it.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException

from sprechzeit.core import clock
from sprechzeit.statements.models import PartnerTaxProfile


class Blocker(StrEnum):
    """Why a payable is not paid out now (it stays on the payable: carried forward)."""

    HELD = "held"
    NO_BANK_ACCOUNT = "no_bank_account"
    BLOCKED = "blocked"
    IBAN_UNVERIFIED = "iban_unverified"
    IBAN_INVALID = "iban_invalid"
    IBAN_NOT_SEPA = "iban_not_sepa"
    IBAN_COOLING_OFF = "iban_cooling_off"
    NOTHING_OWED = "nothing_owed"
    BELOW_THRESHOLD = "below_threshold"
    PAYABLE_SHORT = "payable_short"


def blocker_text(code: str, detail: str = "") -> str:
    """The reason in the active language (documents, portal) — one wording for all."""
    texts = {
        Blocker.HELD: _("Gutschrift zurückgehalten: %(detail)s"),
        Blocker.NO_BANK_ACCOUNT: _("Keine Bankverbindung hinterlegt."),
        Blocker.BLOCKED: _("Auszahlung gesperrt: %(detail)s"),
        Blocker.IBAN_UNVERIFIED: _("IBAN nicht geprüft."),
        Blocker.IBAN_INVALID: _("IBAN ungültig."),
        Blocker.IBAN_NOT_SEPA: _("IBAN außerhalb des SEPA-Raums."),
        Blocker.IBAN_COOLING_OFF: _("Neue IBAN: Auszahlungen an sie ab %(detail)s."),
        Blocker.NOTHING_OWED: _("Kein Guthaben."),
        Blocker.BELOW_THRESHOLD: _("Unter dem Mindestbetrag; wird vorgetragen."),
        Blocker.PAYABLE_SHORT: _(
            "Verbindlichkeit niedriger als die Gutschriften (Anpassung prüfen)."
        ),
    }
    text = texts.get(Blocker(code), "") if code in set(Blocker) else ""
    return text % {"detail": detail} if "%(detail)s" in text else text


@dataclass(frozen=True, slots=True)
class PayoutDecision:
    code: str  # a `Blocker`, or "" when the total is paid out with the next run
    detail: str = ""  # the held or blocked reason, as recorded

    @property
    def pays(self) -> bool:
        return not self.code

    def reason(self) -> str:
        """The reason in the active language; "" when paid."""
        return blocker_text(self.code, self.detail) if self.code else ""

    def reason_de(self) -> str:
        """The reason in German, as the payout run records it for staff."""
        with translation.override("de"):
            return self.reason()


def payout_decision(
    *,
    profile: PartnerTaxProfile | None,
    amount_minor: int,
    threshold_minor: int,
    payable_minor: int | None = None,
    held_reason: str = "",
    now: datetime | None = None,
) -> PayoutDecision:
    """Whether `amount_minor` (everything the partner's documents of one entity still
    owe) is paid out by the next run. `payable_minor` is the ledger balance the run
    checks on top (a credit note does not know it yet: None); `held_reason` is set
    when the newest document is held for missing data; `now` (default: the clock)
    decides whether a changed IBAN's cooling-off is over."""
    if held_reason:
        return PayoutDecision(Blocker.HELD, held_reason)
    if profile is None or not profile.iban or not profile.account_holder:
        return PayoutDecision(Blocker.NO_BANK_ACCOUNT)
    if profile.payout_blocked_reason:
        return PayoutDecision(Blocker.BLOCKED, profile.payout_blocked_reason)
    if profile.iban_verified_at is None:
        return PayoutDecision(Blocker.IBAN_UNVERIFIED)
    try:
        iban = IBAN(profile.iban)
    except SchwiftyException:
        return PayoutDecision(Blocker.IBAN_INVALID)
    if not iban.in_sepa_zone:
        return PayoutDecision(Blocker.IBAN_NOT_SEPA)
    usable_from = profile.iban_usable_from
    if usable_from is not None and (now or clock.now()) < usable_from:
        return PayoutDecision(
            Blocker.IBAN_COOLING_OFF,
            date_format(timezone.localtime(usable_from), "DATETIME_FORMAT"),
        )
    if amount_minor <= 0:
        return PayoutDecision(Blocker.NOTHING_OWED)
    if amount_minor < threshold_minor:
        return PayoutDecision(Blocker.BELOW_THRESHOLD)
    if payable_minor is not None and payable_minor < amount_minor:
        return PayoutDecision(Blocker.PAYABLE_SHORT)
    return PayoutDecision("")


@dataclass(frozen=True, slots=True)
class PayoutOutlook:
    carried_forward_minor: int
    amount_minor: int
    threshold_minor: int
    decision: PayoutDecision

    @property
    def total_minor(self) -> int:
        return self.carried_forward_minor + self.amount_minor

    def as_data(self) -> dict[str, Any]:
        """Frozen into a credit note's data (JSON)."""
        return {
            "carried_forward_minor": self.carried_forward_minor,
            "amount_minor": self.amount_minor,
            "total_minor": self.total_minor,
            "threshold_minor": self.threshold_minor,
            "pays": self.decision.pays,
            "code": self.decision.code,
            "detail": self.decision.detail,
        }


def payout_outlook(
    *,
    profile: PartnerTaxProfile | None,
    carried_forward_minor: int,
    amount_minor: int,
    threshold_minor: int,
    held_reason: str = "",
) -> PayoutOutlook:
    """What a credit note (or a held statement on the portal) says about its payout:
    the decision of `payout_decision` on carried forward + this document."""
    decision = payout_decision(
        profile=profile,
        amount_minor=carried_forward_minor + amount_minor,
        threshold_minor=threshold_minor,
        held_reason=held_reason,
    )
    return PayoutOutlook(carried_forward_minor, amount_minor, threshold_minor, decision)


# --- the payout terms, supplied by payouts ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class PayoutTerms:
    threshold_minor: int
    # partner id → what the partner's issued documents of the entity still owe (not
    # covered by an open or confirmed payout); partners without any are missing.
    carried_forward_minor: dict[int, int] = field(default_factory=dict)


type PayoutTermsSource = Callable[[int, Collection[int]], PayoutTerms]

_source: list[PayoutTermsSource] = []


def payout_terms_register(source: PayoutTermsSource) -> None:
    """Called once by the payouts app (`ready`): (entity id, partner ids) → terms."""
    _source[:] = [source]


def payout_terms(*, legal_entity_id: int, partner_ids: Collection[int]) -> PayoutTerms:
    if not _source:
        raise ImproperlyConfigured("The payouts app has not registered its payout terms.")
    return _source[0](legal_entity_id, partner_ids)
