"""Reads of legal texts and consents; every read takes the platform (or the user) first."""

from __future__ import annotations

from datetime import datetime

from sprechzeit.accounts.models import User
from sprechzeit.core import clock
from sprechzeit.legal.models import Consent, LegalDocument
from sprechzeit.platforms.models import Platform


def legal_document_current(
    *, platform: Platform, kind: str, at: datetime | None = None
) -> LegalDocument | None:
    """The version of `kind` in force at `at` (now): the newest one already valid."""
    moment = at or clock.now()
    return (
        LegalDocument.objects.filter(platform=platform, kind=kind, valid_from__lte=moment)
        .order_by("-valid_from", "-version")
        .first()
    )


def legal_document_version(*, platform: Platform, kind: str, version: int) -> LegalDocument | None:
    """One issued version (also a former or a future one), for the page's version links."""
    return LegalDocument.objects.filter(platform=platform, kind=kind, version=version).first()


def legal_document_versions(*, platform: Platform, kind: str) -> list[LegalDocument]:
    return list(LegalDocument.objects.filter(platform=platform, kind=kind).order_by("-version"))


def consents_of(*, user: User) -> list[Consent]:
    return list(Consent.objects.filter(user=user).select_related("document").order_by("at", "pk"))


def withdrawal_waiver_given(*, user: User) -> bool:
    """The client has asked, once, for consultations to start at once (§ 356 Abs. 4/5 BGB)."""
    return Consent.objects.filter(user=user, purpose=Consent.Purpose.WITHDRAWAL_WAIVER).exists()


def self_billing_consent_for(
    *, user: User, legal_entity_id: int, at: datetime | None = None
) -> Consent | None:
    """The partner's first consent to self-billing for the issuing entity (through any
    of its platforms' agreements) given by `at` (now), or None."""
    moment = at or clock.now()
    return (
        Consent.objects.filter(
            user=user,
            purpose=Consent.Purpose.SELF_BILLING,
            document__platform__legal_entity_id=legal_entity_id,
            at__lte=moment,
        )
        .select_related("document")
        .order_by("at", "pk")
        .first()
    )


def self_billing_entities(*, user_ids: list[int]) -> set[tuple[int, int]]:
    """(user id, legal entity id) of every self-billing consent of these users."""
    return set(
        Consent.objects.filter(user_id__in=user_ids, purpose=Consent.Purpose.SELF_BILLING)
        .values_list("user_id", "document__platform__legal_entity_id")
        .distinct()
    )
