"""What a second photo of the same face brings: re-encoding, a different distance, exposure,
sensor noise, focus, framing and a little head roll, applied to a real photo's pixels.

Two sets. `TUNING` is what the measurement's uncertainty scale was set on; `HELD_OUT` uses other
kinds and sizes of change and is used only to check that the methods and the uncertainty carry
over to changes they were not set on (the repeatability tests and `make bench` report both).
"""

from __future__ import annotations

import io
from collections.abc import Callable

import cv2
import numpy as np
from PIL import Image

Retake = Callable[[np.ndarray], np.ndarray]


def jpeg(quality: int) -> Retake:
    """Re-saved as JPEG at `quality` (4:2:0 chroma, as cameras and messengers save)."""

    def apply(rgb: np.ndarray) -> np.ndarray:
        buf = io.BytesIO()
        Image.fromarray(rgb).save(buf, format="JPEG", quality=quality)
        return np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGB"))

    return apply


def rescale(factor: float) -> Retake:
    """Taken from a little further away (factor < 1) or closer (> 1): resampled by `factor`."""

    def apply(rgb: np.ndarray) -> np.ndarray:
        h, w = rgb.shape[:2]
        size = (round(w * factor), round(h * factor))
        interp = cv2.INTER_AREA if factor < 1 else cv2.INTER_CUBIC
        return cv2.resize(rgb, size, interpolation=interp)

    return apply


def exposure(gain: float, gamma: float = 1.0) -> Retake:
    """Brighter or darker (`gain` on linear-ish values, clipped) and a different tone curve."""

    def apply(rgb: np.ndarray) -> np.ndarray:
        v = (rgb.astype(np.float32) / 255.0) ** gamma * gain
        return (np.clip(v, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)

    return apply


def noise(sigma: float, seed: int = 0) -> Retake:
    """Sensor noise: independent Gaussian noise of `sigma` grey levels on every channel."""

    def apply(rgb: np.ndarray) -> np.ndarray:
        n = np.random.default_rng(seed).normal(0.0, sigma, rgb.shape)
        return np.clip(rgb + n, 0, 255).astype(np.uint8)

    return apply


def blur(sigma: float) -> Retake:
    """Slightly out of focus: a Gaussian blur of `sigma` pixels."""

    def apply(rgb: np.ndarray) -> np.ndarray:
        return cv2.GaussianBlur(rgb, (0, 0), sigma)

    return apply


def roll(degrees: float) -> Retake:
    """The head (or the camera) rolled by `degrees` about the image centre, edges replicated."""

    def apply(rgb: np.ndarray) -> np.ndarray:
        h, w = rgb.shape[:2]
        m = cv2.getRotationMatrix2D(((w - 1) / 2.0, (h - 1) / 2.0), degrees, 1.0)
        return cv2.warpAffine(
            rgb, m, (w, h), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE
        )

    return apply


def reframe(left: float, top: float) -> Retake:
    """Framed differently: `left` and `top` fractions of the width and height cut off (a
    negative fraction adds that much edge-replicated border instead)."""

    def apply(rgb: np.ndarray) -> np.ndarray:
        h, w = rgb.shape[:2]
        dx, dy = round(left * w), round(top * h)
        out = rgb[max(dy, 0) :, max(dx, 0) :]
        return cv2.copyMakeBorder(
            out, max(-dy, 0), 0, max(-dx, 0), 0, borderType=cv2.BORDER_REPLICATE
        )

    return apply


def white_balance(red: float, blue: float) -> Retake:
    """Another light source: the red and blue channels scaled by `red` and `blue`."""

    def apply(rgb: np.ndarray) -> np.ndarray:
        v = rgb.astype(np.float32) * np.array([red, 1.0, blue], dtype=np.float32)
        return np.clip(v + 0.5, 0, 255).astype(np.uint8)

    return apply


def chain(*steps: Retake) -> Retake:
    """Several changes one after the other (a real re-take brings more than one)."""

    def apply(rgb: np.ndarray) -> np.ndarray:
        for step in steps:
            rgb = step(rgb)
        return rgb

    return apply


TUNING: dict[str, Retake] = {
    "jpeg q95": jpeg(95),
    "jpeg q85": jpeg(85),
    "scaled 0.85": rescale(0.85),
    "8% brighter": exposure(1.08),
    "gamma 0.9": exposure(1.0, 0.9),
    "noise 2": noise(2.0),
    "blur 0.7 px": blur(0.7),
    "rolled 2°": roll(2.0),
    "reframed 5%": reframe(0.05, 0.04),
}

HELD_OUT: dict[str, Retake] = {
    "jpeg q75": jpeg(75),
    "scaled 1.2": rescale(1.2),
    "8% darker": exposure(0.92),
    "warmer light": white_balance(1.06, 0.94),
    "rolled -3°": roll(-3.0),
    "padded 5%": reframe(-0.05, -0.03),
    "re-take (scaled 0.9, brighter, rolled 1°, jpeg q90)": chain(
        rescale(0.9), exposure(1.05, 0.95), roll(1.0), jpeg(90)
    ),
}
