"""Photo ingest: any accepted photo (path or bytes) becomes an upright 8-bit RGB array.

Everything the user can get wrong about a photo (missing, empty, not an image, truncated,
too large or small, an unsupported format) becomes an `InputError` with a stable `code` and a
one-line message, never a traceback. Nothing is written anywhere and no file handle stays open:
the file is read once into memory, hashed (the cache key) and decoded from there.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import stat
import struct
import warnings
import zlib
from dataclasses import dataclass, replace
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

from simulation.errors import InputError

try:  # HEIC/HEIF support is optional: without it HEIC photos get a clear "convert" message.
    import pillow_heif

    pillow_heif.register_heif_opener()
    _HEIF_AVAILABLE = True
except Exception:  # pragma: no cover - depends on the installed wheels
    _HEIF_AVAILABLE = False

MAX_PIXELS = 40_000_000
"""Largest accepted photo (40 megapixels): larger ones cost memory and time for no accuracy."""

MIN_SIDE = 64
"""Smallest accepted side in pixels: below this no face can be measured."""

WORKING_SIDE = 2048
"""JPEGs at least twice this long are decoded at half size or less (the JPEG decoder's own
scaling, so it is faster than decoding and resizing): a 12-megapixel phone photo still gives a
30-pixel iris radius, far above what the refinement needs, at a quarter of the decode time.
Millimetre figures do not depend on resolution (the iris sets the scale)."""

MAX_FILE_BYTES = 256 * 1024 * 1024
"""Largest file read into memory; a 40-megapixel photo is far smaller."""

MIRRORED_SUFFIX = ":mirrored"
"""Appended to `LoadedImage.sha256` for the mirrored image, so both never share a cache entry."""

ACCEPTED = "JPEG, PNG, WebP or HEIC"

# Pillow format ids we decode, and the name we report for each (MPO is a multi-picture JPEG).
_FORMAT_NAMES = {"JPEG": "JPEG", "MPO": "JPEG", "PNG": "PNG", "WEBP": "WEBP", "HEIF": "HEIF"}

# ISO base media "ftyp" brands: HEIF still images (HEVC-coded) and AVIF.
_HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs"}
_HEIF_BRANDS |= {b"mif1", b"msf1"}
_AVIF_BRANDS = {b"avif", b"avis"}

# What Pillow raises for damaged or cut-off data, while opening or decoding.
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, IndexError, struct.error, zlib.error)


@dataclass(frozen=True)
class LoadedImage:
    """A decoded photo, ready for the landmarker.

    `rgb` is a read-only (H, W, 3) uint8 array, upright (EXIF orientation applied) and flipped
    left-right once if `mirrored`. `sha256` is the hex digest of the original source bytes
    (plus ":mirrored" when mirrored) so it can key caches of everything derived from the image.
    """

    rgb: np.ndarray
    name: str
    sha256: str
    mirrored: bool
    source_format: str
    decode_scale: float = 1.0  # these pixels per pixel of the stored photo (0.5: decoded at half)


def load_image(
    source: str | os.PathLike[str] | bytes, *, name: str | None = None, mirrored: bool = False
) -> LoadedImage:
    """Read and decode a photo from a path or from bytes into an upright 8-bit RGB image.

    `name` labels the photo in messages (default: the file name, or "photo" for bytes).
    `mirrored=True` marks a selfie: it is flipped left-right once, after EXIF orientation,
    so that the patient's right side is on the image's left like in any unmirrored photo.
    Raises `InputError` (one-line message) for every problem the user can fix.
    """
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
        label = _printable(name if name is not None else "photo")
    elif isinstance(source, str | os.PathLike):
        path = Path(source)
        label = _printable(name if name is not None else (path.name or str(path)))
        data = _read_file(path, label)
    else:
        raise TypeError(
            f"load_image() takes a path or bytes, not {type(source).__name__}; "
            "for a file object pass its .read() or .getvalue()"
        )

    if not data:
        raise InputError("empty_file", f"{label} is empty (0 bytes): choose a {ACCEPTED} photo.")
    if len(data) > MAX_FILE_BYTES:
        raise InputError(
            "too_large",
            f"{label} is {len(data) / 2**20:.0f} MB, larger than any photo this tool accepts "
            f"({MAX_FILE_BYTES // 2**20} MB): use a smaller {ACCEPTED} photo.",
        )

    digest = hashlib.sha256(data).hexdigest()
    rgb, fmt, scale = _decode(data, label)
    rgb = mirror_pixels(rgb) if mirrored else np.ascontiguousarray(rgb)
    rgb.flags.writeable = False
    return LoadedImage(
        rgb=rgb,
        name=label,
        sha256=digest + MIRRORED_SUFFIX if mirrored else digest,
        mirrored=mirrored,
        source_format=fmt,
        decode_scale=scale,
    )


def mirror_pixels(rgb: np.ndarray) -> np.ndarray:
    """A contiguous left-right mirrored copy of an (H, W, 3) uint8 image.

    OpenCV (installed with MediaPipe) flips a 3-MP photo in under 1 ms; NumPy's strided
    `rgb[:, ::-1]` copy takes 15-20 ms, a third of a whole analysis (measured)."""
    return cv2.flip(np.ascontiguousarray(rgb), 1)


def flip_horizontal(img: LoadedImage) -> LoadedImage:
    """The mirror image of `img`, so a photo can be measured together with its mirror.

    Toggles `mirrored` and the ":mirrored" suffix of `sha256`, so flipping twice gives back
    an image equal to the original, with the original cache key.
    """
    rgb = mirror_pixels(img.rgb)
    rgb.flags.writeable = False
    if img.sha256.endswith(MIRRORED_SUFFIX):
        sha = img.sha256[: -len(MIRRORED_SUFFIX)]
    else:
        sha = img.sha256 + MIRRORED_SUFFIX
    return replace(img, rgb=rgb, sha256=sha, mirrored=not img.mirrored)


def encode_png(rgb: np.ndarray) -> bytes:
    """PNG bytes of an (H, W, 3) uint8 image with no metadata at all, for exports.

    No EXIF, no text chunks, no colour or resolution chunks: an export must not carry the
    patient's camera, location or date data from the source photo.
    """
    arr = np.asarray(rgb)
    if arr.ndim != 3 or arr.shape[2] != 3 or arr.dtype != np.uint8:
        raise ValueError(
            f"encode_png() needs an (H, W, 3) uint8 array, got {arr.shape} {arr.dtype}"
        )
    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(arr), "RGB").save(buf, format="PNG", compress_level=6)
    return buf.getvalue()


def heif_available() -> bool:
    """Whether HEIC/HEIF photos can be decoded (pillow-heif is installed and working)."""
    return _HEIF_AVAILABLE


# --- internals ---------------------------------------------------------------------------------


def _printable(text: str) -> str:
    """`text` with control characters replaced, so a message always stays on one line."""
    return "".join(ch if ch.isprintable() else "?" for ch in text)


def _read_file(path: Path, label: str) -> bytes:
    """The whole file, read with a handle that is closed at once; fixable problems as InputError."""
    shown = _printable(str(path))
    try:
        st = path.stat()
    except FileNotFoundError:
        raise InputError(
            "file_not_found", f"{shown} does not exist: check the path and file name."
        ) from None
    except OSError as exc:
        raise InputError(
            "file_not_readable", f"{shown} cannot be read ({exc.strerror}): check the path."
        ) from None
    if stat.S_ISDIR(st.st_mode):
        raise InputError("not_a_file", f"{shown} is a folder, not a file: give a photo file.")
    if not stat.S_ISREG(st.st_mode):  # a FIFO or device could block or never end
        raise InputError("not_a_file", f"{shown} is not a regular file: give a photo file.")
    if st.st_size > MAX_FILE_BYTES:
        raise InputError(
            "too_large",
            f"{label} is {st.st_size / 2**20:.0f} MB, larger than any photo this tool accepts "
            f"({MAX_FILE_BYTES // 2**20} MB): use a smaller {ACCEPTED} photo.",
        )
    try:
        with path.open("rb") as fh:
            return fh.read()
    except OSError as exc:
        raise InputError(
            "file_not_readable",
            f"{shown} cannot be read ({exc.strerror or exc}): check its permissions.",
        ) from None


def _sniff(data: bytes) -> str | None:
    """The accepted-or-known format the file's signature claims, even if the rest is damaged."""
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    if data[4:8] == b"ftyp":
        brand = data[8:12]
        if brand in _HEIF_BRANDS:
            return "HEIF"
        if brand in _AVIF_BRANDS:
            return "AVIF"
    return None


def _accepted_formats() -> tuple[str, ...]:
    """Pillow format ids we let Pillow decode."""
    ids = ("JPEG", "PNG", "WEBP")  # MPO has no opener of its own: JPEG returns it
    return (*ids, "HEIF") if _HEIF_AVAILABLE else ids


def _open(data: bytes, formats: tuple[str, ...] | None) -> Image.Image:
    """Image.open on in-memory bytes (header only), without Pillow's bomb warning on stderr."""
    with warnings.catch_warnings():
        # Pillow warns above ~89 MP; we refuse anything over 40 MP with our own message anyway.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        return Image.open(io.BytesIO(data), formats=formats)


def _too_large(label: str, width: int | None = None, height: int | None = None) -> InputError:
    size = f" ({width} x {height} = {width * height / 1e6:.1f} megapixels)" if width else ""
    return InputError(
        "too_large",
        f"{label} is too large{size}; the limit is {MAX_PIXELS // 1_000_000} megapixels: "
        "resize the photo and try again.",
    )


def _unsupported(label: str, fmt: str) -> InputError:
    if fmt == "HEIF":
        return InputError(
            "unsupported_format",
            f"{label} is a HEIC/HEIF photo, which cannot be read here (pillow-heif is not "
            "installed): convert it to JPEG and try again.",
        )
    return InputError(
        "unsupported_format",
        f"{label} is in {fmt} format, which is not supported: convert it to {ACCEPTED}.",
    )


def _not_an_image(label: str) -> InputError:
    return InputError(
        "not_an_image",
        f"{label} is not an image this tool can read: choose a {ACCEPTED} photo.",
    )


def _truncated(label: str, fmt: str) -> InputError:
    return InputError(
        "truncated_image",
        f"{label} is a damaged or truncated {fmt} file (its data is cut off or corrupt): "
        "copy or export the photo again.",
    )


def _decode(data: bytes, label: str) -> tuple[np.ndarray, str, float]:
    """Decode `data` to an upright (H, W, 3) uint8 array; returns it, the reported format and the
    decode scale (below 1 when a very large JPEG was decoded at reduced size)."""
    claimed = _sniff(data)
    if claimed == "HEIF" and not _HEIF_AVAILABLE:
        raise _unsupported(label, "HEIF")
    try:
        im = _open(data, _accepted_formats())
    except Image.DecompressionBombError:
        raise _too_large(label) from None
    except (UnidentifiedImageError, *_DECODE_ERRORS):
        if claimed in _FORMAT_NAMES:
            raise _truncated(label, claimed) from None
        raise _other_format_error(data, label) from None

    with im:
        fmt = _FORMAT_NAMES.get(im.format or "", im.format or "unknown")
        width, height = im.size
        if width * height > MAX_PIXELS:  # before any pixel is decoded
            raise _too_large(label, width, height)
        if min(width, height) < MIN_SIDE:
            raise InputError(
                "too_small",
                f"{label} is only {width} x {height} pixels; at least {MIN_SIDE} pixels a side "
                "are needed (a face needs several hundred): use a larger photo.",
            )
        if ImageFile.LOAD_TRUNCATED_IMAGES:  # pragma: no cover - someone changed Pillow's default
            raise RuntimeError("PIL.ImageFile.LOAD_TRUNCATED_IMAGES must stay False")
        if fmt == "PNG" and not _png_chunks_intact(data):
            raise _truncated(label, fmt)  # Pillow does not check the CRC of pixel data
        if fmt == "JPEG" and max(width, height) >= 2 * WORKING_SIDE:
            im.draft("RGB", (width // 2, height // 2))
        try:
            im.load()  # really decode: a truncated file fails here, not later
        except Image.DecompressionBombError:
            raise _too_large(label, width, height) from None
        except _DECODE_ERRORS:
            raise _truncated(label, fmt) from None
        # Unreadable EXIF gives no orientation we could trust: keep the image as stored.
        with contextlib.suppress(
            SyntaxError, ValueError, KeyError, TypeError, struct.error, OSError
        ):
            ImageOps.exif_transpose(im, in_place=True)
        return _to_rgb8(im, label), fmt, max(im.size) / max(width, height)


def _png_chunks_intact(data: bytes) -> bool:
    """Whether every PNG chunk is complete with a correct CRC, up to and including IEND."""
    pos, end = 8, len(data)
    while pos + 12 <= end:
        (length,) = struct.unpack_from(">I", data, pos)
        stop = pos + 8 + length
        if stop + 4 > end:
            return False
        body = memoryview(data)[pos + 4 : stop]
        if zlib.crc32(body) != struct.unpack_from(">I", data, stop)[0]:
            return False
        if data[pos + 4 : pos + 8] == b"IEND":
            return True
        pos = stop + 4
    return False


def _other_format_error(data: bytes, label: str) -> InputError:
    """Pillow could not open `data` as an accepted format: name the format it is, if any."""
    claimed = _sniff(data)
    if claimed is not None:  # e.g. AVIF, which this Pillow may not even recognise
        return _unsupported(label, claimed)
    try:
        with _open(data, None) as other:
            fmt = other.format
    except Image.DecompressionBombError:
        return _too_large(label)
    except (UnidentifiedImageError, *_DECODE_ERRORS):
        return _not_an_image(label)
    return _unsupported(label, fmt) if fmt else _not_an_image(label)


def _to_rgb8(im: Image.Image, label: str) -> np.ndarray:
    """Any decoded mode as (H, W, 3) uint8: alpha over white, 16-bit scaled (not clipped)."""
    mode = im.mode
    if mode.startswith("I;16") or mode in ("I", "F"):  # Pillow's convert() would clip at 255
        return _grey_to_rgb(_wide_to_uint8(np.asarray(im)))
    if im.has_transparency_data:  # alpha, palette alpha, or a tRNS colour key
        return _over_white(np.asarray(im.convert("RGBA")))
    if mode == "RGB":
        return np.asarray(im)
    try:
        return np.asarray(im.convert("RGB"))
    except ValueError:  # e.g. LAB, which Pillow cannot convert to RGB
        raise InputError(
            "unsupported_format",
            f"{label} uses the {mode} colour mode, which is not supported: "
            f"save it as an RGB {ACCEPTED} photo.",
        ) from None


def _wide_to_uint8(values: np.ndarray) -> np.ndarray:
    """16/32-bit or float grey to uint8: 0..65535 scales by 1/257, anything else by its range."""
    arr = values.astype(np.float64) if values.dtype.kind == "f" else values.astype(np.int64)
    lo, hi = (arr.min(), arr.max()) if arr.size else (0, 0)
    if arr.dtype.kind == "i" and lo >= 0 and hi <= 65535:
        return ((arr + 128) // 257).astype(np.uint8)
    if hi <= lo:
        return np.full(arr.shape, int(np.clip(np.nan_to_num(lo) / 257, 0, 255)), np.uint8)
    scaled = (arr - lo) * (255.0 / (hi - lo))
    return np.rint(np.nan_to_num(scaled)).astype(np.uint8)


def _grey_to_rgb(grey: np.ndarray) -> np.ndarray:
    return np.repeat(grey[:, :, None], 3, axis=2)


def _over_white(rgba: np.ndarray) -> np.ndarray:
    """Composite straight (non-premultiplied) RGBA over white, rounding to nearest."""
    alpha = rgba[:, :, 3:4]
    if alpha.min() == 255:
        return rgba[:, :, :3]
    a = alpha.astype(np.uint32)
    rgb = rgba[:, :, :3].astype(np.uint32)
    return ((rgb * a + 255 * (255 - a) + 127) // 255).astype(np.uint8)
