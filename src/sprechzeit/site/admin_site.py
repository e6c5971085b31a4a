"""The back office (Django admin) behind the same log-in as the site, with its second factor.

Staff log in through the site's log-in page (e-mail, password, TOTP code); the admin only
admits staff whose session is verified by a second factor.
"""

from __future__ import annotations

from django.contrib.admin import AdminSite
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.urls import reverse


class SprechzeitAdminSite(AdminSite):
    site_header = "Sprechzeit"
    site_title = "Sprechzeit"
    index_title = "Verwaltung"

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        verified = getattr(user, "is_verified", lambda: False)()
        return bool(user.is_active and user.is_staff and verified)

    def login(
        self, request: HttpRequest, extra_context: dict[str, object] | None = None
    ) -> HttpResponse:
        return redirect_to_login(
            request.GET.get("next") or reverse("admin:index"), reverse("site:login")
        )
