"""The declared VAT status is checked against the country and the VAT ID (per country),
and every change of status or bank data is kept as dated, insert-only history (#15
point 4)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from sprechzeit.core import clock
from sprechzeit.platforms.tests.factories import platform_create
from sprechzeit.statements import errors, selectors
from sprechzeit.statements.models import PartnerTaxProfile, Statement, TaxProfileChange
from sprechzeit.statements.services import tax_fields_check, tax_profile_save
from sprechzeit.statements.tests.factories import PROFILES, at, busy_scene, tax_profile
from sprechzeit.statements.vat import VatStatus

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _german() -> Iterator[None]:
    """The messages are asserted in German, whatever an earlier test left active."""
    with translation.override("de"):
        yield


def fields(status: VatStatus, **overrides: Any) -> dict[str, Any]:
    return {
        "legal_name": "Erika Beraterin",
        "street": "Beraterweg",
        "vat_status": status,
        "account_holder": "Erika Beraterin",
        **PROFILES[status],
        **overrides,
    }


@pytest.mark.parametrize(
    ("status", "overrides", "field", "words"),
    [
        # outside the EU, but a German address
        (VatStatus.NON_EU, {"country": "DE", "city": "Berlin"}, "vat_status", "gehört zur EU"),
        # regular German VAT for an Austrian business (§ 14c)
        (
            VatStatus.REGULAR,
            {"country": "AT", "vat_id": "ATU13585627", "iban": "AT611904300234573201"},
            "vat_status",
            "Reverse Charge",
        ),
        # reverse charge with a German VAT ID from Austria
        (VatStatus.EU_REVERSE_CHARGE, {"vat_id": "DE136695976"}, "vat_id", "gehört nicht zu AT"),
        # reverse charge inside the EU from Switzerland
        (
            VatStatus.EU_REVERSE_CHARGE,
            {"country": "CH", "vat_id": ""},
            "vat_status",
            "nicht zur EU",
        ),
        # no country at all
        (VatStatus.NON_EU, {"country": "XX"}, "country", "kein Ländercode"),
        # an EU VAT ID with a seat outside the EU
        (VatStatus.NON_EU, {"vat_id": "ATU13585627"}, "vat_id", "außerhalb der EU"),
        # the Austrian format's check digit
        (VatStatus.EU_REVERSE_CHARGE, {"vat_id": "ATU13585626"}, "vat_id", "ungültig"),
    ],
)
def test_a_status_that_does_not_fit_is_refused(
    status: VatStatus, overrides: dict[str, Any], field: str, words: str
) -> None:
    problems = tax_fields_check(fields(status, **overrides))
    assert field in problems, problems
    assert words in problems[field]
    s = busy_scene()
    with pytest.raises(errors.TaxProfileInvalid):
        tax_profile_save(partner=s.partner, **fields(status, **overrides))
    assert not PartnerTaxProfile.objects.exists()


@pytest.mark.parametrize("status", list(VatStatus))
def test_the_four_cases_fit(status: VatStatus) -> None:
    assert tax_fields_check(fields(status)) == {}


def test_a_vat_id_outside_the_eu_is_checked_by_its_countrys_format() -> None:
    swiss = fields(VatStatus.NON_EU, vat_id="CHE-116.281.710 MWST")
    assert tax_fields_check(swiss) == {}
    assert swiss["vat_id"] == "CHE116281710MWST"
    assert "vat_id" in tax_fields_check(fields(VatStatus.NON_EU, vat_id="CHE-116.281.711 MWST"))


def test_a_partial_update_keeps_the_country() -> None:
    s = busy_scene()
    tax_profile(s.partner, VatStatus.EU_REVERSE_CHARGE)
    profile = tax_profile_save(
        partner=s.partner, vat_status=VatStatus.EU_REVERSE_CHARGE, city="Graz"
    )
    assert (profile.country, profile.city) == ("AT", "Graz")


def test_changes_of_status_and_bank_data_are_dated_history() -> None:
    s = busy_scene()
    with clock.frozen_at(at(2026, 1, 2)):
        tax_profile(s.partner, VatStatus.SMALL_BUSINESS)
    with clock.frozen_at(at(2026, 3, 1)):
        tax_profile_save(partner=s.partner, vat_status=VatStatus.SMALL_BUSINESS, city="Altona")
    with clock.frozen_at(at(2026, 7, 1)):
        tax_profile_save(
            partner=s.partner,
            vat_status=VatStatus.REGULAR,
            vat_id="DE136695976",
            by_staff=True,
        )
    history = list(TaxProfileChange.objects.filter(partner=s.partner).order_by("valid_from"))
    assert [(row.vat_status, row.changed_by) for row in history] == [
        (VatStatus.SMALL_BUSINESS, TaxProfileChange.By.PARTNER),
        (VatStatus.REGULAR, TaxProfileChange.By.STAFF),
    ]  # the address change alone is no status or bank change
    june = selectors.tax_status_at(partner=s.partner, when=at(2026, 6, 30))
    july = selectors.tax_status_at(partner=s.partner, when=at(2026, 7, 2))
    assert june is not None
    assert july is not None
    assert (june.vat_status, july.vat_status) == (VatStatus.SMALL_BUSINESS, VatStatus.REGULAR)
    assert july.vat_id == "DE136695976"
    assert selectors.tax_status_at(partner=s.partner, when=at(2025, 12, 31)) is None
    with pytest.raises(ValueError, match="insert-only"):
        history[0].save()


def revenue(partner: Any, entity: Any, year: int, net_minor: int, month: int) -> None:
    """An issued credit note of `net_minor` for `month` of `year` (as the close leaves it)."""
    Statement.objects.create(
        partner=partner,
        legal_entity=entity,
        status=Statement.Status.ISSUED,
        period_start=date(year, month, 1),
        period_end=date(year, month, 28),
        number=f"GS-{year}-{net_minor}",
        issue_date=date(year, 4, 1),
        vat_status=VatStatus.SMALL_BUSINESS,
        net_minor=net_minor,
        gross_minor=net_minor,
        created_at=at(year, 4, 1),
    )


def test_a_small_business_past_the_limits_is_warned() -> None:
    s = busy_scene(platform=platform_create(hosts=("limit.localhost",)))
    tax_profile(s.partner, VatStatus.SMALL_BUSINESS)
    entity = s.platform.legal_entity
    assert selectors.small_business_warning(partner=s.partner, year=2026) == ""
    revenue(s.partner, entity, 2026, 2_000_000, 3)  # 20.000 €: within
    assert selectors.small_business_warning(partner=s.partner, year=2026) == ""
    revenue(s.partner, entity, 2026, 600_000, 4)  # 26.000 € this year: next year is over
    assert "ab 2027" in selectors.small_business_warning(partner=s.partner, year=2026)
    assert "2027 gilt" in selectors.small_business_warning(partner=s.partner, year=2027)
    revenue(s.partner, entity, 2026, 7_500_000, 5)  # over 100.000 €: over at once
    assert "100.000 €" in selectors.small_business_warning(partner=s.partner, year=2026)
    # the partner sees it on the tax page
    client = Client(HTTP_HOST="limit.localhost")
    client.force_login(s.partner.user)
    with clock.frozen_at(at(2026, 11, 2)):
        page = client.get("/partner/steuerdaten/")
    assert "Kleinunternehmerregelung" in page.content.decode()
    # a regular partner gets no warning
    tax_profile_save(partner=s.partner, vat_status=VatStatus.REGULAR, vat_id="DE136695976")
    assert selectors.small_business_warning(partner=s.partner, year=2026) == ""
