"""Partner tax and bank data: validation, saving, the self-billing agreement."""

from __future__ import annotations

import copy
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException
from stdnum.de import stnr
from stdnum.eu import vat as eu_vat
from stdnum.exceptions import ValidationError as StdnumError

from sprechzeit.accounts.models import Partner
from sprechzeit.core import clock
from sprechzeit.statements import errors
from sprechzeit.statements.models import PartnerTaxProfile
from sprechzeit.statements.services.bank_account import bank_change_apply, iban_problem
from sprechzeit.statements.vat import VatStatus


def tax_fields_check(fields: dict[str, Any]) -> dict[str, str]:
    """Validate and normalise `fields` in place; returns {field: message} for what is
    wrong (the portal form and the admin show these at the fields)."""
    problems: dict[str, str] = {}
    country = str(fields.get("country") or "DE").upper()
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
        try:
            fields["vat_id"] = eu_vat.compact(eu_vat.validate(fields["vat_id"]))
        except StdnumError:
            problems["vat_id"] = _("Die USt-IdNr. ist ungültig.")
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
    status = fields.get("vat_status")
    if status not in VatStatus.values:
        problems["vat_status"] = _("Bitte den Umsatzsteuerstatus wählen.")
    if status == VatStatus.EU_REVERSE_CHARGE and country == "DE":
        problems["country"] = _("Reverse Charge gilt nur für Unternehmer außerhalb Deutschlands.")
    return problems


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
    problems = tax_fields_check(fields)
    if problems:
        raise errors.TaxProfileInvalid(**problems)
    profile = PartnerTaxProfile.objects.select_for_update().filter(partner=partner).first()
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
    return profile


def self_billing_accept(*, partner: Partner, version: str) -> PartnerTaxProfile:
    """Record that the partner agreed to self-billing (date and agreement version)."""
    profile = PartnerTaxProfile.objects.get(partner=partner)
    profile.self_billing_accepted_at = clock.now()
    profile.self_billing_version = version
    profile.save(update_fields=["self_billing_accepted_at", "self_billing_version"])
    return profile
