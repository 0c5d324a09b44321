"""Draw docs/measurements.png: the measurement points on the public-domain demo face, from the
current analysis (run `make figure` after changing how a point is found).

The figure is the README's definition diagram: pupils and the inter-pupil line, the brow's upper
margin above the medial canthus, the pupil and the lateral canthus (with its height line down to
the inter-pupil line), the lid margins at the pupil, the mouth corners to the lower-lip midline,
the mouth's midline point and the jaw angles.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from simulation.analysis import Analysis, analyze  # noqa: E402

OUT = ROOT / "docs" / "measurements.png"
WIDTH = 640
LEGEND = (
    "cyan: pupils and inter-pupil line   red: brow margin (medial, mid-pupil, lateral)\n"
    "green: upper/lower lid margin   yellow: mouth corners to lower-lip midline   "
    "orange: mouth midline   magenta: jaw"
)
COLOURS = {
    "pupil": (0, 230, 230),
    "brow": (230, 30, 30),
    "lid": (30, 200, 30),
    "corner": (240, 210, 0),
    "mouth": (255, 140, 0),
    "jaw": (230, 0, 230),
}


def draw(analysis: Analysis) -> Image.Image:
    """The demo photo cropped to the face, scaled to WIDTH, with every measurement point."""
    f, mm = analysis.frame, analysis.mm_per_px
    px = {name: f.to_image(p / mm) for name, p in analysis.points_mm.items()}
    lm = analysis.landmarks_px[:, :2]
    lo, hi = lm.min(axis=0), lm.max(axis=0)
    pad = 0.12 * (hi - lo)
    box = np.concatenate([np.maximum(lo - pad, 0), hi + pad]).round().astype(int)
    scale = WIDTH / (box[2] - box[0])
    img = Image.fromarray(analysis.image.rgb).crop(tuple(box))
    img = img.resize((WIDTH, round((box[3] - box[1]) * scale)), Image.LANCZOS)
    pen = ImageDraw.Draw(img)

    def at(name: str) -> tuple[float, float]:
        x, y = (px[name] - box[:2]) * scale
        return float(x), float(y)

    def dot(name: str, colour: tuple[int, int, int]) -> None:
        x, y = at(name)
        pen.ellipse((x - 4, y - 4, x + 4, y + 4), outline=colour, width=2)

    pen.line([at("pupil_right"), at("pupil_left")], fill=COLOURS["pupil"], width=1)
    for side in ("right", "left"):
        for part in ("medial", "mid", "lateral"):
            name = f"brow_{part}_{side}"
            foot = f.to_image(np.array([analysis.points_mm[name][0], 0.0]) / mm)
            x, y = at(name)
            fx, fy = (foot - box[:2]) * scale
            pen.line([(x, y), (float(fx), float(fy))], fill=COLOURS["brow"], width=1)
            dot(name, COLOURS["brow"])
        dot(f"lid_upper_{side}", COLOURS["lid"])
        dot(f"lid_lower_{side}", COLOURS["lid"])
        dot(f"pupil_{side}", COLOURS["pupil"])
        pen.line([at(f"corner_{side}"), at("lip_lower_mid")], fill=COLOURS["corner"], width=1)
        dot(f"corner_{side}", COLOURS["corner"])
        dot(f"jaw_{side}", COLOURS["jaw"])
    dot("lip_lower_mid", COLOURS["corner"])
    dot("stomion", COLOURS["mouth"])
    pen.multiline_text((6, 4), LEGEND, fill=(255, 255, 255), spacing=2)
    return img


def main() -> int:
    analysis = analyze(ROOT / "simulation" / "demo" / "grace_hopper.jpg").analyses[0]
    draw(analysis).save(OUT, optimize=True)
    print(f"wrote {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
