"""Ingest: every accepted photo becomes upright 8-bit RGB; every bad one a one-line InputError.

All test files are generated here with Pillow (or written byte by byte); nothing is downloaded.
"""

from __future__ import annotations

import hashlib
import io
import os
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from simulation import ingest
from simulation.errors import InputError
from simulation.ingest import LoadedImage, encode_png, flip_horizontal, load_image

H, W = 80, 96  # not square, so a missed transpose changes the shape


def upright() -> np.ndarray:
    """An image that differs from each of its 7 other rotations/reflections."""
    y, x = np.mgrid[0:H, 0:W]
    rgb = np.zeros((H, W, 3), np.uint8)
    rgb[..., 0] = x * 255 // (W - 1)
    rgb[..., 1] = y * 255 // (H - 1)
    rgb[:20, :30, 2] = 255  # a marker in the top-left corner
    return rgb


def to_bytes(im: Image.Image, fmt: str, **params: object) -> bytes:
    buf = io.BytesIO()
    im.save(buf, format=fmt, **params)
    return buf.getvalue()


def exif_bytes(orientation: int | None = None, **tags: object) -> bytes:
    exif = Image.Exif()
    if orientation is not None:
        exif[0x0112] = orientation
    for tag, value in tags.items():
        exif[getattr(Image.ExifTags.Base, tag)] = value
    return exif.tobytes()


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def raw_png(width: int, height: int, bit_depth: int, colour_type: int, rows: bytes | None) -> bytes:
    """A PNG written by hand; when `rows` is None, its pixel data stops after a few bytes."""
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    out = b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr)
    if rows is None:
        return out + png_chunk(b"IDAT", zlib.compress(bytes(64)))  # no IEND: cut off
    return out + png_chunk(b"IDAT", zlib.compress(rows)) + png_chunk(b"IEND", b"")


def png_chunk_types(data: bytes) -> list[bytes]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, kinds = 8, []
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kinds.append(data[pos + 4 : pos + 8])
        pos += 12 + length
    assert pos == len(data)
    return kinds


def error_of(source: object, **kwargs: object) -> InputError:
    with pytest.raises(InputError) as info:
        load_image(source, **kwargs)  # type: ignore[arg-type]
    err = info.value
    assert "\n" not in str(err) and "\r" not in str(err)
    assert str(err) == err.message
    assert err.exit_code == 2
    return err


# --- bad input -----------------------------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    err = error_of(tmp_path / "nope.jpg")
    assert err.code == "file_not_found"
    assert "nope.jpg" in str(err)


def test_directory(tmp_path: Path) -> None:
    folder = tmp_path / "photos.jpg"
    folder.mkdir()
    err = error_of(str(folder))
    assert err.code == "not_a_file"
    assert "photos.jpg" in str(err)


def test_empty_file_and_bytes(tmp_path: Path) -> None:
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    err = error_of(empty)
    assert err.code == "empty_file"
    assert "empty.png" in str(err)
    assert error_of(b"", name="upload.jpg").code == "empty_file"


@pytest.mark.parametrize(
    "content",
    [
        b"Patient notes: left brow 2 mm lower.\n" * 40,
        np.random.default_rng(7).integers(0, 256, 4096, dtype=np.uint8).tobytes(),
        b"<html><body>not a photo</body></html>",
    ],
    ids=["text", "random", "html"],
)
def test_not_an_image(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "notes.jpg"
    path.write_bytes(content)
    err = error_of(path)
    assert err.code == "not_an_image"
    assert "notes.jpg" in str(err)
    for fmt in ("JPEG", "PNG", "WebP", "HEIC"):
        assert fmt in str(err)


@pytest.mark.parametrize(
    ("fmt", "params"),
    [
        ("JPEG", {"quality": 95}),
        ("PNG", {}),
        ("WEBP", {"lossless": True}),
        ("WEBP", {"quality": 80}),
    ],
)
def test_truncated(fmt: str, params: dict[str, object]) -> None:
    noisy = np.random.default_rng(1).integers(0, 256, (300, 400, 3), dtype=np.uint8)
    data = to_bytes(Image.fromarray(noisy), fmt, **params)
    for cut in (len(data) // 2, len(data) - 40, 40):
        err = error_of(data[:cut], name="cut.img")
        assert err.code == "truncated_image", (fmt, cut, str(err))
        assert "cut.img" in str(err)


def test_corrupt_png_crc_is_damaged() -> None:
    data = bytearray(to_bytes(Image.fromarray(upright()), "PNG"))
    data[len(data) // 2] ^= 0xFF  # inside IDAT
    assert error_of(bytes(data)).code == "truncated_image"


def test_too_large_checked_from_header_before_decoding() -> None:
    # A header promising 8001 x 5000 pixels and no pixel data at all: decoding would fail
    # with "truncated", so "too_large" proves the size is checked first.
    err = error_of(raw_png(8001, 5000, 8, 2, None), name="huge.png")
    assert err.code == "too_large"
    assert "huge.png" in str(err) and "40" in str(err)
    # Exactly 40 megapixels passes the size check and only then fails to decode.
    assert error_of(raw_png(8000, 5000, 8, 2, None)).code == "truncated_image"


def test_decompression_bomb_becomes_too_large() -> None:
    # 400 megapixels: Pillow itself raises DecompressionBombError while opening.
    err = error_of(raw_png(20000, 20000, 8, 2, None), name="bomb.png")
    assert err.code == "too_large"
    assert "bomb.png" in str(err)


def test_too_small() -> None:
    err = error_of(to_bytes(Image.new("RGB", (63, 200)), "PNG"), name="tiny.png")
    assert err.code == "too_small"
    assert "tiny.png" in str(err) and "63 x 200" in str(err)
    assert error_of(to_bytes(Image.new("RGB", (200, 10)), "PNG")).code == "too_small"
    assert load_image(to_bytes(Image.new("RGB", (64, 64)), "PNG")).rgb.shape == (64, 64, 3)


@pytest.mark.parametrize(
    ("fmt", "shown"),
    [("GIF", "GIF"), ("BMP", "BMP"), ("TIFF", "TIFF"), ("PPM", "PPM"), ("ICO", "ICO")],
)
def test_unsupported_format(fmt: str, shown: str) -> None:
    data = to_bytes(Image.fromarray(upright()), fmt)
    err = error_of(data, name=f"scan.{fmt.lower()}")
    assert err.code == "unsupported_format"
    assert shown in str(err)
    assert f"scan.{fmt.lower()}" in str(err)
    assert "JPEG" in str(err)


def test_avif_brand_is_unsupported() -> None:
    data = struct.pack(">I", 28) + b"ftypavif" + b"\0\0\0\0" + b"avifmif1miaf" + bytes(200)
    err = error_of(data)
    assert err.code == "unsupported_format"
    assert "AVIF" in str(err)


def test_heic_without_plugin_says_convert(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ingest, "_HEIF_AVAILABLE", False)
    data = struct.pack(">I", 24) + b"ftypheic" + b"\0\0\0\0" + b"mif1heic" + bytes(500)
    err = error_of(data, name="IMG_0001.HEIC")
    assert err.code == "unsupported_format"
    assert "IMG_0001.HEIC" in str(err)
    assert "convert it to JPEG" in str(err)


def test_name_with_control_characters_stays_one_line() -> None:
    err = error_of(b"hello", name="evil\nname\r.jpg")
    assert err.code == "not_an_image"
    assert "evil?name?.jpg" in str(err)


def test_wrong_source_type_is_a_programming_error() -> None:
    with pytest.raises(TypeError, match="path or bytes"):
        load_image(io.BytesIO(b"x"))  # type: ignore[arg-type]


# --- orientation and mirroring ------------------------------------------------------------------

# What the camera stored for each EXIF orientation, given the upright picture (EXIF 2.3, 4.6.4).
STORED = {
    1: lambda u: u,
    2: lambda u: u[:, ::-1],
    3: lambda u: u[::-1, ::-1],
    4: lambda u: u[::-1],
    5: lambda u: u.transpose(1, 0, 2),
    6: lambda u: np.rot90(u, 1),  # displayed after turning 90 degrees clockwise
    7: lambda u: u[::-1, ::-1].transpose(1, 0, 2),
    8: lambda u: np.rot90(u, -1),
}


@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_png(orientation: int) -> None:
    truth = upright()
    stored = np.ascontiguousarray(STORED[orientation](truth))
    data = to_bytes(Image.fromarray(stored), "PNG", exif=exif_bytes(orientation))
    img = load_image(data)
    assert img.rgb.shape == (H, W, 3)
    np.testing.assert_array_equal(img.rgb, truth)


@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_jpeg(orientation: int) -> None:
    truth = upright()
    stored = np.ascontiguousarray(STORED[orientation](truth))
    data = to_bytes(Image.fromarray(stored), "JPEG", quality=98, exif=exif_bytes(orientation))
    img = load_image(data)
    assert img.rgb.shape == (H, W, 3)
    assert np.abs(img.rgb.astype(int) - truth).mean() < 3


def test_xmp_orientation_is_applied() -> None:
    truth = upright()
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    xmp = '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF><rdf:Description tiff:Orientation="6"/>'
    info.add_itxt("XML:com.adobe.xmp", xmp + "</rdf:RDF></x:xmpmeta>")
    data = to_bytes(Image.fromarray(np.rot90(truth, 1).copy()), "PNG", pnginfo=info)
    np.testing.assert_array_equal(load_image(data).rgb, truth)


@pytest.mark.parametrize("orientation", [1, 6, 7])
def test_mirrored_flips_once_after_orientation(orientation: int) -> None:
    truth = upright()
    stored = np.ascontiguousarray(STORED[orientation](truth))
    data = to_bytes(Image.fromarray(stored), "PNG", exif=exif_bytes(orientation))
    plain = load_image(data)
    img = load_image(data, mirrored=True)
    assert img.mirrored is True
    np.testing.assert_array_equal(img.rgb, truth[:, ::-1])
    np.testing.assert_array_equal(img.rgb, plain.rgb[:, ::-1])
    assert img.sha256 == plain.sha256 + ":mirrored"


def test_flip_horizontal_toggles() -> None:
    plain = load_image(to_bytes(Image.fromarray(upright()), "PNG"), name="a.png")
    flipped = flip_horizontal(plain)
    assert flipped.mirrored is True
    assert flipped.sha256 == plain.sha256 + ":mirrored"
    assert flipped.name == "a.png" and flipped.source_format == "PNG"
    np.testing.assert_array_equal(flipped.rgb, upright()[:, ::-1])
    back = flip_horizontal(flipped)
    assert back == LoadedImage(back.rgb, "a.png", plain.sha256, False, "PNG")
    np.testing.assert_array_equal(back.rgb, plain.rgb)
    mirrored = load_image(to_bytes(Image.fromarray(upright()), "PNG"), mirrored=True)
    unmirrored = flip_horizontal(mirrored)
    assert unmirrored.mirrored is False and unmirrored.sha256 == plain.sha256
    np.testing.assert_array_equal(unmirrored.rgb, plain.rgb)


# --- mode conversions ---------------------------------------------------------------------------


def assert_rgb8(img: LoadedImage, shape: tuple[int, int]) -> None:
    assert img.rgb.dtype == np.uint8
    assert img.rgb.shape == (*shape, 3)
    assert img.rgb.flags.c_contiguous


def test_grey_l() -> None:
    grey = np.full((70, 90), 100, np.uint8)
    grey[:, 45:] = 200
    img = load_image(to_bytes(Image.fromarray(grey, "L"), "PNG"))
    assert_rgb8(img, (70, 90))
    assert img.rgb[0, 0].tolist() == [100, 100, 100]
    assert img.rgb[0, 89].tolist() == [200, 200, 200]


def test_grey_alpha_la() -> None:
    la = np.zeros((70, 90, 2), np.uint8)
    la[..., 0] = 50
    la[:, :30, 1] = 0  # transparent -> white
    la[:, 30:60, 1] = 255  # opaque -> 50
    la[:, 60:, 1] = 128  # half -> (50*128 + 255*127 + 127) // 255 = 152
    img = load_image(to_bytes(Image.fromarray(la, "LA"), "PNG"))
    assert_rgb8(img, (70, 90))
    assert img.rgb[5, 5].tolist() == [255, 255, 255]
    assert img.rgb[5, 40].tolist() == [50, 50, 50]
    assert img.rgb[5, 70].tolist() == [152, 152, 152]


def test_rgba_composited_over_white() -> None:
    rgba = np.zeros((70, 90, 4), np.uint8)
    rgba[:, :30] = (10, 20, 30, 0)  # fully transparent: white, not the hidden colour
    rgba[:, 30:60] = (10, 20, 30, 255)
    rgba[:, 60:] = (200, 0, 0, 128)
    img = load_image(to_bytes(Image.fromarray(rgba, "RGBA"), "PNG"))
    assert_rgb8(img, (70, 90))
    assert img.rgb[0, 0].tolist() == [255, 255, 255]
    assert img.rgb[0, 40].tolist() == [10, 20, 30]
    assert img.rgb[0, 80].tolist() == [227, 127, 127]


def test_palette_without_and_with_transparency() -> None:
    pal = Image.new("P", (80, 70))
    pal.putpalette([255, 0, 0, 0, 128, 0, 0, 0, 255] + [0] * 759)
    pixels = np.zeros((70, 80), np.uint8)
    pixels[:, 40:] = 1
    pixels[35:, :] = 2
    pal.putdata(pixels.ravel().tolist())
    img = load_image(to_bytes(pal, "PNG"))
    assert_rgb8(img, (70, 80))
    assert img.rgb[0, 0].tolist() == [255, 0, 0]
    assert img.rgb[0, 79].tolist() == [0, 128, 0]
    assert img.rgb[69, 0].tolist() == [0, 0, 255]

    img = load_image(to_bytes(pal, "PNG", transparency=1))  # index 1 transparent
    assert img.rgb[0, 0].tolist() == [255, 0, 0]
    assert img.rgb[0, 79].tolist() == [255, 255, 255]
    assert img.rgb[69, 0].tolist() == [0, 0, 255]


def test_rgb_with_trns_colour_key() -> None:
    rgb = np.zeros((70, 80, 3), np.uint8)
    rgb[:, 40:] = (1, 2, 3)  # the transparent colour key
    img = load_image(to_bytes(Image.fromarray(rgb), "PNG", transparency=(1, 2, 3)))
    assert img.rgb[0, 0].tolist() == [0, 0, 0]
    assert img.rgb[0, 79].tolist() == [255, 255, 255]


def test_cmyk_jpeg() -> None:
    cmyk = Image.new("CMYK", (80, 70), (0, 255, 255, 0))  # red
    cmyk.paste((0, 0, 0, 0), (40, 0, 80, 70))  # white
    img = load_image(to_bytes(cmyk, "JPEG", quality=95))
    assert_rgb8(img, (70, 80))
    np.testing.assert_allclose(img.rgb[35, 10], [255, 0, 0], atol=6)
    np.testing.assert_allclose(img.rgb[35, 70], [255, 255, 255], atol=6)
    assert img.source_format == "JPEG"


def test_16bit_grey_png_scaled_not_clipped() -> None:
    grey = np.zeros((70, 90), np.uint16)
    grey[:, 30:60] = 32768
    grey[:, 60:] = 65535
    grey[0, 0] = 257 * 10
    data = to_bytes(Image.fromarray(grey), "PNG")
    with Image.open(io.BytesIO(data)) as check:
        assert check.mode == "I;16"
    img = load_image(data)
    assert_rgb8(img, (70, 90))
    assert img.rgb[0, 0].tolist() == [10, 10, 10]
    assert img.rgb[5, 5].tolist() == [0, 0, 0]
    assert img.rgb[5, 40].tolist() == [128, 128, 128]
    assert img.rgb[5, 80].tolist() == [255, 255, 255]


def test_16bit_rgb_png() -> None:
    rows = b""
    for _ in range(70):
        rows += (
            b"\0" + struct.pack(">HHH", 65535, 32768, 0) * 40 + struct.pack(">HHH", 0, 0, 0) * 40
        )
    img = load_image(raw_png(80, 70, 16, 2, rows))
    assert_rgb8(img, (70, 80))
    assert img.rgb[0, 0].tolist() == [255, 128, 0]
    assert img.rgb[0, 79].tolist() == [0, 0, 0]


@pytest.mark.parametrize("mode", ["I;16", "I;16B", "I;16L", "I"])
def test_wide_modes_to_rgb8(mode: str) -> None:
    values = np.zeros((2, 4), np.int64)
    values[0] = [0, 257, 32768, 65535]
    values[1] = [65535, 65535, 0, 0]
    dtype = {"I;16": "<u2", "I;16L": "<u2", "I;16B": ">u2", "I": "<i4"}[mode]
    im = Image.frombytes(mode, (4, 2), values.astype(dtype).tobytes())
    assert im.mode == mode
    rgb = ingest._to_rgb8(im, "x")
    assert rgb.dtype == np.uint8 and rgb.shape == (2, 4, 3)
    assert rgb[0, :, 0].tolist() == [0, 1, 128, 255]
    assert rgb[1, :, 1].tolist() == [255, 255, 0, 0]


def test_32bit_i_outside_16bit_range_uses_true_range() -> None:
    values = np.array([[-1000, 0, 1000, 3000]], "<i4")
    im = Image.frombytes("I", (4, 1), values.tobytes())
    assert ingest._to_rgb8(im, "x")[0, :, 0].tolist() == [0, 64, 128, 255]


def test_one_bit_png() -> None:
    bits = np.zeros((70, 80), bool)
    bits[:, 40:] = True
    img = load_image(to_bytes(Image.fromarray(bits), "PNG"))
    assert_rgb8(img, (70, 80))
    assert img.rgb[0, 0].tolist() == [0, 0, 0]
    assert img.rgb[0, 79].tolist() == [255, 255, 255]


def test_rgb_array_is_read_only() -> None:
    img = load_image(to_bytes(Image.fromarray(upright()), "PNG"))
    assert not img.rgb.flags.writeable
    with pytest.raises(ValueError):
        img.rgb[0, 0, 0] = 1


# --- formats, sources, hashing ------------------------------------------------------------------


def test_path_and_bytes_same_sha256(tmp_path: Path) -> None:
    data = to_bytes(Image.fromarray(upright()), "JPEG", quality=90)
    path = tmp_path / "face.jpg"
    path.write_bytes(data)
    from_path = load_image(path)
    from_str = load_image(str(path))
    from_bytes = load_image(data)
    assert from_path.sha256 == from_bytes.sha256 == hashlib.sha256(data).hexdigest()
    assert from_str.sha256 == from_path.sha256
    assert from_path.name == "face.jpg" and from_str.name == "face.jpg"
    assert from_bytes.name == "photo"
    assert load_image(data, name="upload.jpg").name == "upload.jpg"
    assert load_image(path, name="shown.jpg").name == "shown.jpg"
    np.testing.assert_array_equal(from_path.rgb, from_bytes.rgb)
    assert from_path.source_format == "JPEG" and from_path.mirrored is False
    assert load_image(bytearray(data)).sha256 == from_bytes.sha256


def test_webp_lossless_round_trip() -> None:
    img = load_image(to_bytes(Image.fromarray(upright()), "WEBP", lossless=True))
    assert img.source_format == "WEBP"
    np.testing.assert_array_equal(img.rgb, upright())


def test_webp_with_exif_orientation() -> None:
    data = to_bytes(
        Image.fromarray(np.rot90(upright(), 1).copy()),
        "WEBP",
        lossless=True,
        exif=exif_bytes(6),
    )
    np.testing.assert_array_equal(load_image(data).rgb, upright())


def test_mpo_counts_as_jpeg() -> None:
    im = Image.fromarray(upright())
    data = to_bytes(im, "MPO", save_all=True, append_images=[im], quality=98)
    with Image.open(io.BytesIO(data)) as check:
        assert check.format == "MPO"
    img = load_image(data)
    assert img.source_format == "JPEG"
    assert np.abs(img.rgb.astype(int) - upright()).mean() < 3


def heic_bytes(im: Image.Image, **params: object) -> bytes:
    if not ingest.heif_available():
        pytest.skip("pillow-heif is not installed")
    try:
        return to_bytes(im, "HEIF", **params)
    except Exception as exc:  # no HEVC encoder in this libheif build
        pytest.skip(f"pillow-heif cannot encode HEIC here: {exc}")


def test_heic_round_trip() -> None:
    blocks = np.zeros((80, 96, 3), np.uint8)
    blocks[:40, :48] = (220, 30, 30)
    blocks[40:, 48:] = (30, 30, 220)
    blocks[:40, 48:] = (240, 240, 240)
    data = heic_bytes(Image.fromarray(blocks), quality=95)
    img = load_image(data, name="IMG_1.HEIC")
    assert img.source_format == "HEIF"
    assert img.rgb.shape == (80, 96, 3)
    for y, x in [(20, 24), (60, 72), (20, 72), (60, 24)]:
        np.testing.assert_allclose(img.rgb[y, x], blocks[y, x], atol=12)


def test_heic_orientation_not_applied_twice() -> None:
    blocks = np.zeros((80, 96, 3), np.uint8)
    blocks[:40, :48] = (220, 30, 30)
    stored = np.rot90(blocks, 1).copy()
    data = heic_bytes(Image.fromarray(stored), quality=95, exif=exif_bytes(6))
    img = load_image(data)
    assert img.rgb.shape == (80, 96, 3)
    np.testing.assert_allclose(img.rgb[20, 24], [220, 30, 30], atol=12)
    np.testing.assert_allclose(img.rgb[60, 72], [0, 0, 0], atol=12)


def test_truncated_heic() -> None:
    noisy = np.random.default_rng(3).integers(0, 256, (128, 128, 3), dtype=np.uint8)
    data = heic_bytes(Image.fromarray(noisy), quality=90)
    err = error_of(data[: len(data) // 2])
    assert err.code == "truncated_image"


# --- exports ------------------------------------------------------------------------------------

METADATA_CHUNKS = {b"eXIf", b"tEXt", b"iTXt", b"zTXt", b"tIME", b"pHYs", b"iCCP"}


def test_encode_png_round_trip_without_metadata() -> None:
    data = to_bytes(
        Image.fromarray(upright()),
        "JPEG",
        quality=95,
        exif=exif_bytes(1, Make="PhoneCo", Model="X1", DateTime="2024:01:02 03:04:05"),
    )
    with Image.open(io.BytesIO(data)) as check:
        assert check.getexif()[0x010F] == "PhoneCo"
    img = load_image(data)
    png = encode_png(img.rgb)
    kinds = png_chunk_types(png)
    assert kinds[0] == b"IHDR" and kinds[-1] == b"IEND"
    assert set(kinds) == {b"IHDR", b"IDAT", b"IEND"}
    assert not METADATA_CHUNKS & set(kinds)
    assert b"PhoneCo" not in png
    with Image.open(io.BytesIO(png)) as back:
        assert back.mode == "RGB"
        np.testing.assert_array_equal(np.asarray(back), img.rgb)


def test_encode_png_of_png_with_text_and_exif() -> None:
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Comment", "patient 42")
    info.add_itxt("Author", "Dr X")
    data = to_bytes(Image.fromarray(upright()), "PNG", pnginfo=info, exif=exif_bytes(1, Make="Y"))
    assert {b"tEXt", b"iTXt", b"eXIf"} <= set(png_chunk_types(data))
    png = encode_png(load_image(data).rgb)
    assert set(png_chunk_types(png)) == {b"IHDR", b"IDAT", b"IEND"}
    assert b"patient 42" not in png


def test_encode_png_rejects_wrong_arrays() -> None:
    with pytest.raises(ValueError, match="uint8"):
        encode_png(np.zeros((4, 4, 3), np.float32))
    with pytest.raises(ValueError, match="H, W, 3"):
        encode_png(np.zeros((4, 4), np.uint8))


# --- hygiene ------------------------------------------------------------------------------------


def open_fds() -> set[str]:
    return set(os.listdir("/proc/self/fd"))


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc")
def test_no_file_handle_left_open_and_nothing_written(tmp_path: Path) -> None:
    good = tmp_path / "good.png"
    good.write_bytes(to_bytes(Image.fromarray(upright()), "PNG"))
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(to_bytes(Image.fromarray(upright()), "JPEG")[:300])
    gif = tmp_path / "anim.gif"
    gif.write_bytes(to_bytes(Image.fromarray(upright()), "GIF"))
    before_files = sorted(tmp_path.iterdir())
    before = open_fds()
    load_image(good)
    load_image(good, mirrored=True)
    for bad in (cut, gif, tmp_path / "missing.png"):
        with pytest.raises(InputError):
            load_image(bad)
    assert open_fds() <= before
    assert sorted(tmp_path.iterdir()) == before_files


def test_large_phone_jpeg_is_decoded_at_working_resolution():
    """A 12-megapixel JPEG is decoded at half size (the decoder's own scaling); smaller ones are
    untouched, so every other test sees exact pixels."""
    big = Image.new("RGB", (4200, 3000), (200, 120, 90))
    buf = io.BytesIO()
    big.save(buf, format="JPEG", quality=90)
    img = load_image(buf.getvalue())
    assert img.rgb.shape == (1500, 2100, 3) and img.decode_scale == 0.5
    small = Image.new("RGB", (4000, 3000), (200, 120, 90))
    buf = io.BytesIO()
    small.save(buf, format="JPEG", quality=90)
    same = load_image(buf.getvalue())
    assert same.rgb.shape == (3000, 4000, 3) and same.decode_scale == 1.0
