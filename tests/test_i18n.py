"""English pages show no German: every message of the English catalogue is translated and
compiled, and words that German spells the same in singular and plural ("Berater") or uses
in two senses ("Gutschrift") get the English their context asks for."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from django.conf import settings
from django.test import Client
from django.utils import translation

from sprechzeit.accounts.models import Partner
from sprechzeit.accounts.tests.factories import partner_with_listing
from sprechzeit.consultations.models import Consultation
from sprechzeit.consultations.services import (
    consultation_accept,
    consultation_end,
    consultation_request,
)
from sprechzeit.consultations.tests.factories import scene
from sprechzeit.payments.models import BankEntry, ChannelPolicy
from sprechzeit.platforms.tests.factories import platform_create
from sprechzeit.statements.models import Statement

EN = Path(settings.LOCALE_PATHS[0]) / "en" / "LC_MESSAGES"


def _po() -> Catalog:
    with (EN / "django.po").open("rb") as fh:
        return read_po(fh)


def _label(message_id: str | Sequence[str], context: str | None) -> str:
    msgid = message_id if isinstance(message_id, str) else message_id[0]
    return f"{context}\\u0004{msgid}" if context else msgid


def _forms(string: str | Sequence[str] | None) -> tuple[str, ...]:
    """A msgstr as a tuple of its forms: one for a plain message, one per plural form."""
    if string is None:
        return ()
    return (string,) if isinstance(string, str) else tuple(string)


def test_every_english_message_is_translated() -> None:
    untranslated = [
        _label(message.id, message.context)
        for message in _po()
        if message.id and not (_forms(message.string) and all(_forms(message.string)))
    ]
    assert untranslated == [], "add these to src/sprechzeit/locale/en_glossary.json"


def test_compiled_english_catalogue_matches_the_po() -> None:
    """The .mo is what Django reads; an empty or fuzzy msgstr is left out of it, and a .po
    edited without `make messages` leaves it stale."""
    with (EN / "django.mo").open("rb") as fh:
        compiled = read_mo(fh)
    stale = []
    for message in _po():
        if not message.id:
            continue
        entry = compiled.get(message.id, context=message.context)
        # read_mo gives a plural's forms as a list, read_po as a tuple.
        if entry is None or _forms(entry.string) != _forms(message.string):
            stale.append(_label(message.id, message.context))
    assert stale == [], "run `make messages` (and commit the .mo)"


def test_contexts_choose_the_english_word() -> None:
    with translation.override("en"):
        assert str(Partner._meta.verbose_name) == "Advisor"
        assert str(Partner._meta.verbose_name_plural) == "Advisors"
        assert str(Statement._meta.verbose_name) == "Credit note"
        assert str(Statement.Kind.CREDIT_NOTE.label) == "Credit note"
        assert str(ChannelPolicy._meta.get_field("credit_on").verbose_name) == "Balance credited"
        assert str(BankEntry._meta.get_field("credit").verbose_name) == "Credit"
    with translation.override("de"):
        assert str(Partner._meta.verbose_name) == "Berater"
        assert str(Partner._meta.verbose_name_plural) == "Berater"


@pytest.mark.django_db
def test_records_page_names_one_advisor_per_row_in_english() -> None:
    s = scene()
    start = datetime(2026, 3, 3, 10, tzinfo=UTC)
    consultation = consultation_request(client=s.client, listing=s.listing, now=start)
    consultation = consultation_accept(consultation=consultation, partner=s.partner, now=start)
    consultation_end(
        consultation=consultation,
        reason=Consultation.EndReason.CLIENT,
        at_second=120,
        now=start + timedelta(seconds=120),
    )
    browser = Client(HTTP_HOST=f"{s.platform.slug}.localhost")
    browser.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    browser.force_login(s.client.user)

    body = browser.get("/beratungen/?monat=2026-03").content.decode()

    assert "<th>Advisor</th>" in body
    assert "<th>Advisors</th>" not in body


@pytest.mark.django_db
def test_directory_speaks_of_advisors_in_the_plural_in_english() -> None:
    platform = platform_create(slug="a")
    partner_with_listing(platform=platform)
    partner_with_listing(platform=platform)
    browser = Client(HTTP_HOST="a.localhost")
    browser.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    body = browser.get("/berater/").content.decode()

    assert ">Advisors</a>" in body  # the navigation link to this directory
    assert "2 advisors found" in body
    assert "Berater" not in body
