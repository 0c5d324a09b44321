"""Contours refined on the photo itself, one module each: irises (the scale and the pupils'
heights), brows, lids, mouth corners and the jaw outline.

Every refinement has one shape: a `PhotoFrame` (the photo, its landmarks, measuring frame and
scale) in, an `Estimate` out: how far the photo moves the patient's left and right points from
the face model's (MediaPipe's), the uncertainty of their difference, how much the image decided
and, where it decided less than fully, why. Left and right are treated identically, so a
mirrored photo gives mirrored estimates, and no step picks between rival readings or switches at
a gate, so a slightly different photo of the same face moves the answer a little.
"""

from .brows import BROW_POINTS, BrowReading, brow_xs, read_brows
from .estimate import Estimate, blend, chain_posteriors, ramp, weighted_spread
from .frame import (
    BROW_LOWER,
    BROW_UPPER,
    CANTHUS_LATERAL,
    CANTHUS_MEDIAL,
    LID_LOWER,
    LID_UPPER,
    SIDES,
    Frame,
    PhotoFrame,
    chain_at,
    frame_from_pupils,
)
from .iris import IrisFit, fit_iris, read_eye_heights
from .jaw import JAW_POINT, OVAL_SIDE, fit_jaw_outline, read_jaw
from .lids import fit_lid, read_lids
from .mouth import CORNER, fit_mouth_corner, read_mouth_corners
from .profiles import to_gray

__all__ = [
    "BROW_LOWER",
    "BROW_POINTS",
    "BROW_UPPER",
    "CANTHUS_LATERAL",
    "CANTHUS_MEDIAL",
    "CORNER",
    "JAW_POINT",
    "LID_LOWER",
    "LID_UPPER",
    "OVAL_SIDE",
    "SIDES",
    "BrowReading",
    "Estimate",
    "Frame",
    "IrisFit",
    "PhotoFrame",
    "blend",
    "brow_xs",
    "chain_at",
    "chain_posteriors",
    "fit_iris",
    "fit_jaw_outline",
    "fit_lid",
    "fit_mouth_corner",
    "frame_from_pupils",
    "ramp",
    "read_brows",
    "read_eye_heights",
    "read_jaw",
    "read_lids",
    "read_mouth_corners",
    "to_gray",
    "weighted_spread",
]
