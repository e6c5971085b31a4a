"""Who may call the API: a logged-in client of the platform whose host is asked."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from ninja.security import APIKeyCookie

from sprechzeit.accounts.models import ClientAccount
from sprechzeit.payments.views import client_of
from sprechzeit.platforms.http import is_platform_request


class ClientSession(APIKeyCookie):
    """The session cookie of the site's log-in, for a client account of this platform.

    No CSRF token: every unsafe request must be `application/json` (`handlers.guard`
    refuses anything else with 415), which a cross-site form cannot send and a cross-site
    script cannot send without a CORS preflight that this site never answers."""

    param_name = settings.SESSION_COOKIE_NAME

    def __init__(self) -> None:
        super().__init__(csrf=False)

    def authenticate(self, request: HttpRequest, key: str | None) -> ClientAccount | None:
        return client_of(request) if is_platform_request(request) else None
