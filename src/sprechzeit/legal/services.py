"""Issuing legal texts and recording consents.

An issued version is never changed: a new text is a new version (the database refuses
updates, migration 0002). Consents point at the exact version shown, with time and IP.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from sprechzeit.accounts.models import User
from sprechzeit.core import clock
from sprechzeit.legal.errors import LegalDocumentMissing, WithdrawalWaiverMissing
from sprechzeit.legal.models import Consent, LegalDocument
from sprechzeit.legal.selectors import legal_document_current, withdrawal_waiver_given
from sprechzeit.legal.texts import starter_texts
from sprechzeit.platforms.models import Platform

SIGNUP_KINDS = (LegalDocument.Kind.TERMS, LegalDocument.Kind.PRIVACY)


@transaction.atomic
def legal_document_issue(
    *,
    platform: Platform,
    kind: str,
    title_de: str,
    text_de: str,
    title_en: str = "",
    text_en: str = "",
    valid_from: datetime | None = None,
    by: User | None = None,
) -> LegalDocument:
    """Issue the next version of `kind` on `platform` (version = last + 1).

    The platform row is locked so two staff members issuing at once get versions n and
    n+1 instead of a unique-constraint error. Former versions stay untouched.
    """
    Platform.objects.select_for_update().filter(pk=platform.pk).first()
    last = (
        LegalDocument.objects.filter(platform=platform, kind=kind)
        .order_by("-version")
        .values_list("version", flat=True)
        .first()
    )
    return LegalDocument.objects.create(
        platform=platform,
        kind=kind,
        version=(last or 0) + 1,
        title_de=title_de,
        title_en=title_en,
        text_de=text_de,
        text_en=text_en,
        valid_from=valid_from or clock.now(),
        created_by=by,
    )


def legal_documents_start(
    *, platform: Platform, valid_from: datetime | None = None, by: User | None = None
) -> list[LegalDocument]:
    """Issue the starting texts (`legal.texts`) for each kind the platform has none of,
    valid from `valid_from` (now); idempotent, so the demo seed and a new platform's
    set-up may run it again."""
    issued: list[LegalDocument] = []
    for starter in starter_texts(platform=platform):
        if LegalDocument.objects.filter(platform=platform, kind=starter.kind).exists():
            continue
        issued.append(
            legal_document_issue(
                platform=platform,
                kind=starter.kind,
                title_de=starter.title_de,
                text_de=starter.text_de,
                title_en=starter.title_en,
                text_en=starter.text_en,
                valid_from=valid_from,
                by=by,
            )
        )
    return issued


def consents_record_signup(*, user: User, platform: Platform, ip: str | None) -> list[Consent]:
    """Record the sign-up's consent to the AGB and the privacy notice in force now.

    Raises LegalDocumentMissing (nothing written) if the platform has not issued both:
    a sign-up must not claim consent to a text that does not exist.
    """
    moment = clock.now()
    documents = [
        legal_document_current(platform=platform, kind=kind, at=moment) for kind in SIGNUP_KINDS
    ]
    present = [d for d in documents if d is not None]
    if len(present) != len(documents):
        raise LegalDocumentMissing()
    return [
        Consent.objects.create(
            user=user, document=document, purpose=Consent.Purpose.SIGNUP, at=moment, ip=ip or None
        )
        for document in present
    ]


def withdrawal_waiver_ensure(
    *, user: User, platform: Platform, given: bool, ip: str | None
) -> Consent | None:
    """Before a paid consultation: the client's § 356 Abs. 4/5 BGB request is on record.

    Already given once: nothing to do (None). Given now (`given`): recorded against the
    Widerrufsbelehrung in force. Neither: WithdrawalWaiverMissing, so the start is refused.
    """
    if withdrawal_waiver_given(user=user):
        return None
    if not given:
        raise WithdrawalWaiverMissing()
    document = legal_document_current(platform=platform, kind=LegalDocument.Kind.WITHDRAWAL)
    if document is None:
        raise LegalDocumentMissing()
    return Consent.objects.create(
        user=user,
        document=document,
        purpose=Consent.Purpose.WITHDRAWAL_WAIVER,
        at=clock.now(),
        ip=ip or None,
    )


def self_billing_consent_record(*, user: User, platform: Platform, ip: str | None) -> Consent:
    """Record a partner's consent to self-billing (§ 14 Abs. 2 Satz 2 UStG) against the
    agreement in force on `platform`: it counts for the platform's issuing entity
    (`selectors.self_billing_consent_for`). A second consent for the same entity is
    recorded too (a newer version of the text). Raises LegalDocumentMissing when the
    platform has not issued the agreement."""
    document = legal_document_current(platform=platform, kind=LegalDocument.Kind.SELF_BILLING)
    if document is None:
        raise LegalDocumentMissing()
    return Consent.objects.create(
        user=user,
        document=document,
        purpose=Consent.Purpose.SELF_BILLING,
        at=clock.now(),
        ip=ip or None,
    )
