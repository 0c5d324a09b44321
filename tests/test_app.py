"""The dashboard through streamlit.testing (AppTest), plus the photo warp and the 3D renderer."""

from __future__ import annotations

import copy
import datetime as dt
import json
import re

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import SAMPLE, SHARED_FACES, analysed

APP = "../streamlit_app.py"
TIMEOUT = 120
PHOTOS, ANALYSIS, PLAN, PREDICTION, COMPARE, YEAR = (
    "1 · Photos",
    "2 · Analysis",
    "3 · Plan",
    "4 · Prediction",
    "5 · Compare",
    "6 · 12 months",
)


def _app() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _open(at: AppTest, tab: str) -> AppTest:
    """Switch to a tab as a click does (only the open tab is drawn) and run."""
    at.session_state["main_tab"] = tab
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _viewer(at: AppTest) -> dict:
    """The data the page's one 3D viewer was last sent."""
    (data,) = _viewers(at)
    return data


def _table(at: AppTest, column: str):
    """The first table (DataFrame) shown with `column`."""
    for d in [*at.dataframe, *at.table]:
        df = d.value
        if column in df.columns:
            return df
    raise AssertionError(f"no table with a {column!r} column")


def _predicted(at: AppTest) -> dict[str, str]:
    """Predicted L−R per measurement at the chosen day, from the prediction tab's table."""
    df = _table(_open(at, PREDICTION), "Predicted L−R (p10 to p90)")
    return dict(zip(df["Measurement"], df["Predicted L−R (p10 to p90)"], strict=True))


def _viewers(at: AppTest) -> list[dict]:
    """The data sent to each interactive 3D viewer (face3d component) on the page."""
    return [json.loads(e.proto.json) for e in at.main if getattr(e, "type", "") == "bidi_component"]


def _upload(at: AppTest, name: str, data: bytes, mime: str) -> None:
    at.file_uploader(key="uploader").set_value((name, data, mime))
    at.run()
    assert not at.exception, [e.value for e in at.exception]


@pytest.fixture(scope="module")
def demo() -> AppTest:
    return _app()


def test_demo_loads_with_both_sides(demo: AppTest) -> None:
    _open(demo, PREDICTION)
    md = " ".join(m.value for m in demo.markdown)
    assert "Before" in md and "After · day 14" in md
    assert len(demo.get("image")) == 2  # the photo and the predicted photo
    assert _viewer(demo)["state"]["labels"] == ["Before", "After · day 14"]  # the 3D pair
    assert not demo.error
    limits = " ".join(m.value for m in demo.markdown if "cannot know" in m.value)
    assert "cannot be lifted" in limits and "ptosis" in limits  # what the model cannot know
    _open(demo, ANALYSIS)
    assert "Brow height" in " ".join(_table(demo, "Noticeable from")["Measurement"])


def test_only_the_open_tab_is_drawn(demo: AppTest) -> None:
    _open(demo, PHOTOS)
    assert len(demo.get("image")) == 1 and not demo.get("plotly_chart")  # the landmark check
    assert "After · day 14" not in " ".join(m.value for m in demo.markdown)


def test_settings_survive_a_tab_switch() -> None:
    at = _open(_app(), PREDICTION)
    at.toggle(key="opt_heat").set_value(False).run()
    at.toggle(key="opt_oblique").set_value(True).run()
    _open(at, PLAN)
    _open(at, PREDICTION)
    assert at.toggle(key="opt_heat").value is False
    assert at.toggle(key="opt_oblique").value is True


def test_units_change_changes_prediction() -> None:
    at = _app()
    plan = at.session_state["active_plan"]
    first = _predicted(at)
    _open(at, PLAN)
    # Add a standard-site injection (right lateral frontalis, 4 U by default for ona).
    at.selectbox(key=f"add_area_{plan}").set_value("forehead").run()
    at.selectbox(key=f"add_site_{plan}").set_value("frontalis_lateral_right").run()
    at.button(key=f"add_btn_{plan}").click().run()
    assert not at.exception
    rows = at.session_state["plans"][plan]["rows"]
    assert [r["site"] for r in rows][-1] == "frontalis_lateral_right"
    added = _predicted(at)
    assert added != first
    # Change its units with the fine-tune control; the preview beside it is redrawn.
    _open(at, PLAN)
    preview = [i.proto.imgs[0].url for i in at.get("image")]
    assert len(preview) == 3, preview  # before, predicted photo, predicted 3D
    v = at.session_state["plans"][plan]["v"]
    at.selectbox(key=f"fine_row_{plan}_{v}").set_value(len(rows) - 1).run()
    at.number_input(key=f"fine_units_{plan}_{v}_{len(rows) - 1}").set_value(12.0).run()
    assert not at.exception
    assert at.session_state["plans"][plan]["rows"][-1]["units"] == 12.0
    redrawn = [i.proto.imgs[0].url for i in at.get("image")]
    assert redrawn[0] == preview[0] and redrawn[1:] != preview[1:]
    assert any("Preview at day 14" in m.value for m in at.markdown)
    changed = _predicted(at)
    assert changed != added
    # 12 U is far outside the site's usual 2-4 U: the warning stands in that injection's row.
    editor = _table(_open(at, PLAN), "warning")
    assert "unusual dose" in editor["warning"].iloc[-1]
    assert "unusual dose" not in editor["warning"].iloc[0]


def test_second_plan_in_comparison() -> None:
    at = _app()
    at.button(key="plan_dup").click().run()
    assert not at.exception
    names = list(at.session_state["plans"])
    assert len(names) == 2
    df = _table(_open(at, COMPARE), "Total units (ona-equivalent)")
    assert set(names) <= set(df["Plan"])
    assert "Total units (ona-equivalent)" in df.columns


def test_committed_sample_upload_gives_measurements() -> None:
    at = _app()
    _upload(at, "sample.jpg", SAMPLE.read_bytes(), "image/jpeg")
    assert not at.error
    names = [p["name"] for p in at.session_state["photos"]]
    assert names == ["sample.jpg"]
    assert len(_table(_open(at, ANALYSIS), "Noticeable from")) == 10  # + the symmetry index line


def test_real_photo_upload_gives_measurements() -> None:
    folder = SHARED_FACES / "frontal"
    if not folder.is_dir():
        pytest.skip(f"{folder} is absent")
    photo = sorted(p for p in folder.iterdir() if p.suffix.lower() in (".jpg", ".png"))[0]
    at = _app()
    mime = "image/png" if photo.suffix.lower() == ".png" else "image/jpeg"
    _upload(at, photo.name, photo.read_bytes(), mime)
    assert not at.error, [e.value for e in at.error]
    assert [p["name"] for p in at.session_state["photos"]] == [photo.name]
    df = _table(_open(at, ANALYSIS), "Noticeable from")
    assert df["Left"].notna().all()
    before = dict(zip(df["Measurement"], df["Difference (L−R)"], strict=True))
    assert before != {}
    assert "After · day 14" in " ".join(m.value for m in _open(at, PREDICTION).markdown)


def test_text_file_shows_error_and_keeps_photo() -> None:
    at = _app()
    plans_before = dict(at.session_state["plans"])
    _upload(at, "notes.txt", b"this is not a photo\n" * 10, "text/plain")
    errors = [e.value for e in at.error]
    assert any("notes.txt" in e for e in errors), errors
    assert [p["id"] for p in at.session_state["photos"]] == ["demo"]
    assert at.session_state["plans"].keys() == plans_before.keys()
    assert "After · day 14" in " ".join(m.value for m in _open(at, PREDICTION).markdown)


# --- what drives the asymmetry, suggested plans, the 12-month schedule ------------------------


def test_attribution_panel_on_demo(demo: AppTest) -> None:
    _open(demo, ANALYSIS)
    assert "What drives the asymmetry" in [s.value for s in demo.subheader]
    df = _table(demo, "Confidence")
    assert len(df) >= 1
    assert set(df["Side"]) <= {"left", "right"}
    assert df["Confidence"].between(0.0, 1.0).all()
    assert df["Explained (L−R)"].str.match(r"^[+-]\d+\.\d (mm|°)$").all()
    md = " ".join(m.value for m in demo.markdown)
    assert "Not a toxin case" in md and "Weakness" in md
    assert "explains" in md or "accounts for" in md  # the plain-language sentences
    assert any("model estimate" in c.value for c in demo.caption)


def test_schedule_on_demo(demo: AppTest) -> None:
    _open(demo, YEAR)
    visits = _table(demo, "Visit")
    assert visits["Visit"].iloc[0] == "initial" and visits["Day"].iloc[0] == 0
    assert visits["Day"].iloc[1] == 14 and visits["Visit"].iloc[1] in ("review", "top-up")
    assert (visits["Visit"] == "maintenance").sum() >= 3
    assert visits["Day"].max() <= 365
    charts = demo.get("plotly_chart")
    assert len({c.proto.id for c in charts}) == 2  # symmetry; left and right
    sessions = int((visits["Visit"] != "review").sum())
    for c in charts:  # a dotted line at every session
        shapes = json.loads(c.proto.spec)["layout"]["shapes"]
        assert sum(sh.get("yref") == "paper" for sh in shapes) == sessions


def test_a_repeated_dose_problem_is_one_warning_listing_its_days() -> None:
    at = _open(_app(), PLAN)
    plan = at.session_state["active_plan"]
    v = at.session_state["plans"][plan]["v"]
    at.number_input(key=f"fine_units_{plan}_{v}_0").set_value(12.0).run()
    _open(at, YEAR)
    far = [w.value for w in at.warning if "far outside" in w.value]
    assert len(far) == 1, far
    assert far[0].startswith("corrugator_medial_right, 12 U (days 0, "), far[0]
    assert far[0].count(",") >= 4  # the maintenance sessions' days, listed in one warning


def test_event_date_gives_latest_session() -> None:
    at = _open(_app(), YEAR)
    event = dt.date.today() + dt.timedelta(days=120)
    at.date_input(key="sched_event").set_value(event).run()
    assert not at.exception, [e.value for e in at.exception]
    latest = (event - dt.timedelta(days=21)).strftime("%a %d %b %Y")
    assert any(latest in i.value for i in at.info), [i.value for i in at.info]


def test_suggest_and_use_plan() -> None:
    at = _open(_app(), PLAN)
    photos = [(p["id"], p["data"]) for p in at.session_state["photos"]]
    plan_a = copy.deepcopy(at.session_state["plans"]["Plan A"])
    at.number_input(key="sug_max").set_value(5.0)
    at.button(key="suggest_btn").click().run()
    assert not at.exception, [e.value for e in at.exception]
    use = [b.key for b in at.button if (b.key or "").startswith("use_sug_")]
    if not use:  # no plan: the reason is shown instead
        assert any(i.value.startswith("No plan:") for i in at.info)
        return
    totals = [
        float(t)
        for t in re.findall(r"Total \*\*([\d.]+) U\*\*", " ".join(m.value for m in at.markdown))
    ]
    assert totals and max(totals) <= 5.0
    # Without a limit: the demo's brow asymmetry gets a balanced plan.
    at.number_input(key="sug_max").set_value(None)
    at.button(key="suggest_btn").click().run()
    use = [b.key for b in at.button if (b.key or "").startswith("use_sug_")]
    assert "use_sug_balanced" in use, use
    at.button(key="use_sug_balanced").click().run()
    assert not at.exception, [e.value for e in at.exception]
    name = "Suggested: balanced"
    plans = at.session_state["plans"]
    assert list(plans) == ["Plan A", name]
    assert at.session_state["active_plan"] == name
    assert plans[name]["rows"] and all(r["day"] == 0.0 for r in plans[name]["rows"])
    assert plans["Plan A"] == plan_a
    assert [(p["id"], p["data"]) for p in at.session_state["photos"]] == photos
    selector = next(s for s in at.sidebar.selectbox if s.label == "Active plan")
    assert name in selector.options and selector.value == name
    assert f"Plan: {name}" in [s.value for s in at.subheader]
    compared = _table(_open(at, COMPARE), "Total units (ona-equivalent)")
    assert {"Plan A", name} <= set(compared["Plan"])
    # It is an ordinary plan: editable like the user's own.
    v = plans[name]["v"]
    before = _predicted(at)
    _open(at, PLAN)
    at.number_input(key=f"fine_units_{name}_{v}_0").set_value(8.0).run()
    assert not at.exception
    assert at.session_state["plans"][name]["rows"][0]["units"] == 8.0
    assert _predicted(at) != before
    assert at.session_state["plans"]["Plan A"] == plan_a


# --- the predicted photo ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample_analysis():
    return analysed(str(SAMPLE))


def test_zero_displacement_is_identity(sample_analysis) -> None:
    from simulation.photo_warp import warp_photo

    rgb = sample_analysis.image.rgb
    out = warp_photo(rgb, sample_analysis, np.zeros((468, 3)))
    assert out.dtype == np.uint8 and np.array_equal(out, rgb)


def test_uniform_upward_displacement_moves_brow_up(sample_analysis) -> None:
    from simulation.photo_warp import warp_photo

    a = sample_analysis
    rgb = np.array(a.image.rgb)
    # A dark square on the brow (mid-pupil brow point, in image pixels).
    brow = a.frame.to_image(a.points_mm["brow_mid_left"] / a.mm_per_px)
    x, y = np.rint(brow).astype(int)
    rgb[:] = 200
    rgb[y - 3 : y + 4, x - 3 : x + 4] = 0
    disp = np.zeros((468, 3))
    disp[:, 1] = 2.0  # 2 mm up on every landmark
    out = warp_photo(rgb, a, disp)

    def centroid(img: np.ndarray) -> np.ndarray:
        w = (255.0 - img[..., 0].astype(float)) - 55.0
        w = np.clip(w, 0, None)
        ys, xs = np.mgrid[: img.shape[0], : img.shape[1]]
        return np.array([(w * xs).sum(), (w * ys).sum()]) / w.sum()

    shift = centroid(out) - centroid(rgb)
    expected = 2.0 / a.mm_per_px * np.asarray(a.frame.y_axis)
    assert np.allclose(shift, expected, atol=0.35), (shift, expected)


def test_render_before_after_non_blank(sample_analysis) -> None:
    from simulation.render import face_camera, render_mesh_png

    m = sample_analysis.mesh
    cam = face_camera(m.vertices_mm)
    before = render_mesh_png(m.vertices_mm, m.faces, m.uv, sample_analysis.image.rgb, camera=cam)
    shifted = m.vertices_mm + [0.0, 0.0, 0.0]
    heat = np.linalg.norm(m.vertices_mm - m.vertices_mm.mean(axis=0), axis=1) / 50
    after = render_mesh_png(
        shifted, m.faces, m.uv, sample_analysis.image.rgb, heat, m.vertices_mm[:3], camera=cam
    )
    assert before.shape == after.shape == (560, 480, 3)
    assert before.std() > 20 and after.std() > 20
    assert not np.array_equal(before, after)


def test_demo_starter_plan_is_the_engines_conservative_suggestion(demo: AppTest) -> None:
    """The starter plan is hard-coded for a fast first view; it must stay what `suggest`
    actually proposes for the demo face."""
    from simulation.prediction import build_subject
    from simulation.suggest import suggest

    conservative = suggest(build_subject(analysed(str(SAMPLE)))).by_name("conservative")
    expected = sorted((i.site_id, i.units) for i in conservative.plan.injections)
    rows = demo.session_state["plans"]["Plan A"]["rows"]
    assert sorted((r["site"], r["units"]) for r in rows) == expected


def test_muscle_overlay_is_drawn_and_coloured_by_inhibition(sample_analysis) -> None:
    from simulation import atlas
    from simulation.render import FaceRenderer, face_camera, inhibition_colour

    m = sample_analysis.mesh
    paths = atlas.muscle_paths(m.vertices_mm)
    assert {mid for mid, _ in paths} == {mu.id for mu in atlas.muscles()}
    assert inhibition_colour(0.0) == (120, 200, 255) and inhibition_colour(1.0) == (235, 40, 40)
    r = FaceRenderer(m.faces, m.uv, sample_analysis.image.rgb, m.vertices_mm, (480, 560))
    cam = face_camera(m.vertices_mm)
    blocked = [(p, inhibition_colour(1.0 if "frontalis" in mid else 0.0)) for mid, p in paths]
    with r.lock:
        plain = r.render(m.vertices_mm, None, None, cam, None)
        drawn = r.render(m.vertices_mm, None, None, cam, None, blocked)
    red = (drawn[..., 0] > 200) & (drawn[..., 1] < 80) & (drawn[..., 2] < 80)
    assert red.sum() > 200  # the blocked frontalis lines show in red
    assert red[: drawn.shape[0] // 3].sum() > 0.8 * red.sum()  # at the top of the face
    assert (np.abs(drawn.astype(int) - plain).sum(axis=2) > 30).sum() > 2000


def test_muscles_toggle_in_the_app() -> None:
    """The toggle shows the muscles in the 3D pair, coloured by the plan's inhibition: the
    treated right corrugator is more blocked than its untreated left twin."""
    from simulation import atlas

    at = _open(_app(), PREDICTION)
    assert _viewer(at)["state"]["muscles"] is None
    at.toggle(key="opt_muscles").set_value(True).run()
    assert not at.exception, [e.value for e in at.exception]
    data = _viewer(at)
    assert data["state"]["muscles"] is not None and data["scene"].keys() == {"id"}  # no reload
    ids = [mid for mid, _ in atlas.muscle_paths(analysed(str(SAMPLE)).mesh.vertices_mm)]
    colour = dict(zip(ids, data["state"]["lineColours"], strict=True))
    treated, twin = colour["corrugator_supercilii_right"], colour["corrugator_supercilii_left"]
    assert treated != twin  # the treated right corrugator is drawn as blocked, its twin not


def test_clicking_the_face_adds_a_point_injection_with_its_warning() -> None:
    """A click picks a landmark (the chart's selection lands in session state); an offset moves
    the point; it becomes a plan/1 `point` injection whose danger-zone warning sits in its row."""
    at = _open(_app(), PLAN)
    plan = at.session_state["active_plan"]
    at.toggle(key=f"click_mode_{plan}").set_value(True).run()
    at.session_state[f"click_lm_{plan}"] = 105  # right brow, upper edge
    at.run()
    at.number_input(key=f"cdy_{plan}").set_value(12.0).run()
    at.button(key=f"click_add_{plan}").click().run()
    assert not at.exception, [e.value for e in at.exception]
    rows = at.session_state["plans"][plan]["rows"]
    assert rows[-1]["site"] == "point:105:+0.0:+12.0"
    editor = _table(at, "warning")
    assert "frontalis low" in editor["warning"].iloc[-1]  # under 2 cm above the brow
    assert at.session_state["plans"][plan]["rows"][0]["site"] == "corrugator_medial_right"


def test_a_missing_model_is_named_in_every_tab(monkeypatch, tmp_path) -> None:
    import streamlit as st

    from simulation import landmarker

    monkeypatch.setenv(landmarker.MODEL_ENV, str(tmp_path / "missing.task"))
    monkeypatch.setattr(landmarker, "_instance", None)
    st.cache_resource.clear()  # the demo's analysis must really run again
    at = _app()
    assert any("landmark model not found" in e.value for e in at.error)
    for tab in (ANALYSIS, PREDICTION):
        errors = [e.value for e in _open(at, tab).error]
        assert any("landmark model not found" in e for e in errors), errors


def test_plan_table_shows_site_labels_and_keeps_ids() -> None:
    """The editor's site cells read as a clinician names the site; the plan still stores ids."""
    at = _open(_app(), PLAN)
    plan = at.session_state["active_plan"]
    editor = next(d for d in at.dataframe if "warning" in d.value.columns)
    assert list(editor.value["site"]) == ["corrugator_medial_right", "frontalis_lateral_right"]
    options = json.loads(editor.proto.columns)["site"]["type_config"]["options"]
    label = {o["value"]: o["label"] for o in options}
    assert label["corrugator_medial_right"] == "Corrugator, medial (brow head) (right)"
    assert label["frontalis_lateral_right"] == "Frontalis, lateral (right)"
    assert all(o["label"] != o["value"] for o in options)
    v = at.session_state["plans"][plan]["v"]
    fine = at.selectbox(key=f"fine_row_{plan}_{v}")
    assert fine.options[0] == "1. Corrugator, medial (brow head) (right)"
    assert [r["site"] for r in at.session_state["plans"][plan]["rows"]][0] == (
        "corrugator_medial_right"
    )


def test_a_patient_photo_starts_an_empty_plan_and_says_so() -> None:
    at = _app()
    _upload(at, "patient.jpg", SAMPLE.read_bytes(), "image/jpeg")
    plans = at.session_state["plans"]
    assert list(plans) == ["Plan A"]  # the untouched demo starter plan is gone
    assert plans["Plan A"]["rows"] == [] and at.session_state["active_plan"] == "Plan A"
    notes = [i.value for i in at.info]
    assert any("Plan A starts empty" in n and "demo face" in n for n in notes), notes
    _open(at, PLAN)
    assert any("Plan A starts empty" in i.value for i in at.info)
    assert not at.exception
    editor = _table(at, "warning")
    assert len(editor) == 0
    # A second photo of the same patient does not touch the plans again.
    at.session_state["plans"]["Plan A"]["rows"].append(
        {"site": "frontalis_lateral_left", "units": 2.0, "day": 0.0}
    )
    _open(at, PHOTOS)
    _upload(at, "patient_frown.jpg", SAMPLE.read_bytes()[:-1] + b"\xd9", "image/jpeg")
    assert len(at.session_state["plans"]["Plan A"]["rows"]) == 1


def test_an_edited_demo_plan_is_kept_under_its_own_name() -> None:
    at = _open(_app(), PLAN)
    v = at.session_state["plans"]["Plan A"]["v"]
    at.number_input(key=f"fine_units_Plan A_{v}_0").set_value(3.0).run()
    edited = copy.deepcopy(at.session_state["plans"]["Plan A"]["rows"])
    _open(at, PHOTOS)
    _upload(at, "patient.jpg", SAMPLE.read_bytes(), "image/jpeg")
    plans = at.session_state["plans"]
    assert list(plans) == ["Plan A", "Demo plan (for the demo face)"]
    assert plans["Demo plan (for the demo face)"]["rows"] == edited
    assert plans["Plan A"]["rows"] == [] and at.session_state["active_plan"] == "Plan A"
    assert any("kept as “Demo plan (for the demo face)”" in i.value for i in at.info)
