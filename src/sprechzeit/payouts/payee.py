"""Verification of Payee (Reg. (EU) 2024/886, Art. 5c): before a payout run writes its
file, the name each payout carries (as written: `sepa.sepa_text`) is checked against the
IBAN by a pluggable step, `settings.PAYOUT_PAYEE_VERIFIER` (dotted path of a class with
`verify(*, iban, name) -> PayeeAnswer`; the tests plug in a double).

Without one configured the check is "not possible" and the payout goes ahead: the bank
runs VoP on submission and a mismatch comes back as a pain.002 rejection, which blocks
the partner (`payouts.status_report`). A "no match" or "close match" keeps the partner
out of the run with the name the bank knows, so the operator can ask the partner to
correct the account holder before money goes to the wrong person.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from django.conf import settings
from django.utils import translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _


class PayeeResult(StrEnum):
    MATCH = "match"
    CLOSE_MATCH = "close_match"
    NO_MATCH = "no_match"
    NOT_POSSIBLE = "not_possible"


@dataclass(frozen=True, slots=True)
class PayeeAnswer:
    result: PayeeResult
    name_at_bank: str = ""  # what the payee's bank suggests on a close match


class PayeeVerifier(Protocol):
    def verify(self, *, iban: str, name: str) -> PayeeAnswer: ...


class NoPayeeCheck:
    """No verification service: the bank checks on submission (see the module)."""

    def verify(self, *, iban: str, name: str) -> PayeeAnswer:
        return PayeeAnswer(PayeeResult.NOT_POSSIBLE)


def payee_verifier() -> PayeeVerifier:
    path = str(getattr(settings, "PAYOUT_PAYEE_VERIFIER", "") or "")
    verifier: PayeeVerifier = import_string(path)() if path else NoPayeeCheck()
    return verifier


def payee_problem(answer: PayeeAnswer) -> str:
    """Why the run leaves the payee out (German, as the run records it); "" to pay."""
    with translation.override("de"):
        if answer.result == PayeeResult.NO_MATCH:
            return _("Empfängerüberprüfung: Name und IBAN passen nicht zusammen.")
        if answer.result == PayeeResult.CLOSE_MATCH:
            return _("Empfängerüberprüfung: Die Bank kennt den Kontoinhaber als „%(name)s“.") % {
                "name": answer.name_at_bank
            }
    return ""
