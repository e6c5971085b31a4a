"""A platform's legal pages: AGB, Datenschutz, Widerrufsbelehrung (the Impressum is in
`views`). The version in force is shown; `?version=n` shows an issued one (a consent's)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from sprechzeit.legal.models import LegalDocument
from sprechzeit.legal.selectors import (
    legal_document_current,
    legal_document_version,
    legal_document_versions,
)
from sprechzeit.legal.texts import text_blocks
from sprechzeit.platforms.models import Platform


def _document_page(request: HttpRequest, kind: str) -> HttpResponse:
    platform: Platform | None = getattr(request, "platform", None)
    if platform is None:
        raise Http404(_("Diese Seite gibt es nur auf einer Plattform."))
    raw_version = request.GET.get("version", "")
    if raw_version.isdigit():
        document = legal_document_version(platform=platform, kind=kind, version=int(raw_version))
    else:
        document = legal_document_current(platform=platform, kind=kind)
    if document is None:
        raise Http404(_("Dieser Rechtstext ist für diese Plattform noch nicht hinterlegt."))
    language = get_language() or "de"
    return render(
        request,
        "site/legal_document.html",
        {
            "document": document,
            "title": document.title_in(language),
            "blocks": text_blocks(document.text_in(language)),
            "untranslated": language == "en" and not document.text_en,
            "versions": legal_document_versions(platform=platform, kind=kind),
        },
    )


def terms(request: HttpRequest) -> HttpResponse:
    return _document_page(request, LegalDocument.Kind.TERMS)


def privacy(request: HttpRequest) -> HttpResponse:
    return _document_page(request, LegalDocument.Kind.PRIVACY)


def withdrawal(request: HttpRequest) -> HttpResponse:
    return _document_page(request, LegalDocument.Kind.WITHDRAWAL)
