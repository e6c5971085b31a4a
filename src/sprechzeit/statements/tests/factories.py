"""Factories for statements: partner tax profiles per VAT case, settled consultations
made by the real consultation services, and the compiled Schematron."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sprechzeit.accounts.models import Partner
from sprechzeit.consultations.models import Consultation
from sprechzeit.consultations.services import (
    consultation_accept,
    consultation_end,
    consultation_request,
)
from sprechzeit.consultations.tests.factories import Scene, scene, top_up
from sprechzeit.core import clock
from sprechzeit.legal.models import LegalDocument
from sprechzeit.legal.services import legal_document_issue
from sprechzeit.legal.texts import starter_texts
from sprechzeit.statements.models import PartnerTaxProfile
from sprechzeit.statements.services import self_billing_accept, tax_profile_save
from sprechzeit.statements.vat import VatStatus

BERLIN = ZoneInfo("Europe/Berlin")
_seq = itertools.count(1)

PROFILES: dict[VatStatus, dict[str, Any]] = {
    VatStatus.REGULAR: {
        "country": "DE",
        "vat_id": "DE136695976",
        "tax_number": "",
        "iban": "DE02120300000000202051",
        "city": "Berlin",
        "postal_code": "10115",
    },
    VatStatus.SMALL_BUSINESS: {
        "country": "DE",
        "vat_id": "",
        "tax_number": "1123456789",
        "iban": "DE02100100100006820101",
        "city": "Hamburg",
        "postal_code": "20095",
    },
    VatStatus.EU_REVERSE_CHARGE: {
        "country": "AT",
        "vat_id": "ATU13585627",
        "tax_number": "",
        "iban": "AT611904300234573201",
        "city": "Wien",
        "postal_code": "1010",
    },
    VatStatus.NON_EU: {
        "country": "CH",
        "vat_id": "",
        "tax_number": "CHE-116.281.710",
        "iban": "CH9300762011623852957",
        "city": "Zürich",
        "postal_code": "8001",
    },
}


def at(year: int, month: int, day: int, hour: int = 12) -> datetime:
    return datetime(year, month, day, hour, tzinfo=BERLIN)


def tax_profile(
    partner: Partner, status: VatStatus = VatStatus.REGULAR, **overrides: Any
) -> PartnerTaxProfile:
    n = next(_seq)
    fields: dict[str, Any] = {
        "legal_name": f"Erika Beraterin {n}",
        "street": "Beraterweg",
        "building_number": str(n),
        "vat_status": status,
        "account_holder": f"Erika Beraterin {n}",
        "self_billing_accepted_at": at(2026, 1, 2),
        "self_billing_version": "2026-01",
        **PROFILES[VatStatus(status)],
    }
    fields.update(overrides)
    profile = tax_profile_save(partner=partner, **fields)
    if fields.get("self_billing_accepted_at"):
        self_billing_consent(partner)
    return profile


def self_billing_consent(partner: Partner) -> None:
    """The partner agrees to self-billing with every entity of their platforms (each
    platform gets the starter agreement first if it has none)."""
    for listing in partner.listings.select_related("platform__legal_entity"):
        platform = listing.platform
        if not LegalDocument.objects.filter(
            platform=platform, kind=LegalDocument.Kind.SELF_BILLING
        ).exists():
            starter = next(
                text for text in starter_texts(platform=platform) if text.kind == "self_billing"
            )
            legal_document_issue(
                platform=platform,
                kind=starter.kind,
                title_de=starter.title_de,
                text_de=starter.text_de,
                valid_from=at(2025, 1, 1),
            )
    self_billing_accept(partner=partner)


def settled(s: Scene, *, seconds: int, when: datetime) -> Consultation:
    """A consultation of `seconds` that ends (and settles) at `when`."""
    start = when - timedelta(seconds=seconds)
    with clock.frozen_at(start - timedelta(seconds=5)):
        consultation = consultation_request(
            client=s.client, listing=s.listing, now=start - timedelta(seconds=5)
        )
        consultation = consultation_accept(consultation=consultation, partner=s.partner, now=start)
    with clock.frozen_at(when):
        return consultation_end(
            consultation=consultation,
            reason=Consultation.EndReason.CLIENT,
            at_second=seconds,
            now=when,
        )


def busy_scene(**kwargs: Any) -> Scene:
    return scene(balance_minor=100_000, rate_minor=199, **kwargs)


__all__ = [
    "Scene",
    "at",
    "busy_scene",
    "scene",
    "self_billing_consent",
    "settled",
    "tax_profile",
    "top_up",
]
