"""Uploads end to end (issue #11, point 3): a partner's photo and a platform's logo are
stored only as images Pillow re-encoded, under a random name with a fixed extension, and
media are served with an image type and nosniff. HTML, SVG and polyglots never become a
page on a platform's own domain."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.forms import modelform_factory
from django.test import Client
from django.utils import translation
from django.utils.datastructures import MultiValueDict
from PIL import Image

from sprechzeit.accounts.models import Listing
from sprechzeit.accounts.tests.factories import login_verified, partner_with_listing
from sprechzeit.core.images import ImageRefused, ReencodedImageFormField
from sprechzeit.platforms.models import Platform
from sprechzeit.platforms.tests.factories import platform_create

pytestmark = pytest.mark.django_db
A = {"host": "a.localhost"}
SCRIPT = b"<script>alert(document.cookie)</script>"
STORED_NAME = re.compile(r"^listings/photos/[0-9a-f]{32}\.(png|jpg|webp)$")


@pytest.fixture(autouse=True)
def _german() -> Iterator[None]:
    """The messages are asserted in German, the source language."""
    with translation.override("de"):
        yield


def image_bytes(fmt: str = "PNG", size: tuple[int, int] = (64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, "#336699").save(out, format=fmt)
    return out.getvalue()


HOSTILE = {
    "png-signature-polyglot.html": b"\x89PNG\r\n\x1a\n<html><body>" + SCRIPT + b"</body></html>",
    "logo.svg": b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)">' + SCRIPT + b"</svg>",
    "page.html": b"<!doctype html><html><body>" + SCRIPT + b"</body></html>",
    "trailing.gif": image_bytes("GIF") + b"<html>" + SCRIPT,
}


def _form_data() -> dict[str, object]:
    return {"display_name": "Anna", "headline": "", "description": "", "rate": "1,99"}


def _partner_browser() -> tuple[Client, Listing]:
    platform = platform_create(slug="a", rate_min_minor=99, rate_max_minor=499)
    partner, listing = partner_with_listing(platform=platform, rate_minor=199)
    browser = Client()
    login_verified(browser, partner.user)
    return browser, listing


def _media_files() -> list[Path]:
    return [p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()]


@pytest.mark.parametrize("name", list(HOSTILE))
def test_html_svg_and_polyglot_photos_are_refused_with_a_form_error(name: str) -> None:
    browser, listing = _partner_browser()
    upload = SimpleUploadedFile(name, HOSTILE[name], content_type="image/png")
    response = browser.post(
        f"/partner/profile/{listing.pk}/", {**_form_data(), "photo": upload}, headers=A
    )
    assert response.status_code == 400
    assert "Bitte ein Bild als JPEG, PNG oder WebP hochladen." in response.content.decode()
    assert not Listing.objects.get(pk=listing.pk).photo
    assert _media_files() == []


def test_a_png_with_trailing_html_named_html_is_stored_as_a_clean_png_and_served_safely() -> None:
    browser, listing = _partner_browser()
    polyglot = image_bytes("PNG") + b"<html>" + SCRIPT + b"</html>"
    upload = SimpleUploadedFile("x.html", polyglot, content_type="text/html")
    response = browser.post(
        f"/partner/profile/{listing.pk}/", {**_form_data(), "photo": upload}, headers=A
    )
    assert response.status_code == 302
    photo = Listing.objects.get(pk=listing.pk).photo
    name = str(photo.name)
    assert STORED_NAME.match(name), name
    assert name.endswith(".png")
    stored = Path(photo.path).read_bytes()
    assert SCRIPT not in stored
    assert Image.open(io.BytesIO(stored)).format == "PNG"
    assert [p.name for p in _media_files()] == [Path(name).name]

    served = Client().get(photo.url, headers=A)
    assert served.status_code == 200
    assert served["Content-Type"] == "image/png"
    assert served["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in served["Content-Security-Policy"]
    assert b"".join(served.streaming_content) == stored  # type: ignore[attr-defined]


def test_a_jpeg_keeps_its_family_and_a_second_upload_gets_a_new_random_name() -> None:
    browser, listing = _partner_browser()
    names = []
    for _ in range(2):
        upload = SimpleUploadedFile("ich.jpeg", image_bytes("JPEG"), content_type="image/jpeg")
        browser.post(
            f"/partner/profile/{listing.pk}/", {**_form_data(), "photo": upload}, headers=A
        )
        names.append(str(Listing.objects.get(pk=listing.pk).photo.name))
    assert all(STORED_NAME.match(name) and name.endswith(".jpg") for name in names)
    assert names[0] != names[1]


def test_files_not_written_by_the_application_are_served_as_downloads() -> None:
    platform_create(slug="a")
    planted = Path(settings.MEDIA_ROOT) / "listings" / "photos"
    planted.mkdir(parents=True)
    for name, content in HOSTILE.items():
        (planted / name).write_bytes(content)
        served = Client().get(f"/media/listings/photos/{name}", headers=A)
        assert served.status_code == 200
        assert served["Content-Type"] == "application/octet-stream"
        assert served["Content-Disposition"] == "attachment"
        assert served["X-Content-Type-Options"] == "nosniff"


def test_every_upload_path_re_encodes_even_without_a_form() -> None:
    """The admin, a service or a script assigning a file: the model field re-encodes."""
    platform = platform_create(slug="a")
    platform.logo = SimpleUploadedFile("logo.svg", HOSTILE["logo.svg"])
    with pytest.raises(ImageRefused), transaction.atomic():
        platform.save()
    assert _media_files() == []

    platform = Platform.objects.get(pk=platform.pk)
    platform.logo = SimpleUploadedFile("logo.html", image_bytes("WEBP", (1024, 512)))
    platform.save()
    logo = Platform.objects.get(pk=platform.pk).logo
    assert re.match(r"^platforms/logos/[0-9a-f]{32}\.webp$", str(logo.name))
    assert Image.open(logo.path).size == (512, 256)  # the logo field's own size cap


def test_the_admins_logo_form_refuses_what_is_not_an_image() -> None:
    form_class = modelform_factory(Platform, fields=["logo"])
    assert isinstance(form_class.base_fields["logo"], ReencodedImageFormField)
    form = form_class(
        data={},
        files=MultiValueDict({"logo": [SimpleUploadedFile("logo.svg", HOSTILE["logo.svg"])]}),
    )
    assert not form.is_valid()
    assert form.errors["logo"] == ["Bitte ein Bild als JPEG, PNG oder WebP hochladen."]
