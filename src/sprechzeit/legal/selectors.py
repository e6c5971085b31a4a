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


def withdrawal_waiver_of(*, user: User) -> Consent | None:
    """The client's § 356 BGB request (the first one on record), or None."""
    return (
        Consent.objects.filter(user=user, purpose=Consent.Purpose.WITHDRAWAL_WAIVER)
        .select_related("document")
        .order_by("at", "pk")
        .first()
    )
