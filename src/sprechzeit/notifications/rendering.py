"""Rendering a mail in the platform's brand and the recipient's language.

Each mail is two templates under `notifications/mail/`: `<name>.txt` (first line: the
subject; after a blank line: the plain-text body) and `<name>.html` (extends
`notifications/mail/base.html`). Both get the caller's context plus `brand`.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.utils import formataddr
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from sprechzeit.platforms.models import LegalEntity, Platform
from sprechzeit.platforms.selectors import platform_url

LANGUAGES = ("de", "en")


@dataclass(frozen=True, slots=True)
class Brand:
    name: str
    primary: str
    accent: str
    logo_url: str
    home_url: str
    impressum_url: str
    privacy_url: str
    operator: str
    operator_address: str


@dataclass(frozen=True, slots=True)
class Rendered:
    subject: str
    text: str
    html: str


def platform_link(platform: Platform, path: str) -> str:
    """An absolute link to `path` on the platform's own host (for mails and documents,
    which have no request to build it from)."""
    base = platform_url(
        platform=platform,
        request_scheme=settings.SPRECHZEIT_MAIL_LINK_SCHEME,
        port=settings.SPRECHZEIT_MAIL_LINK_PORT,
    )
    return base.rstrip("/") + "/" + path.lstrip("/")


def sender_of(platform: Platform | None, entity: LegalEntity | None = None) -> str:
    """The From header: the platform's name and contact address (replies reach its
    support); partner mail without a platform comes from the operator (legal entity);
    with neither, the network's DEFAULT_FROM_EMAIL."""
    if platform is not None:
        return formataddr((platform.name, platform.contact_email))
    if entity is not None:
        return formataddr((entity.name, entity.email))
    return str(settings.DEFAULT_FROM_EMAIL)


def brand_of(platform: Platform | None, entity: LegalEntity | None = None) -> Brand:
    if platform is None:
        if entity is None:
            return Brand("Sprechzeit", "#1f4e79", "#e07a1f", "", "", "", "", "", "")
        address = f"{entity.street}, {entity.postal_code} {entity.city}"
        return Brand(entity.name, "#1f4e79", "#e07a1f", "", "", "", "", entity.name, address)
    entity = platform.legal_entity
    return Brand(
        name=platform.name,
        primary=platform.color_primary,
        accent=platform.color_accent,
        logo_url=platform_link(platform, platform.logo.url) if platform.logo else "",
        home_url=platform_link(platform, "/"),
        impressum_url=platform_link(platform, reverse("site:impressum")),
        privacy_url=platform_link(platform, reverse("site:privacy")),
        operator=entity.name,
        operator_address=f"{entity.street}, {entity.postal_code} {entity.city}",
    )


def mail_render(
    *,
    platform: Platform | None,
    template: str,
    context: dict[str, Any],
    language: str,
    entity: LegalEntity | None = None,
) -> Rendered:
    """Subject, text and HTML of `template` in `language` (German if unknown)."""
    language = language if language in LANGUAGES else "de"
    full = {**context, "brand": brand_of(platform, entity), "platform": platform}
    with translation.override(language):
        head, _blank, body = render_to_string(f"notifications/mail/{template}.txt", full).partition(
            "\n\n"
        )
        footer = render_to_string("notifications/mail/_footer.txt", full)
        html = render_to_string(f"notifications/mail/{template}.html", full)
    return Rendered(
        subject=" ".join(head.split()),
        text=body.strip() + "\n\n" + footer.strip() + "\n",
        html=html,
    )
