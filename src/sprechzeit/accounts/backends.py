"""Log-in by e-mail, scoped to the platform of the request.

On a platform's host, a client account of that platform or a platform-less login
(partner, staff) may log in; a client of another platform never can, even with the same
e-mail and password. On the network's own hosts (admin), only platform-less logins.

Every password check, on the site's and the admin's log-in alike, passes the throttles
of `accounts.throttles` first: once they are exhausted the password is not even checked.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpRequest

from sprechzeit.accounts.models import User
from sprechzeit.accounts.throttles import THROTTLED_ATTR, login_buckets
from sprechzeit.core.throttle import Throttled, throttle_give_back, throttle_take


class PlatformEmailBackend(ModelBackend):
    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        # The site's form passes `email`, Django's admin form passes `username`.
        login = str(kwargs.get("email") or username or "").strip()
        if not login or password is None:
            return None
        try:
            ticket = throttle_take(buckets=login_buckets(request=request, login=login))
        except Throttled as exc:
            if request is not None:
                setattr(request, THROTTLED_ATTR, exc)
            # Stops authenticate() here: no other backend may check the password either.
            raise PermissionDenied from exc
        user = self._check(request, login, password)
        if user is not None:
            throttle_give_back(ticket=ticket)
        return user

    def _check(self, request: HttpRequest | None, login: str, password: str) -> User | None:
        platform = getattr(request, "platform", None)
        scope = (
            Q(platform__isnull=True)
            if platform is None
            else Q(platform=platform) | Q(platform__isnull=True)
        )
        # A client account of this platform comes before a platform-less login of the same e-mail.
        candidates = list(User.objects.filter(scope, email__iexact=login).order_by("platform_id"))
        candidates.sort(key=lambda u: u.platform_id is None)
        for user in candidates:
            if user.check_password(password) and self.user_can_authenticate(user):
                return user
        if not candidates:
            # Spend the time of one hash so a missing account cannot be told apart by timing.
            User().set_password(password)
        return None
