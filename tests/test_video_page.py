"""The video panel in a real browser: upload a synthetic lagging-smile clip, analyse it, see
the frames, the lag and the curves, and hand the frames on as photos."""

from __future__ import annotations

import pytest

from simulation.ingest import load_image
from tests.browser_util import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, streamlit_server, wait_idle
from tests.conftest import SAMPLE, analysed
from tests.video_clips import smile_clip

pytestmark = pytest.mark.browser


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
