"""Partner tax and bank data: validation, saving, the self-billing agreement."""

from __future__ import annotations

import copy
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException
from stdnum import get_cc_module
from stdnum.de import stnr
from stdnum.eu import vat as eu_vat
from stdnum.exceptions import ValidationError as StdnumError

from sprechzeit.accounts.models import Partner
from sprechzeit.core import clock
from sprechzeit.core.countries import EU_MEMBER_STATES
from sprechzeit.legal.errors import LegalDocumentMissing
from sprechzeit.legal.models import Consent
from sprechzeit.legal.selectors import self_billing_entities
from sprechzeit.legal.services import self_billing_consent_record
from sprechzeit.platforms.models import Platform
from sprechzeit.statements import errors, issuing_rules
from sprechzeit.statements.models import PartnerTaxProfile
from sprechzeit.statements.services.bank_account import (
    bank_change_apply,
    iban_problem,
    tax_profile_change_record,
)
from sprechzeit.statements.tax_status import EU_VAT_PREFIXES, status_problems
from sprechzeit.statements.vat import VatStatus


def tax_fields_check(
    fields: dict[str, Any], current: PartnerTaxProfile | None = None
) -> dict[str, str]:
    """Validate and normalise `fields` in place; returns {field: message} for what is
    wrong (the portal form and the admin show these at the fields). Fields not given
    are taken from `current` for the checks that look at several (status, country, VAT
    ID: `statements.tax_status`)."""
    problems: dict[str, str] = {}

    def merged(name: str, default: str = "") -> str:
        if name in fields:
            return str(fields[name] or default)
        return str(getattr(current, name, "") or default)

    country = merged("country", "DE").strip().upper()
    if "country" in fields or current is None:
        fields["country"] = country
    if fields.get("tax_number"):
        if country == "DE":
            try:
                fields["tax_number"] = stnr.validate(fields["tax_number"])
            except StdnumError:
                problems["tax_number"] = _("Die Steuernummer ist ungültig.")
        else:
            fields["tax_number"] = str(fields["tax_number"]).strip()
    if fields.get("vat_id"):
        fields["vat_id"], problem = _vat_id_checked(str(fields["vat_id"]), country)
        if problem:
            problems["vat_id"] = problem
    if fields.get("iban"):
        try:
            iban = IBAN(fields["iban"])
            fields["iban"] = iban.compact
            if not fields.get("bic") and iban.bic is not None:
                fields["bic"] = str(iban.bic)
            if outside := iban_problem(iban):
                problems["iban"] = outside
        except SchwiftyException:
            problems["iban"] = _("Die IBAN ist ungültig.")
    status = merged("vat_status")
    if status not in VatStatus.values:
        problems["vat_status"] = _("Bitte den Umsatzsteuerstatus wählen.")
    vat_id = merged("vat_id")
    for name, message in status_problems(status=status, country=country, vat_id=vat_id).items():
        problems.setdefault(name, message)
    return problems


def _vat_id_checked(raw: str, country: str) -> tuple[str, str]:
    """The VAT ID compacted, checked by the format of its country (EU: `stdnum.eu.vat`,
    which dispatches per member state; elsewhere the country's stdnum module where
    there is one), and a problem ("" when fine)."""
    value = raw.strip().upper().replace(" ", "")
    module: Any = eu_vat
    if country not in EU_MEMBER_STATES and value[:2] not in EU_VAT_PREFIXES:
        module = get_cc_module(country.lower(), "vat")
        if module is None:
            return value, ""
    try:
        return str(module.compact(module.validate(value))), ""
    except StdnumError:
        return value, _("Die USt-IdNr. ist ungültig.")


@transaction.atomic
def tax_profile_save(
    *, partner: Partner, totp_code: str = "", by_staff: bool = False, **fields: Any
) -> PartnerTaxProfile:
    """Create or update the partner's tax and bank data. Validates tax number
    (stdnum.de.stnr), VAT ID (stdnum.eu.vat) and IBAN (schwifty, SEPA zone only); raises
    `TaxProfileInvalid` with `fields` = {field: message}. A valid IBAN counts as
    verified (a bank return clears that again, see payouts); changing it needs the
    authenticator code (`totp_code`, unless `by_staff`), is announced by e-mail and
    starts a cooling-off period (`services.bank_account`)."""
    profile = PartnerTaxProfile.objects.select_for_update().filter(partner=partner).first()
    problems = tax_fields_check(fields, profile)
    if problems:
        raise errors.TaxProfileInvalid(**problems)
    previous = copy.copy(profile)
    if profile is None:
        profile = PartnerTaxProfile(partner=partner)
    for name, value in fields.items():
        setattr(profile, name, value)
    now = clock.now()
    bank_change_apply(
        profile=profile, previous=previous, totp_code=totp_code, by_staff=by_staff, now=now
    )
    profile.updated_at = now
    profile.full_clean(exclude=["partner"])
    profile.save()
    tax_profile_change_record(profile=profile, previous=previous, by_staff=by_staff)
    return profile


@transaction.atomic
def self_billing_accept(*, partner: Partner, ip: str | None = None) -> list[Consent]:
    """Record the partner's consent to self-billing with every issuing entity of the
    platforms they list on that has none yet: one `legal` consent per entity, against
    the agreement in force on one of the partner's platforms of that entity. Also notes
    the first consent's date on the profile. Entities whose platforms have not issued
    the agreement are left out (their notes stay held, naming the entity)."""
    consented = {
        entity_id for _user, entity_id in self_billing_entities(user_ids=[partner.user_id])
    }
    given: list[Consent] = []
    for entity in issuing_rules.partner_entities(partner=partner):
        if entity.pk in consented:
            continue
        platforms = Platform.objects.filter(
            legal_entity=entity, listings__partner=partner
        ).order_by("pk")
        for platform in platforms:
            try:
                given.append(
                    self_billing_consent_record(user=partner.user, platform=platform, ip=ip)
                )
                break
            except LegalDocumentMissing:
                continue
    if given:
        PartnerTaxProfile.objects.filter(
            partner=partner, self_billing_accepted_at__isnull=True
        ).update(
            self_billing_accepted_at=given[0].at,
            self_billing_version=str(given[0].document.version),
        )
    return given
