"""The SEPA credit transfer file of a payout run (pain.001.001.09, written by sepaxml and
checked against the DK GBIC_5 schema), and what the bank's answers match it by.

The file's group header `MsgId` is the run's `message_id` (sepaxml writes the header in
its constructor, so the id is handed to it before: `_RunTransfer`); its one payment
block's `PmtInfId` is read back from the file written and kept on the run; each
transaction's `EndToEndId` is the payout's credit note number. A pain.002, a collective
camt.053 entry (`NtryDtls/Btch`) and a camt.054 name these ids.

Names and texts keep what the German banks' character set allows (`sepa_text`): the
SEPA basic Latin set plus the DK extension (Ä Ö Ü ä ö ü ß & * $ %, DFÜ-Abkommen Anlage 3).
"Jürgen Müßig & Söhne" stays as it is, so Verification of Payee compares the name the
bank has; only other characters are reduced to their base letter ("Renée" → "Renee").
sepaxml's own `clean` would turn every umlaut into a plain letter, so it is off.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from lxml import etree
from schwifty import IBAN
from sepaxml import SepaTransfer

from sprechzeit.core.xml import xsd_errors
from sprechzeit.payouts import errors
from sprechzeit.payouts.models import Payout, PayoutRun
from sprechzeit.platforms.models import LegalEntity
from sprechzeit.statements.models import PartnerTaxProfile

DK_XSD: Final = Path(__file__).parent / "xsd" / "pain.001.001.09_GBIC_5.xsd"
PAIN001: Final = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"
# EPC SEPA basic Latin character set, and what the DK adds for German banks.
SEPA_BASIC: Final = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/-?:().,'+ "
)
DK_EXTENSION: Final = frozenset("ÄÖÜäöüß&*$%")
ALLOWED: Final = SEPA_BASIC | DK_EXTENSION
# Letters that do not decompose into a base letter and a mark.
_LETTERS: Final = {"Ø": "O", "ø": "o", "Æ": "AE", "æ": "ae", "Œ": "OE", "œ": "oe", "Ł": "L"}
_LETTERS_MORE: Final = {"ł": "l", "Đ": "D", "đ": "d", "Þ": "Th", "þ": "th", "ı": "i", "ẞ": "SS"}


def sepa_text(value: str, limit: int) -> str:
    """`value` in the characters a German bank accepts (see the module), at most `limit`
    long: allowed characters stay, others become their base letters, the rest a space."""
    out: list[str] = []
    for char in value:
        if char in ALLOWED:
            out.append(char)
            continue
        base = _LETTERS.get(char) or _LETTERS_MORE.get(char)
        if base is None:
            decomposed = unicodedata.normalize("NFKD", char)
            base = "".join(part for part in decomposed if part in ALLOWED) or " "
        out.append(base)
    return re.sub(r"\s+", " ", "".join(out)).strip()[:limit].strip()


def sepa_errors(xml: bytes) -> list[str]:
    """The DK GBIC_5 pain.001.001.09 schema's complaints (empty when valid)."""
    return xsd_errors(xml, schema=DK_XSD)


class _RunTransfer(SepaTransfer):  # type: ignore[misc]  # sepaxml has no type hints
    """sepaxml's transfer with the run's message id: the library picks a random one and
    writes the group header in its constructor, before an attribute could be set."""

    def __init__(self, config: dict[str, Any], *, message_id: str) -> None:
        self._message_id = message_id
        super().__init__(config, schema="pain.001.001.09", clean=False)

    def _create_header(self) -> None:
        self.msg_id = self._message_id
        super()._create_header()


@dataclass(frozen=True, slots=True)
class FileIds:
    message_id: str
    payment_info_ids: list[str]
    end_to_end_ids: list[str]


def sepa_file_ids(xml: bytes) -> FileIds:
    """The ids a written pain.001 carries: group header, payment blocks, transactions."""
    root = etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True))
    ns = {"p": PAIN001}
    return FileIds(
        message_id=str(root.findtext("p:CstmrCdtTrfInitn/p:GrpHdr/p:MsgId", "", ns)),
        payment_info_ids=[str(e.text) for e in root.iterfind(".//p:PmtInf/p:PmtInfId", ns)],
        end_to_end_ids=[str(e.text) for e in root.iterfind(".//p:PmtId/p:EndToEndId", ns)],
    )


def remittance(payout: Payout) -> str:
    """The unstructured remittance (Ustrd, 140 characters): every document the payout
    covers, oldest number first ("Auszahlung zu Gutschriften GS-…, GS-…"); what does
    not fit ends in "u. a." (the end-to-end id names the newest in any case)."""
    numbers = sorted(str(number) for number in payout.statements.values_list("number", flat=True))
    numbers = [number for number in numbers if number and number != "None"] or [
        str(payout.end_to_end_id)
    ]
    head = "Auszahlung zu Gutschrift " if len(numbers) == 1 else "Auszahlung zu Gutschriften "
    text = head + numbers[0]
    for number in numbers[1:]:
        if len(text) + len(number) + 2 > 140 - len(" u. a."):
            text += " u. a."
            break
        text += f", {number}"
    return sepa_text(text, 140)


def _address(street: str, building: str, postcode: str, town: str, country: str) -> dict[str, str]:
    return {
        "street_name": sepa_text(street, 70),
        "building_number": sepa_text(building, 16),
        "postcode": sepa_text(postcode, 16),
        "town": sepa_text(town, 35),
        "country": country,
    }


def _debtor_bic(entity: LegalEntity) -> str:
    """The DK schema wants the debtor agent (BICFI); schwifty knows it for German IBANs."""
    if entity.bic:
        return str(entity.bic)
    derived = IBAN(entity.iban).bic
    if derived is None:
        raise errors.DebtorAccountMissing(legal_entity=entity.pk, missing="bic")
    return str(derived)


def sepa_file(
    run: PayoutRun, entity: LegalEntity, payouts: list[tuple[Payout, PartnerTaxProfile]]
) -> bytes:
    """The run's pain.001.001.09 (one payment block, booked as one collective entry),
    its `MsgId` = `run.message_id`. Not yet checked against the DK schema."""
    config: dict[str, Any] = {
        "name": sepa_text(entity.name, 70),
        "IBAN": entity.iban,
        "BIC": _debtor_bic(entity),
        "batch": True,
        "currency": "EUR",
        "address": _address(entity.street, "", entity.postal_code, entity.city, entity.country),
    }
    sepa = _RunTransfer(config, message_id=run.message_id)
    for payout, profile in payouts:
        sepa.add_payment(
            {
                "name": sepa_text(payout.account_holder, 70),
                "IBAN": payout.iban,
                "amount": payout.amount_minor,
                "execution_date": run.execution_date,
                "description": remittance(payout),
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
