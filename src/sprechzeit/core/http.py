"""What a page view declares about the one door from domain errors to pages.

The door itself is `site.middleware.DomainErrorMiddleware`; a view only says where a refused
form action sends its user back to. It lives here, below every app, because page views of
the domain apps (consultations, payments) declare it too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

View = TypeVar("View", bound=Callable[..., Any])

_BACK = "domain_error_back_to"


def back_on_domain_error(url_name: str) -> Callable[[View], View]:
    """When a `DomainError` refuses this form action, the user goes back to `url_name` (its
    URL arguments filled from the view's own where they fit) and sees the error's message
    there: the post/redirect/get of every form action here.

    Declared, not caught: functools.wraps carries the mark to the outer decorators, and the
    middleware reads it from the resolved view."""

    def declare(view: View) -> View:
        setattr(view, _BACK, url_name)
        return view

    return declare


def back_to(view: Callable[..., Any]) -> str | None:
    """The URL name a view declared with `back_on_domain_error`, if any."""
    target = getattr(view, _BACK, None)
    return target if isinstance(target, str) else None
