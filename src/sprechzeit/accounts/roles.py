"""Staff roles as Django groups, with the permissions each role holds.

The data migration and `staff_create` both read this table, so the roles have one source.
"""

from __future__ import annotations

from typing import Final

ADMIN: Final = "admin"
SUPPORT: Final = "support"
ACCOUNTING: Final = "accounting"

# role → (app_label, codename) pairs. Later apps add their models' permissions here.
ROLE_PERMISSIONS: Final[dict[str, tuple[tuple[str, str], ...]]] = {
    ADMIN: (
        ("platforms", "add_platform"),
        ("platforms", "change_platform"),
        ("platforms", "view_platform"),
        ("platforms", "add_platformdomain"),
        ("platforms", "change_platformdomain"),
        ("platforms", "delete_platformdomain"),
        ("platforms", "view_platformdomain"),
        ("platforms", "add_legalentity"),
        ("platforms", "change_legalentity"),
        ("platforms", "view_legalentity"),
        ("accounts", "add_user"),
        ("accounts", "change_user"),
        ("accounts", "view_user"),
        ("accounts", "view_clientaccount"),
        ("accounts", "change_clientaccount"),
        ("accounts", "add_partner"),
        ("accounts", "change_partner"),
        ("accounts", "view_partner"),
        ("accounts", "add_listing"),
        ("accounts", "change_listing"),
        ("accounts", "view_listing"),
        ("accounts", "add_category"),
        ("accounts", "change_category"),
        ("accounts", "delete_category"),
        ("accounts", "view_category"),
        # Legal texts: "add" issues a new version; nobody changes or deletes one.
        ("legal", "add_legaldocument"),
        ("legal", "view_legaldocument"),
        ("legal", "view_consent"),
        ("notifications", "view_outboundmail"),
    ),
    SUPPORT: (
        ("platforms", "view_platform"),
        ("consultations", "view_consultation"),
        ("consultations", "view_rating"),
        ("statements", "view_statement"),
        ("statements", "view_partnertaxprofile"),
        ("payments", "view_payment"),
        ("payments", "view_inboxentry"),
        ("payments", "view_dispute"),
        ("payments", "view_refundrequest"),
        ("wallets", "view_walletstate"),
        ("platforms", "view_contactmessage"),
        ("platforms", "change_contactmessage"),
        ("accounts", "view_user"),
        ("accounts", "change_user"),
        ("accounts", "view_clientaccount"),
        ("accounts", "change_clientaccount"),
        ("accounts", "view_partner"),
        ("accounts", "view_listing"),
        ("accounts", "change_listing"),
        ("accounts", "view_category"),
        ("legal", "view_legaldocument"),
        ("legal", "view_consent"),
        ("notifications", "view_outboundmail"),
    ),
    ACCOUNTING: (
        ("platforms", "view_platform"),
        ("platforms", "view_legalentity"),
        ("accounts", "view_user"),
        ("accounts", "view_clientaccount"),
        ("accounts", "view_partner"),
        ("accounts", "view_listing"),
    ),
}
