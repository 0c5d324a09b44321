"""The suggested plan is a property of the face, not of one photo file: a re-saved or slightly
re-exposed photo keeps the balanced plan within 1 U on every muscle and 2 U in total, and a
mirrored photo gets the mirrored plan within the same tolerance (issue 12)."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from functools import cache

import pytest

from simulation.analysis import analyze_image
from simulation.atlas import mirror_id
from simulation.prediction import build_subject
from simulation.suggest import suggest
from tests.conftest import analysed, frontal_photos, photo_id
from tests.retake import exposure, jpeg

pytestmark = pytest.mark.real_faces
RETAKES = {"re-saved as JPEG q95": jpeg(95), "8% brighter": exposure(1.08)}


def _units_by_muscle(plan, mirrored: bool = False) -> dict[str, float]:
    """The balanced plan's units per target muscle (the mirror image's named as the patient's
    own sides of the original photo when `mirrored`)."""
    out: dict[str, float] = defaultdict(float)
    if plan is None:
        return out
    for inj in plan.plan.injections:
        muscle = inj.target or "point"
        out[mirror_id(muscle) if mirrored else muscle] += inj.units
    return out


@cache
def _balanced(path: str, variant: str):
    base = analysed(path)
    if variant == "original":
        a = base
    elif variant == "mirrored":
        a = analysed(path, mirrored=True)
    else:
        a = analyze_image(dataclasses.replace(base.image, rgb=RETAKES[variant](base.image.rgb)))
    return suggest(build_subject(a)).by_name("balanced")


def _assert_same_plan(a: dict[str, float], b: dict[str, float], what: str) -> None:
    for m in set(a) | set(b):
        assert abs(a.get(m, 0.0) - b.get(m, 0.0)) <= 1.0, f"{what}: {m} {a.get(m)} vs {b.get(m)}"
    assert abs(sum(a.values()) - sum(b.values())) <= 2.0, f"{what}: total"


# Known misses, strict so that a fix shows up (issue 12 stays open for them): the measurement
# now moves little on these photos, but the suggestion's search still moves units between
# muscles whose doses do about the same (a frontalis point or a corrugator, one side's
# depressor or the other's elevator) when a difference changes by a tenth of a millimetre.
UNSTABLE = {
    ("05_alex_lacamoire", "re-saved as JPEG q95"),
    ("07_shea_whigham", "re-saved as JPEG q95"),
    ("07_shea_whigham", "8% brighter"),
    ("10_jennifer_aniston", "8% brighter"),
    ("12_mark_zuckerberg", "8% brighter"),
    ("13_elon_musk", "re-saved as JPEG q95"),
    ("13_elon_musk", "8% brighter"),
    ("17_matt_damon", "re-saved as JPEG q95"),
    ("20_jack_dorsey", "8% brighter"),
    ("22_lenna", "re-saved as JPEG q95"),
    ("22_lenna", "8% brighter"),
}


@pytest.mark.parametrize("variant", [*RETAKES, "mirrored"])
@pytest.mark.parametrize("path", frontal_photos(), ids=photo_id)
def test_balanced_plan_survives_a_resaved_re_exposed_or_mirrored_photo(path, variant, request):
    if (path.stem, variant) in UNSTABLE:
        reason = "the suggestion's search moves units between near-equivalent muscles"
        request.applymarker(pytest.mark.xfail(reason=reason, strict=True))
    original = _units_by_muscle(_balanced(str(path), "original"))
    other = _units_by_muscle(_balanced(str(path), variant), mirrored=variant == "mirrored")
    _assert_same_plan(original, other, f"{path.stem}, {variant}")


def test_a_difference_inside_its_noise_is_not_treated():
    """A face that gets a plan gets none once every difference is inside its measurement
    noise, and the reason says why (rather than a plan that a re-saved photo would change)."""
    treated = [p for p in frontal_photos() if _balanced(str(p), "original") is not None]
    if not treated:
        pytest.skip("needs the real photos in ../shared/faces/frontal")
    base = analysed(str(treated[0]))
    noisy = {n: dataclasses.replace(m, diff_sd=abs(m.diff) + 1.0) for n, m in base.metrics.items()}
    sug = suggest(build_subject(dataclasses.replace(base, metrics=noisy)))
    assert len(sug) == 0
    assert "within this photo's measurement noise" in sug.reason
