"""The video panel: in a real browser, upload a synthetic lagging-smile clip, analyse it, see
the frames, the lag and the curves, and hand the frames on as photos; through streamlit.testing,
the rest handed on is the rest frames combined, with their smaller ±."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from dashboard import cache
from simulation.ingest import load_image
from simulation.metrics import LABELS, Z80
from simulation.study import assemble_study
from simulation.tables import r1
from simulation.video import analyze_video
from tests.browser_util import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, streamlit_server, wait_idle
from tests.conftest import ROOT, SAMPLE, analysed
from tests.video_clips import smile_clip

LIFT = {"left": 4.0, "right": 2.5}  # mm
START = {"left": 18, "right": 24}  # frames


def test_the_rest_handed_on_is_the_rest_frames_combined(tmp_path) -> None:
    """ "Use the rest and peak frames as photos": the Analysis tab's rest is the combined rest
    (its ± those of `VideoAnalysis.rest`, smaller than one frame's), the photo shown the middle
    rest frame, and the smile its peak."""
    clip = smile_clip(
        tmp_path / "smile.mp4", load_image(SAMPLE).rgb, analysed(str(SAMPLE)), LIFT, START
    )
    va = analyze_video(clip)
    assert len(va.rest_frames) > 1
    single = va.rest_frames[len(va.rest_frames) // 2].analysis.metrics
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=180)
    at.session_state["main_tab"] = "1 · Photos"
    at.session_state["video_result"] = va
    at.run()
    at.button(key="video_use").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    names = [m.value for m in at.markdown if m.value.startswith("**smile.mp4")]
    assert names[0].startswith("**smile.mp4 @ ") and f"rest of {len(va.rest_frames)}" in names[0]
    assert any(f"from {len(va.rest_frames)} video frames combined" in c.value for c in at.caption)
    at.session_state["main_tab"] = "2 · Analysis"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    table = next(d.value for d in at.dataframe if "± (80% band)" in d.value.columns)
    table = table.set_index("Measurement")
    shown = table["± (80% band)"]
    for name, m in va.rest.metrics.items():
        label = LABELS[name]
        if m.diff_sd <= 0 or label not in shown.index:
            continue
        assert table.loc[label, "Difference (L−R)"] == r1(m.diff), label
        assert shown[label] == r1(Z80 * m.diff_sd), label
    # the session's rest (what the Analysis tab and the model use) is the combined one, its ±
    # smaller than one frame's where the frames agree (the medial brow's is wider: the key
    # frame reads it 0.65 mm as the photo does, the compressed later frames 3.3 mm)
    rest = assemble_study(cache.photo_results(at.session_state["photos"])).analyses[0]
    assert rest.metrics == va.rest.metrics
    narrower = [k for k, m in rest.metrics.items() if m.diff_sd < 0.9 * single[k].diff_sd]
    assert len(narrower) >= 8, narrower
    assert any("Smile" in m.value for m in at.markdown)  # the peak is the smile photo


@pytest.mark.browser
def test_video_panel_shows_frames_lag_and_curves(tmp_path) -> None:
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (make browser)")
    from playwright.sync_api import sync_playwright

    clip = smile_clip(
        tmp_path / "smile.mp4",
        load_image(SAMPLE).rgb,
        analysed(str(SAMPLE)),
        {"left": 4.0, "right": 2.5},
        {"left": 18, "right": 24},
    )
    with streamlit_server() as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1300, "height": 2400})
        page.goto(url)
        wait_idle(page)
        page.get_by_text("Video of a movement").click()
        wait_idle(page)
        page.locator('.st-key-video_up input[type="file"]').set_input_files(str(clip))
        wait_idle(page)
        page.get_by_role("button", name="Analyse the clip").click()
        use = page.get_by_role("button", name="Use the rest and peak frames as photos")
        use.wait_for(timeout=90_000)
        wait_idle(page)
        text = page.locator(
            '[data-testid="stExpander"]', has_text="Video of a movement"
        ).inner_text()
        assert "Mouth-corner height: the left side starts" in text
        assert "smile · " in text and "rest · " in text
        assert page.locator(".js-plotly-plot").count() >= 1
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "video_panel.png"), full_page=True)
        use.click()
        # the frames are photos now (waited for: under load the rerun outlasts wait_idle)
        page.get_by_text("smile.mp4 @ ").first.wait_for(timeout=60_000)
        wait_idle(page)
        body = page.locator("body").inner_text()
        assert "Demo face" not in body
        assert page.locator('[data-testid="stException"]').count() == 0
        browser.close()
