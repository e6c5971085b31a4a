"""IBAN changes and payee checks (#15 point 3): SEPA zone only, names as the bank has
them (no needless transliteration), an IBAN change needs the authenticator code, is
announced to the account's e-mail address and cooled off before payouts go there, and
a pluggable Verification of Payee step keeps mismatching payees out of the run."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.test import Client, override_settings
from django.utils import translation

from sprechzeit.accounts.tests.factories import totp_device_confirmed, totp_now
from sprechzeit.core import clock
from sprechzeit.ledger.tests.helpers import assert_ledger_sound
from sprechzeit.payouts import errors, services
from sprechzeit.payouts.payee import PayeeAnswer, PayeeResult
from sprechzeit.payouts.sepa import sepa_errors, sepa_text
from sprechzeit.payouts.tests.bank_answers import written
from sprechzeit.payouts.tests.factories import (
    at,
    busy_scene,
    close_month,
    paying_platform,
    settled,
    tax_profile,
)
from sprechzeit.platforms.models import Platform
from sprechzeit.platforms.tests.factories import platform_create
from sprechzeit.statements import errors as statement_errors
from sprechzeit.statements.models import PartnerTaxProfile, Statement
from sprechzeit.statements.payability import Blocker, payout_decision
from sprechzeit.statements.services import tax_profile_save
from sprechzeit.statements.vat import VatStatus

pytestmark = pytest.mark.django_db
NEW_IBAN = "DE75512108001245126199"


@pytest.mark.parametrize(
    ("iban", "country"),
    [
        ("BR1800360305000010009795493C1", "BR"),
        ("TR330006100519786457841326", "TR"),
        ("AE070331234567890123456", "AE"),
    ],
)
def test_iban_outside_the_sepa_zone_is_refused(iban: str, country: str) -> None:
    s = busy_scene()
    with pytest.raises(statement_errors.TaxProfileInvalid) as caught:
        tax_profile(s.partner, VatStatus.NON_EU, iban=iban)
    message = str(caught.value.fields["iban"])
    assert "SEPA" in message
    assert country in message
    assert not PartnerTaxProfile.objects.exists()


def test_a_stored_non_sepa_iban_is_never_paid() -> None:
    s = busy_scene()
    profile = tax_profile(s.partner, VatStatus.NON_EU)
    PartnerTaxProfile.objects.filter(pk=profile.pk).update(iban="TR330006100519786457841326")
    profile.refresh_from_db()
    decision = payout_decision(profile=profile, amount_minor=10_000, threshold_minor=100)
    assert decision.code == Blocker.IBAN_NOT_SEPA


def paid_platform(holder: str) -> tuple[Platform, Statement]:
    platform = paying_platform()
    s = busy_scene(platform=platform)
    with clock.frozen_at(at(2026, 10, 1)):
        tax_profile(s.partner, VatStatus.REGULAR, account_holder=holder, legal_name=holder)
    settled(s, seconds=3600, when=at(2026, 10, 10))
    close_month()
    return platform, Statement.objects.get(partner=s.partner)


def test_the_file_keeps_the_names_the_dk_character_set_allows() -> None:
    platform, _note = paid_platform("Jürgen Müßig & Söhne")
    with clock.frozen_at(at(2026, 11, 3)):
        run = services.payout_run_create(legal_entity=platform.legal_entity)
    file = bytes(run.file or b"")
    assert sepa_errors(file) == []
    assert written(file).transactions[0].creditor == "Jürgen Müßig & Söhne"
    assert "Jürgen Müßig &amp; Söhne".encode() in file
    # only what neither SEPA nor the DK set has is reduced
    assert sepa_text("Renée Øster @ Zürich", 70) == "Renee Oster Zürich"
    assert_ledger_sound()


def test_an_iban_change_needs_the_code_is_announced_and_cooled_off(
    django_capture_on_commit_callbacks: Any,
) -> None:
    platform, note = paid_platform("Erika Beraterin")
    partner = note.partner
    device = totp_device_confirmed(user=partner.user)
    profile = PartnerTaxProfile.objects.get(partner=partner)
    mail.outbox.clear()
    with (
        clock.frozen_at(at(2026, 11, 2)),
        translation.override("de"),
        pytest.raises(statement_errors.TaxProfileInvalid) as caught,
    ):
        tax_profile_save(partner=partner, vat_status=profile.vat_status, iban=NEW_IBAN)
    assert "Authenticator" in str(caught.value.fields["totp_code"])
    with clock.frozen_at(at(2026, 11, 2)), pytest.raises(statement_errors.TaxProfileInvalid):
        tax_profile_save(
            partner=partner, vat_status=profile.vat_status, iban=NEW_IBAN, totp_code="000000"
        )
    profile.refresh_from_db()
    assert profile.iban != NEW_IBAN
    assert mail.outbox == []
    with clock.frozen_at(at(2026, 11, 2)), django_capture_on_commit_callbacks(execute=True):
        tax_profile_save(
            partner=partner,
            vat_status=profile.vat_status,
            iban=NEW_IBAN,
            totp_code=totp_now(device),
        )
    profile.refresh_from_db()
    assert profile.iban == NEW_IBAN
    assert profile.iban_usable_from is not None
    assert profile.iban_usable_from > at(2026, 11, 4)
    (sent,) = mail.outbox
    assert sent.to == [partner.user.email]
    assert "DE75 … 6199" in sent.body
    assert "DE02 … 2051" in sent.body  # the old IBAN, masked
    # cooling off: the run skips the partner with the date, then pays to the new IBAN
    with clock.frozen_at(at(2026, 11, 3)), pytest.raises(errors.NothingToPay) as skipped:
        services.payout_run_create(legal_entity=platform.legal_entity)
    assert "Neue IBAN" in skipped.value.fields["skipped"][0]["reason"]
    with clock.frozen_at(at(2026, 11, 6)):
        run = services.payout_run_create(legal_entity=platform.legal_entity)
    assert written(bytes(run.file or b"")).transactions[0].creditor_iban == NEW_IBAN
    assert_ledger_sound()


def test_staff_change_needs_no_code_but_is_announced_and_cooled_off(
    django_capture_on_commit_callbacks: Any,
) -> None:
    _platform, note = paid_platform("Erika Beraterin")
    totp_device_confirmed(user=note.partner.user)
    mail.outbox.clear()
    with clock.frozen_at(at(2026, 11, 2)), django_capture_on_commit_callbacks(execute=True):
        profile = tax_profile_save(
            partner=note.partner, vat_status=VatStatus.REGULAR, iban=NEW_IBAN, by_staff=True
        )
    assert profile.iban_usable_from is not None
    assert len(mail.outbox) == 1


def test_the_block_after_a_return_stays_until_the_bank_data_change() -> None:
    _platform, note = paid_platform("Erika Beraterin")
    profile = PartnerTaxProfile.objects.get(partner=note.partner)
    PartnerTaxProfile.objects.filter(pk=profile.pk).update(
        iban_verified_at=None, payout_blocked_reason="Rücküberweisung der Bank (AC04)"
    )
    same = tax_profile_save(partner=note.partner, vat_status=profile.vat_status, city="Potsdam")
    assert same.payout_blocked_reason
    assert same.iban_verified_at is None
    fixed = tax_profile_save(
        partner=note.partner, vat_status=profile.vat_status, account_holder="Erika B. Beraterin"
    )
    assert fixed.payout_blocked_reason == ""
    assert fixed.iban_verified_at is not None


def test_the_portal_asks_for_the_code_when_the_iban_changes() -> None:
    platform = platform_create(hosts=("portal-iban.localhost",))
    s = busy_scene(platform=platform)
    tax_profile(s.partner, VatStatus.REGULAR, account_holder="Erika Beraterin")
    profile = PartnerTaxProfile.objects.get(partner=s.partner)
    device = totp_device_confirmed(user=s.partner.user)
    client = Client(HTTP_HOST="portal-iban.localhost")
    client.force_login(s.partner.user)
    form = {
        name: getattr(profile, name)
        for name in (
            "legal_name",
            "street",
            "building_number",
            "postal_code",
            "city",
            "country",
            "vat_status",
            "tax_number",
            "vat_id",
            "account_holder",
            "language",
        )
    }
    form["iban"] = NEW_IBAN
    page = client.post("/partner/steuerdaten/", form)
    assert b"Authenticator-App eingeben" in page.content
    assert b"Gespeichert" not in page.content
    form["totp_code"] = totp_now(device)
    page = client.post("/partner/steuerdaten/", form)
    assert b"Gespeichert" in page.content
    profile.refresh_from_db()
    assert profile.iban == NEW_IBAN


ANSWERS = {"DE02120300000000202051": PayeeAnswer(PayeeResult.CLOSE_MATCH, "Erika Beraterin-Nowak")}


class BankSays:
    """Test double of a Verification of Payee service: what each IBAN's bank answers."""

    def verify(self, *, iban: str, name: str) -> PayeeAnswer:
        return ANSWERS.get(iban, PayeeAnswer(PayeeResult.MATCH))


@override_settings(PAYOUT_PAYEE_VERIFIER=f"{__name__}.BankSays")
def test_a_payee_mismatch_keeps_the_partner_out_of_the_run() -> None:
    platform = paying_platform()
    close, fine = busy_scene(platform=platform), busy_scene(platform=platform)
    with clock.frozen_at(at(2026, 10, 1)):
        tax_profile(close.partner, VatStatus.REGULAR)  # DE02…2051: a close match
        tax_profile(fine.partner, VatStatus.SMALL_BUSINESS)
    for s in (close, fine):
        settled(s, seconds=3600, when=at(2026, 10, 10))
    close_month()
    with clock.frozen_at(at(2026, 11, 3)):
        run = services.payout_run_create(legal_entity=platform.legal_entity)
    assert run.count == 1
    (skipped,) = run.skipped
    assert skipped["partner_id"] == close.partner.pk
    assert "Erika Beraterin-Nowak" in skipped["reason"]
    assert_ledger_sound()
