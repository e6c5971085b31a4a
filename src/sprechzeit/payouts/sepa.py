"""The SEPA credit transfer file of a payout run (pain.001.001.09, written by sepaxml and
checked against the DK GBIC_5 schema), and what the bank's answers match it by.

The file's group header `MsgId` is the run's `message_id` (sepaxml writes the header in
its constructor, so the id is handed to it before: `_RunTransfer`); its one payment
block's `PmtInfId` is read back from the file written and kept on the run; each
transaction's `EndToEndId` is the payout's credit note number. A pain.002, a collective
camt.053 entry (`NtryDtls/Btch`) and a camt.054 name these ids.
"""

from __future__ import annotations

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


def sepa_errors(xml: bytes) -> list[str]:
    """The DK GBIC_5 pain.001.001.09 schema's complaints (empty when valid)."""
    return xsd_errors(xml, schema=DK_XSD)


class _RunTransfer(SepaTransfer):  # type: ignore[misc]  # sepaxml has no type hints
    """sepaxml's transfer with the run's message id: the library picks a random one and
    writes the group header in its constructor, before an attribute could be set."""

    def __init__(self, config: dict[str, Any], *, message_id: str) -> None:
        self._message_id = message_id
        super().__init__(config, schema="pain.001.001.09", clean=True)

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


def _address(street: str, building: str, postcode: str, town: str, country: str) -> dict[str, str]:
    return {
        "street_name": street[:70],
        "building_number": building[:16],
        "postcode": postcode[:16],
        "town": town[:35],
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
        "name": entity.name[:70],
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
