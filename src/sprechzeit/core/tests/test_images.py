"""core.images: every upload is decoded and re-encoded by Pillow, or refused."""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Iterator

import pytest
from django.utils import translation
from PIL import Image, ImageFile, PngImagePlugin

from sprechzeit.core.images import ImageRefused, image_filename, image_reencode

SCRIPT = b"<script>alert(document.cookie)</script>"


@pytest.fixture(autouse=True)
def _german() -> Iterator[None]:
    """The messages are asserted in German, the source language."""
    with translation.override("de"):
        yield


def png(size: tuple[int, int] = (40, 30), mode: str = "RGB", **save: object) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, "#c05020" if mode != "1" else 1).save(out, format="PNG", **save)
    return out.getvalue()


def encoded(fmt: str, mode: str = "RGB", size: tuple[int, int] = (40, 30)) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, "#2050c0").save(out, format=fmt)
    return out.getvalue()


def png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose header declares width × height pixels (a decompression bomb)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    body = zlib.compress(b"\x00" * 1024)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")
    )


def decoded(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


@pytest.mark.parametrize(
    ("source", "extension", "content_type", "pil_format"),
    [
        (encoded("PNG"), "png", "image/png", "PNG"),
        (encoded("JPEG"), "jpg", "image/jpeg", "JPEG"),
        (encoded("WEBP"), "webp", "image/webp", "WEBP"),
        (encoded("PNG", mode="RGBA"), "png", "image/png", "PNG"),
        (encoded("PNG", mode="P"), "png", "image/png", "PNG"),
        (encoded("JPEG", mode="CMYK"), "jpg", "image/jpeg", "JPEG"),
    ],
)
def test_accepted_images_are_encoded_afresh_in_their_family(
    source: bytes, extension: str, content_type: str, pil_format: str
) -> None:
    clean = image_reencode(source)
    assert (clean.extension, clean.content_type) == (extension, content_type)
    image = decoded(clean.content)
    assert image.format == pil_format
    assert image.size == (40, 30) == (clean.width, clean.height)


def test_bytes_after_the_image_and_text_chunks_do_not_survive() -> None:
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", SCRIPT.decode())
    polyglot = png(pnginfo=info) + b"<html>" + SCRIPT + b"</html>"
    assert SCRIPT in polyglot
    clean = image_reencode(polyglot)
    assert SCRIPT not in clean.content
    assert b"<html" not in clean.content
    assert clean.content.endswith(b"IEND\xaeB`\x82")
    assert decoded(clean.content).info.get("Comment") is None


def test_exif_metadata_is_dropped_but_the_orientation_is_applied() -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # rotated: shown 90° clockwise
    exif[0x010E] = "GPS 52.5200 N 13.4050 E"  # ImageDescription
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "white").save(out, format="JPEG", exif=exif)
    clean = image_reencode(out.getvalue())
    assert b"52.5200" not in clean.content
    assert (clean.width, clean.height) == (30, 40)
    assert not decoded(clean.content).getexif()


def test_large_images_are_shrunk_to_the_fields_side() -> None:
    clean = image_reencode(encoded("PNG", size=(1200, 600)), max_side=300)
    assert (clean.width, clean.height) == (300, 150)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        pytest.param(
            b"\x89PNG\r\n\x1a\n<html>" + SCRIPT, "JPEG, PNG oder WebP", id="png-signature-html"
        ),
        pytest.param(
            b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)">' + SCRIPT + b"</svg>",
            "JPEG, PNG oder WebP",
            id="svg-with-script",
        ),
        pytest.param(b"<!doctype html><html><body>" + SCRIPT, "JPEG, PNG oder WebP", id="html"),
        pytest.param(
            encoded("GIF") + b"<html>" + SCRIPT, "JPEG, PNG oder WebP", id="gif-trailing-html"
        ),
        pytest.param(encoded("BMP"), "JPEG, PNG oder WebP", id="bmp"),
        pytest.param(b"\xff\xd8\xff\xe0" + b"\x00" * 200, "JPEG, PNG oder WebP", id="broken-jpeg"),
        pytest.param(b"", "JPEG, PNG oder WebP", id="empty"),
        pytest.param(png_declaring(50_000, 50_000), "Megapixel", id="decompression-bomb"),
        pytest.param(png_declaring(6_000, 4_001), "Megapixel", id="just-over-the-pixel-cap"),
    ],
)
def test_non_images_and_hostile_images_are_refused(source: bytes, message: str) -> None:
    with pytest.raises(ImageRefused) as refused:
        image_reencode(source)
    assert message in str(refused.value.message)
    assert refused.value.http_status == 400


def test_a_truncated_image_is_refused_or_padded_but_never_kept(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Pillow refuses truncated data unless ImageFile.LOAD_TRUNCATED_IMAGES is set, which
    WeasyPrint does for the whole process once imported (statements): then the missing rows
    are padded and the result is still a clean, re-encoded image."""
    full = image_bytes_noisy()
    truncated = full[: len(full) // 2]
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", False)
    with pytest.raises(ImageRefused):
        image_reencode(truncated)
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    clean = image_reencode(truncated + SCRIPT)
    assert SCRIPT not in clean.content
    assert decoded(clean.content).size == (64, 64)


def image_bytes_noisy() -> bytes:
    out = io.BytesIO()
    Image.frombytes("RGB", (64, 64), bytes(range(256)) * 48).save(out, format="PNG")
    return out.getvalue()


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_animated_images_are_refused(fmt: str) -> None:
    frames = [Image.new("RGB", (20, 20), colour) for colour in ("red", "blue", "green")]
    out = io.BytesIO()
    frames[0].save(out, format=fmt, save_all=True, append_images=frames[1:], duration=100)
    with pytest.raises(ImageRefused) as refused:
        image_reencode(out.getvalue())
    assert "nicht animiertes" in str(refused.value.message)


def test_files_over_the_size_limit_are_refused_before_decoding() -> None:
    source = encoded("PNG") + b"\x00" * 2048
    with pytest.raises(ImageRefused, match="größer als"):
        image_reencode(source, max_bytes=1024)
    assert image_reencode(source, max_bytes=4096).extension == "png"
    with pytest.raises(ImageRefused, match="größer als 2 MB"):
        image_reencode(io.BytesIO(b"\x00" * (2 * 1024 * 1024 + 1)))


def test_stored_names_are_random_with_the_fixed_extension() -> None:
    names = {image_filename("png") for _ in range(50)}
    assert len(names) == 50
    assert all(len(name) == 36 and name.endswith(".png") for name in names)
