"""Who may use the partner portal: a partner whose session passed the second factor."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Concatenate

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from sprechzeit.accounts.models import Partner, User


def partner_required[**P](
    view: Callable[Concatenate[HttpRequest, Partner, P], HttpResponse],
) -> Callable[Concatenate[HttpRequest, P], HttpResponse]:
    """Log-in (with TOTP) for partners; clients and staff get a 403, visitors the log-in."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: P.args, **kwargs: P.kwargs) -> HttpResponse:
        user = request.user
        verified = getattr(user, "is_verified", lambda: False)()
        if not user.is_authenticated or not verified:
            return redirect_to_login(request.get_full_path(), reverse("site:login"))
        if not isinstance(user, User) or user.kind != User.Kind.PARTNER:
            raise PermissionDenied
        partner = Partner.objects.select_related("user").get(user=user)
        return view(request, partner, *args, **kwargs)

    return wrapper  # type: ignore[return-value]  # wraps() keeps the view's own signature
