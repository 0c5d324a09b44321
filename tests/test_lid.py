"""The pretarsal orbicularis and the lid (issue 16): a pretarsal microdose opens that eye by the
published amount, on that side only, leaves the brow where it is, grows with the dose and wears
off; a blepharospasm-size dose is flagged; a narrower eye is attributed to, and treated at, its
pretarsal orbicularis."""

from __future__ import annotations

import dataclasses
from functools import cache

import numpy as np
import pytest

from simulation.analysis import analyze_image
from simulation.attribution import attribute
from simulation.prediction import (
    LID_CLOSURE_WARN_UNITS,
    build_subject,
    predict,
    pretarsal_units,
)
from simulation.resources import load_json
from simulation.suggest import suggest, suggestion_to_json
from simulation.validity import compare
from simulation.validity.lid import EFFECTS, UPPER_2U
from tests.conftest import SAMPLE, analysed, shared
from tests.test_simulation import _faces, change, plan, subject_for
from tests.test_suggest import imposed
from tests.warp import drop_upper_lid, raise_lower_lid

BY_ID = {e.id: e for e in EFFECTS}
BROWS = ("brow_height_medial_mm", "brow_height_mm", "brow_height_lateral_mm")
LIDS = ("mrd1_mm", "mrd2_mm", "palpebral_fissure_mm")


def _path(face: str) -> str:
    return face if face.startswith("/") else str(shared("frontal", face))


def _in_spread(effect_id: str, value: float) -> bool:
    e = BY_ID[effect_id]
    return e.low <= value <= e.high


@pytest.mark.parametrize("face", _faces())
def test_upper_pretarsal_2u_raises_that_lid_as_published(face):
    """aps_2024 +0.71 mm, ludwig_2022 +0.52 mm MRD1 at 2 weeks; the lower lid barely moves."""
    s = subject_for(face)
    p = plan(*UPPER_2U)
    rise = change(s, p, "mrd1_mm", "left")
    assert _in_spread("lid_upper_pretarsal_mrd1", rise), rise
    assert change(s, p, "mrd2_mm", "left") < 0.5 * rise


@pytest.mark.parametrize("face", _faces())
def test_lower_pretarsal_2u_widens_the_eye_as_published_mostly_by_the_lower_lid(face):
    """flynn_2001: +0.5 mm palpebral aperture at rest after 2 U in the lower lid."""
    s = subject_for(face)
    p = plan({"site": "pretarsal_lower_left", "units": 2})
    wider = change(s, p, "palpebral_fissure_mm", "left")
    assert _in_spread("lid_lower_pretarsal_aperture", wider), wider
    assert change(s, p, "mrd2_mm", "left") > 2.0 * change(s, p, "mrd1_mm", "left")


@pytest.mark.parametrize("site", ["pretarsal_upper_left", "pretarsal_lower_left"])
@pytest.mark.parametrize("face", _faces())
def test_a_pretarsal_dose_moves_that_lid_only_and_not_the_brow(face, site):
    """The lid is its own structure: the other eye stays put and no brow moves 0.3 mm."""
    s = subject_for(face)
    p = plan({"site": site, "units": 2})
    for name in LIDS:
        assert abs(change(s, p, name, "right")) < 0.02, name
    for name in BROWS:
        for side in ("left", "right"):
            assert abs(change(s, p, name, side)) < 0.3, (name, side)


def test_the_lid_rise_grows_with_the_dose_and_saturates():
    s = subject_for(str(SAMPLE))
    rise = [
        change(s, plan({"site": "pretarsal_upper_left", "units": u}), "mrd1_mm", "left")
        for u in (0.5, 1.0, 2.0, 4.0)
    ]
    assert all(b > a + 0.02 for a, b in zip(rise, rise[1:], strict=False)), rise
    assert rise[3] < 1.5 * rise[2]  # Hill saturation: doubling 2 U adds far less than 2x


def test_the_lid_rise_sets_in_holds_at_four_weeks_and_is_gone_by_week_24():
    """aps_2024: +0.71 mm at week 2, +0.67 at week 4, baseline at week 24 (ludwig_2022 too)."""
    s = subject_for(str(SAMPLE))
    p = plan(*UPPER_2U)
    day = {d: change(s, p, "mrd1_mm", "left", day=d) for d in (0.0, 3.0, 14.0, 28.0, 168.0)}
    assert day[0.0] == pytest.approx(0.0, abs=1e-9)
    assert 0.0 < day[3.0] < day[14.0]
    assert day[28.0] >= 0.8 * day[14.0]
    assert _in_spread("lid_upper_pretarsal_wear_off", day[168.0] / day[14.0])


def _codes(s, *injections):
    return [w.code for w in predict(s, plan(*injections), [14.0], samples=20).warnings]


def test_a_blepharospasm_size_dose_on_one_eye_warns_of_lagophthalmos():
    """Above 3 x 1.25 U on one eye's pretarsal orbicularis (the label's smallest blepharospasm
    dose) the lids may not close: a `lid_closure` warning for that eye only."""
    s = subject_for(str(SAMPLE))
    threshold = load_json("thresholds.json")["warnings"]["lid_closure_units_ona"]["value"]
    assert LID_CLOSURE_WARN_UNITS == threshold == 3.75
    eye_opening = (
        {"site": "pretarsal_upper_left", "units": 1.5},
        {"site": "pretarsal_lower_left", "units": 1.5},
    )
    assert "lid_closure" not in _codes(s, *eye_opening)
    heavy = (
        {"site": "pretarsal_upper_left", "units": 2.5},
        {"site": "pretarsal_lower_left", "units": 2.5},
    )
    warnings = predict(s, plan(*heavy), [14.0], samples=20).warnings
    closure = [w for w in warnings if w.code == "lid_closure"]
    assert len(closure) == 1 and "left eye" in closure[0].message
    # the dose is counted on the eye, from every injection that reaches it
    got = pretarsal_units(s, plan(*heavy), 0.0)
    assert got["left"] == pytest.approx(5.0, abs=0.5) and got["right"] < 0.01
    # a crow's-feet dose does not reach the lids' pretarsal part
    crows = [{"site": f"crows_feet_{r}_left", "units": 4} for r in ("upper", "middle", "lower")]
    assert pretarsal_units(s, plan(*crows), 0.0)["left"] < 0.5
    assert "lid_closure" not in _codes(s, *crows)


def test_attribution_finds_an_imposed_upper_lid_closing_tone():
    """Exact case: a symmetric face with the left upper lid's pretarsal tone doubled (MRD1 0.7 mm
    lower). A lid tone moves only about a millimetre at most, so the fit's ridge prior shrinks
    the estimate more than a brow muscle's (to about 0.7): it must shrink, never overshoot."""
    att = attribute(imposed(str(SAMPLE), "orbicularis_oculi_pretarsal_upper_left", 1.0))
    top = att.muscles[0]
    assert top.muscle == "orbicularis_oculi_pretarsal_upper_left", [m.muscle for m in att.muscles]
    assert 0.5 <= top.excess <= 1.05
    assert top.explained_mm["mrd1_mm"] < -0.3
    assert "narrows the left eye" in top.sentence


@cache
def _narrower_eye(side: str, drop_mm: float, rise_mm: float = 0.0):
    """A real photo with the `side` upper lid warped `drop_mm` lower and its lower lid `rise_mm`
    higher (tests/warp.py): the original's analysis and the warped subject."""
    base = analysed(_path("10_jennifer_aniston.jpg"))
    rgb = drop_upper_lid(base.image.rgb, base, side, drop_mm)
    if rise_mm:
        rgb = raise_lower_lid(rgb, base, side, rise_mm)
    return base, build_subject(analyze_image(dataclasses.replace(base.image, rgb=rgb)))


@pytest.mark.real_faces
def test_a_narrower_eye_is_attributed_to_its_pretarsal_orbicularis_and_a_one_sided_dose_opens_it():
    """The photo's right eye is 1 mm smaller to start with; after a 2 mm upper-lid drop and a
    1.5 mm lower-lid rise (read as ~1.8 mm) it is visibly smaller: only the right lids'
    orbicularis is named, and a small right-sided pretarsal plan narrows the difference."""
    base, s = _narrower_eye("right", 2.0, 1.5)
    before = s.analysis.metrics["palpebral_fissure_mm"].diff  # left - right
    assert before > base.metrics["palpebral_fissure_mm"].diff + 1.5  # the warp narrowed it
    named = {m.muscle: m for m in attribute(s).muscles}
    lids = [named[m] for m in named if m.startswith("orbicularis_oculi_pretarsal")]
    assert lids and all(m.side == "right" for m in lids), list(named)
    assert sum(m.explained_mm.get("palpebral_fissure_mm", 0.0) for m in lids) > 0.5
    p = plan(
        {"site": "pretarsal_upper_right", "units": 1.5},
        {"site": "pretarsal_lower_right", "units": 1.5},
    )
    assert pretarsal_units(s, p, 0.0)["right"] <= LID_CLOSURE_WARN_UNITS
    pr = predict(s, p, [14.0], samples=50)
    assert "lid_closure" not in {w.code for w in pr.warnings}
    assert pr.metrics[0]["palpebral_fissure_mm"].diff.median < before - 0.5  # it opens
    assert change(s, p, "palpebral_fissure_mm", "left") == pytest.approx(0.0, abs=0.02)


@pytest.mark.real_faces
def test_the_suggestion_leaves_the_lids_to_the_injector():
    """The pretarsal points are not routine (lagophthalmos, dry eye, ptosis): the suggestion
    never puts toxin in a lid, even for a visibly narrower eye whose orbicularis it names."""
    _, s = _narrower_eye("right", 2.0, 1.5)
    sug = suggest(s)
    assert any(m.muscle.startswith("orbicularis_oculi_pretarsal") for m in sug.attribution.muscles)
    for p in sug:
        assert not any((i.site_id or "").startswith("pretarsal") for i in p.plan.injections)
    # the lid is left to the injector in words: which lid, the model's 2 U figure, the danger
    (note,) = [n for n in sug.notes if "right" in n]
    assert "pretarsal_" in note and "_right" in note and "lagophthalmos" in note
    site = note.split("pretarsal point (")[1].split(")")[0]
    opened = change(s, plan({"site": site, "units": 2}), "palpebral_fissure_mm", "right")
    mrd1 = change(s, plan({"site": site, "units": 2}), "mrd1_mm", "right")
    assert f"about {opened:.1f} mm" in note or f"about {mrd1:.1f} mm" in note, note
    assert suggestion_to_json(sug)["notes"] == sug.notes


@pytest.mark.real_faces
def test_the_lid_effects_sit_in_their_published_spread_over_faces():
    """The validity table's lid rows: the median over the demo and two real faces."""
    faces = [str(SAMPLE), _path("10_jennifer_aniston.jpg"), _path("17_matt_damon.jpg")]
    for effect in EFFECTS:
        c = compare(effect, faces)
        assert c.within, c.row()
        assert np.isfinite(c.values).all()
