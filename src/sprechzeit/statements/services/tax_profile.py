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
from sprechzeit.statements import errors
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


def self_billing_accept(*, partner: Partner, version: str) -> PartnerTaxProfile:
    """Record that the partner agreed to self-billing (date and agreement version)."""
    profile = PartnerTaxProfile.objects.get(partner=partner)
    profile.self_billing_accepted_at = clock.now()
    profile.self_billing_version = version
    profile.save(update_fields=["self_billing_accepted_at", "self_billing_version"])
    return profile
