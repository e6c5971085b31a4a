from __future__ import annotations

from django.http import HttpRequest

from sprechzeit.platforms.models import Platform


def platform(request: HttpRequest) -> dict[str, Platform | None]:
    return {"platform": getattr(request, "platform", None)}
