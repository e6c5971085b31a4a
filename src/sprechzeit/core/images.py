"""Uploaded images: decoded and re-encoded by Pillow before anything is stored.

An upload is never kept as sent. `image_reencode` reads at most the size limit, lets Pillow
identify it among JPEG, PNG and WebP only (never by its name or its first bytes), refuses
decompression bombs before decoding (a pixel cap), animated or multi-frame files and
anything Pillow cannot decode, then draws the pixels into a fresh image (no metadata, no
text chunks, no colour profile, nothing after the image's end) and encodes that in the same
family. The stored name is random with the fixed extension of the encoded format, so no
uploaded name or extension ever reaches the disk or the URL.

`ReencodedImageField` is the model field every upload uses: whatever path a file takes
(a form, the admin, a service, the demo seed), `FieldFile.save` re-encodes it unless it
already is a `CleanImageFile` from `ReencodedImageFormField`, which refuses bad files with a
form error before the model is touched.
"""

from __future__ import annotations

import io
import secrets
import warnings
from dataclasses import dataclass
from typing import IO, Any, ClassVar, Final

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile, File
from django.db import models
from django.db.models.fields.files import FieldFile
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.views.static import serve
from PIL import Image, ImageOps

from sprechzeit.core.errors import DomainError

MAX_BYTES: Final = 2 * 1024 * 1024
# 24 megapixels (6000 × 4000) is more than any camera photo a partner would upload; a
# decompression bomb declares far more in a few bytes and is refused before it is decoded.
MAX_PIXELS: Final = 24_000_000
# Stored images are shrunk to fit this square (profile photos and logos are shown small).
MAX_SIDE: Final = 2048

# Pillow format → (encoder, fixed extension, content type). Anything else is refused.
FORMATS: Final[dict[str, tuple[str, str, str]]] = {
    "JPEG": ("JPEG", "jpg", "image/jpeg"),
    "PNG": ("PNG", "png", "image/png"),
    "WEBP": ("WEBP", "webp", "image/webp"),
}
# The content types media files may be served as, by their (fixed) extension.
CONTENT_TYPES: Final[dict[str, str]] = {ext: ctype for _enc, ext, ctype in FORMATS.values()}
# Sent with every media file: nothing in it may run, load or be framed as a page.
MEDIA_CSP: Final = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"


class ImageRefused(DomainError):
    code: ClassVar[str] = "image_refused"
    http_status: ClassVar[int] = 400
    default_message: ClassVar[str | Promise] = _(
        "Bitte ein Bild als JPEG, PNG oder WebP hochladen."
    )


@dataclass(frozen=True, slots=True)
class CleanImage:
    """Re-encoded image bytes and what they are."""

    content: bytes
    extension: str
    content_type: str
    width: int
    height: int


def _read_bounded(source: IO[bytes] | bytes, max_bytes: int) -> bytes:
    too_big = ImageRefused(
        _("Die Datei ist größer als %(mb)s MB.") % {"mb": f"{max_bytes / 1024 / 1024:g}"},
        max_bytes=max_bytes,
    )
    if isinstance(source, bytes):
        data = source
    else:
        size = getattr(source, "size", None)
        if isinstance(size, int) and size > max_bytes:
            raise too_big
        if hasattr(source, "seek"):
            source.seek(0)
        data = source.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise too_big
    if not data:
        raise ImageRefused()
    return data


def _too_many_pixels(max_pixels: int) -> ImageRefused:
    return ImageRefused(
        _("Das Bild hat zu viele Pixel (höchstens %(mp)s Megapixel).")
        % {"mp": f"{max_pixels / 1_000_000:g}"},
        max_pixels=max_pixels,
    )


def _decode(data: bytes, *, max_pixels: int) -> Image.Image:
    """The single decoded frame of an accepted format, or ImageRefused."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=list(FORMATS))
            if image.format not in FORMATS:  # e.g. a multi-picture JPEG (MPO)
                raise ImageRefused()
            width, height = image.size
            if width < 1 or height < 1 or width * height > max_pixels:
                raise _too_many_pixels(max_pixels)
            if getattr(image, "n_frames", 1) != 1 or getattr(image, "is_animated", False):
                raise ImageRefused(
                    _("Bitte ein einzelnes, nicht animiertes Bild hochladen."), animated=True
                )
            image.load()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _too_many_pixels(max_pixels) from None
        except (OSError, SyntaxError, ValueError, EOFError):
            raise ImageRefused() from None
    return image


def image_reencode(
    source: IO[bytes] | bytes,
    *,
    max_bytes: int = MAX_BYTES,
    max_pixels: int = MAX_PIXELS,
    max_side: int = MAX_SIDE,
) -> CleanImage:
    """Decode an uploaded image and encode its pixels afresh (ImageRefused otherwise)."""
    image = _decode(_read_bounded(source, max_bytes), max_pixels=max_pixels)
    encoder, extension, content_type = FORMATS[str(image.format)]
    try:
        image = ImageOps.exif_transpose(image)
        alpha = image.mode in {"RGBA", "LA", "PA", "RGBa", "La"} or (
            image.mode == "P" and "transparency" in image.info
        )
        mode = "RGBA" if alpha and encoder != "JPEG" else "RGB"
        pixels = image.convert(mode)
        pixels.thumbnail((max_side, max_side))
        clean = Image.new(mode, pixels.size)
        clean.paste(pixels)
        clean.info = {}
        out = io.BytesIO()
        options: dict[str, Any] = {"JPEG": {"quality": 88}, "WEBP": {"quality": 88}}.get(
            encoder, {}
        )
        clean.save(out, format=encoder, **options)
    except (OSError, ValueError) as exc:
        raise ImageRefused() from exc
    return CleanImage(out.getvalue(), extension, content_type, clean.width, clean.height)


def image_filename(extension: str) -> str:
    """A random file name with a fixed extension: nothing of the upload's own name."""
    return f"{secrets.token_hex(16)}.{extension}"


class CleanImageFile(ContentFile[bytes]):
    """Bytes `image_reencode` produced, under a random name with the format's extension."""

    def __init__(self, image: CleanImage) -> None:
        super().__init__(image.content, name=image_filename(image.extension))
        self.image = image


class ReencodedImageFieldFile(FieldFile):
    def save(self, name: str, content: File[Any], save: bool = True) -> None:
        if not isinstance(content, CleanImageFile):
            field: ReencodedImageField = self.field  # type: ignore[assignment]
            content = CleanImageFile(image_reencode(content, max_side=field.max_side))
        super().save(str(content.name), content, save)


class ReencodedImageFormField(forms.FileField):
    """A file input whose cleaned value is the re-encoded image, or a German form error."""

    def __init__(self, *, max_side: int = MAX_SIDE, **kwargs: Any) -> None:
        self.max_side = max_side
        super().__init__(**kwargs)
        self.widget.attrs.setdefault("accept", "image/jpeg,image/png,image/webp")

    def to_python(self, data: Any) -> Any:
        upload = super().to_python(data)
        if upload is None or isinstance(upload, CleanImageFile):
            return upload
        try:
            return CleanImageFile(image_reencode(upload, max_side=self.max_side))
        except ImageRefused as refused:
            raise ValidationError(str(refused.message), code=refused.code) from None


class ReencodedImageField(models.FileField):
    """A FileField that stores only re-encoded images under random names."""

    attr_class = ReencodedImageFieldFile

    def __init__(self, *args: Any, max_side: int = MAX_SIDE, **kwargs: Any) -> None:
        self.max_side = max_side
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        if self.max_side != MAX_SIDE:
            kwargs["max_side"] = self.max_side
        return name, path, args, kwargs

    def formfield(self, **kwargs: Any) -> Any:
        return super().formfield(
            **{"form_class": ReencodedImageFormField, "max_side": self.max_side, **kwargs}
        )


def media_serve(request: HttpRequest, path: str) -> HttpResponseBase:
    """Serve an upload outside production the way the proxy does (deploy/nginx): an image
    type by the fixed extension, anything else as a download, never sniffed, sandboxed."""
    response = serve(request, path, document_root=str(settings.MEDIA_ROOT))
    extension = path.rsplit(".", 1)[-1].lower() if "." in path else ""
    response["Content-Type"] = CONTENT_TYPES.get(extension, "application/octet-stream")
    if extension not in CONTENT_TYPES:
        response["Content-Disposition"] = "attachment"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = MEDIA_CSP
    return response
