"""The console's door: staff with a verified second factor only, and their address for
the audit trail. Which role may open which page is the access table's (accounts.access,
enforced by its middleware before any view runs); this adds the second factor."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponseBase
from django.urls import reverse

from sprechzeit.core.net import client_address

type View = Callable[..., HttpResponseBase]


def staff_ip(request: HttpRequest) -> str | None:
    """The staff member's address as the audit trail records it."""
    return client_address(request) or None


def console_view(view: View) -> View:
    """Only staff whose session passed the second factor; others go to the log-in."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user = request.user
        verified = getattr(user, "is_verified", lambda: False)()
        if not (user.is_active and user.is_staff and verified):
            return redirect_to_login(request.get_full_path(), reverse("site:login"))
        return view(request, *args, **kwargs)

    return wrapped
