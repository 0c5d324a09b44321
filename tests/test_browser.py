"""The dashboard in a real browser: streamlit run + Debian's Chromium driven by Playwright.

Saves one screenshot per step under tests/artifacts/ (git-ignored) for the README.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import time

import numpy as np
import pytest

from tests.browser_util import (
    ARTIFACTS,
    CHROMIUM,
    ROOT,
    WEBGL_ARGS,
    streamlit_server,
    wait_idle,
)

pytestmark = pytest.mark.browser

SAMPLE = ROOT / "simulation" / "demo" / "grace_hopper.jpg"
REAL = ROOT.parent / "shared" / "faces" / "frontal" / "01_astronaut_eileen_collins.png"


def _pixels_std(locator) -> float:
    from PIL import Image

    png = locator.screenshot()
    arr = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=np.float64)
    return float(arr.std())


def _assert_clean_png(data: bytes) -> None:
    """A valid PNG whose only chunks are image data: nothing that could carry EXIF or text."""
    import struct

    from PIL import Image

    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, pos = [], 8
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        chunks.append(data[pos + 4 : pos + 8].decode("ascii"))
        pos += 12 + length
    assert set(chunks) <= {"IHDR", "IDAT", "IEND"}, chunks
    im = Image.open(io.BytesIO(data))
    assert im.size[0] >= 480 and im.size[1] >= 560 and not im.getexif()


def _tab(page, label: str):
    page.get_by_role("tab", name=label).click()
    wait_idle(page)
    return page.locator('[role="tabpanel"]:visible').first


def _no_exception(page) -> None:
    text = page.locator("body").inner_text()
    assert "Traceback" not in text
    assert page.locator('[data-testid="stException"]').count() == 0


@pytest.fixture(scope="module")
def browser_page():
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (make browser installs it)")
    sync_api = pytest.importorskip("playwright.sync_api")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with streamlit_server() as url, sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=WEBGL_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1900})
            yield page, url
        finally:
            browser.close()


def _prediction_images(panel):
    """The photo and the predicted photo, once the 3D viewer above them is drawn."""
    panel.locator(".face3d[data-ready='1']").wait_for(timeout=60_000)
    return panel.locator('[data-testid="stImage"] img')


def test_consult_flow(browser_page) -> None:
    page, url = browser_page
    timings: dict[str, float] = {}

    # Page load → the first full before/after view of the demo.
    t0 = time.monotonic()
    page.goto(url)
    page.get_by_role("tab", name="4 · Prediction").wait_for(timeout=60_000)
    wait_idle(page)
    panel = _tab(page, "4 · Prediction")
    imgs = _prediction_images(panel)
    imgs.nth(1).wait_for(timeout=60_000)
    timings["load_to_before_after_s"] = time.monotonic() - t0
    _no_exception(page)

    # 1. Photos: upload a photo (a real one when available, else the committed sample).
    panel = _tab(page, "1 · Photos")
    photo = REAL if REAL.exists() else SAMPLE
    page.locator('.st-key-uploader input[type="file"]').set_input_files(str(photo))
    page.get_by_text(photo.name).first.wait_for(timeout=60_000)
    wait_idle(page)
    _no_exception(page)
    page.screenshot(path=str(ARTIFACTS / "step1_photos.png"), full_page=True)

    # 2. Analysis.
    panel = _tab(page, "2 · Analysis")
    assert "brow height" in panel.inner_text().lower()
    page.screenshot(path=str(ARTIFACTS / "step2_analysis.png"), full_page=True)

    # 3. Plan: add a standard-site injection.
    panel = _tab(page, "3 · Plan")
    before_rows = panel.inner_text().count("Fine-tune")
    panel.get_by_role("button", name="Add injection").click()
    wait_idle(page)
    _no_exception(page)
    assert before_rows <= 1
    page.screenshot(path=str(ARTIFACTS / "step3_plan.png"), full_page=True)

    # 4. Prediction: both 3D views and the predicted photo are drawn.
    panel = _tab(page, "4 · Prediction")
    imgs = _prediction_images(panel)
    imgs.nth(1).wait_for(timeout=60_000)
    for canvas in panel.locator(".face3d canvas").all():
        assert _pixels_std(canvas) > 15, "a 3D view looks blank"
    for k in range(2):
        imgs.nth(k).scroll_into_view_if_needed()
        assert _pixels_std(imgs.nth(k)) > 15, f"image {k} looks blank"
    page.screenshot(path=str(ARTIFACTS / "step4_prediction.png"), full_page=True)

    # Download the before/after picture: a PNG with no metadata (no EXIF, no text chunks).
    with page.expect_download() as dl:
        panel.get_by_role("button", name="Before/after image (PNG, no metadata)").click()
    png = dl.value.path().read_bytes()
    _assert_clean_png(png)
    with page.expect_download() as dl:
        panel.get_by_role("button", name="Measurements (CSV)").click()
    csv = dl.value.path().read_text()
    assert csv.startswith("metric,unit,before_left") and "brow_height_mm" in csv
    # The consult report, built on click: a PDF whose text holds the plan and the promise line.
    panel.get_by_label("Patient (name or pseudonym)").fill("Browser Test Patient")
    panel.get_by_label("Patient (name or pseudonym)").press("Enter")
    wait_idle(page)
    panel.get_by_role("button", name="Download consult report (PDF)").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "step4_report.png"))
    with page.expect_download(timeout=60_000) as dl:
        panel.get_by_role("button", name="Download consult report (PDF)").click()
    pdf = dl.value.path().read_bytes()
    assert pdf.startswith(b"%PDF") and dl.value.suggested_filename.endswith(".pdf")
    if shutil.which("pdftotext"):
        text = subprocess.run(
            ["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True
        ).stdout.decode()
        assert "Browser Test Patient" in text and "A prediction, not a promise." in text

    # Units edit → updated after view: the plan tab's preview beside the dose editor.
    srcs_js = (
        "() => [...document.querySelectorAll('[data-testid=\"stImage\"] img')].map(i => i.src)"
    )
    panel = _tab(page, "3 · Plan")
    panel.get_by_text("Preview at day 14").wait_for(timeout=30_000)
    wait_idle(page)  # the Prediction tab's images go once the rerun has finished
    deadline = time.monotonic() + 30
    while len(old := page.evaluate(srcs_js)) != 3 and time.monotonic() < deadline:
        time.sleep(0.25)
    assert len(old) == 3, old
    units = panel.locator('[data-testid="stNumberInput"]').filter(has_text="Units").last
    field = units.locator("input")
    field.fill("9")
    t1 = time.monotonic()
    field.press("Enter")
    page.wait_for_function(
        f"(old) => ({srcs_js})().filter(s => !old.includes(s)).length >= 2",
        arg=old,
        timeout=30_000,
        polling=20,
    )
    timings["units_edit_to_after_view_s"] = time.monotonic() - t1
    wait_idle(page)
    _no_exception(page)

    # 5. Compare: a second plan appears beside the first.
    page.locator('[data-testid="stSidebar"]').get_by_role("button", name="Copy").click()
    wait_idle(page)
    panel = _tab(page, "5 · Compare")
    text = panel.inner_text()
    assert "Plan A copy" in text
    _no_exception(page)
    page.screenshot(path=str(ARTIFACTS / "step5_compare.png"), full_page=True)

    # 6. Suggest: the alternatives (or why there are none) at the top of the Plan tab.
    panel = _tab(page, "3 · Plan")
    panel.get_by_role("button", name="Suggest plans").click()
    panel.get_by_text("Use this plan").or_(panel.get_by_text("No plan:")).first.wait_for(
        timeout=30_000
    )
    wait_idle(page)
    _no_exception(page)
    page.screenshot(path=str(ARTIFACTS / "step6_suggest.png"), full_page=True)

    # 7. The year: visits and the predicted course, two charts drawn.
    panel = _tab(page, "6 · 12 months")
    panel.locator(".js-plotly-plot").nth(1).wait_for(timeout=30_000)
    assert "maintenance" in panel.inner_text()
    _no_exception(page)
    page.screenshot(path=str(ARTIFACTS / "step7_schedule.png"), full_page=True)
    # A second visit (warm caches: analysis, subject model, renders are shared by content hash).
    t2 = time.monotonic()
    page.reload()
    page.get_by_role("tab", name="4 · Prediction").wait_for(timeout=60_000)
    _prediction_images(_tab(page, "4 · Prediction")).nth(1).wait_for(timeout=60_000)
    timings["warm_reload_to_before_after_s"] = time.monotonic() - t2
    (ARTIFACTS / "browser_timings.txt").write_text(
        "\n".join(f"{k} {v:.2f}" for k, v in timings.items()) + "\n"
    )
    print(timings)


TABS = ("1 · Photos", "2 · Analysis", "3 · Plan", "4 · Prediction", "5 · Compare", "6 · 12 months")
PAGE_WIDTH_JS = "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"


def test_a_tablet_window_never_scrolls_sideways(browser_page) -> None:
    """Tablet portrait (820×1180): every page fits the width (wide tables scroll inside)."""
    page, url = browser_page
    page.set_viewport_size({"width": 820, "height": 1180})
    try:
        page.goto(url)
        page.get_by_role("tab", name=TABS[0]).wait_for(timeout=60_000)
        wait_idle(page)
        for tab in TABS:
            _tab(page, tab)
            if tab == "4 · Prediction":
                page.locator(".face3d[data-ready='1']").wait_for(timeout=60_000)
                box = page.locator(".face3d canvas").first.bounding_box()
                assert box and 200 < box["width"] < 410  # the two 3D views side by side
            scroll, client = page.evaluate(PAGE_WIDTH_JS)
            assert scroll <= client, f"{tab}: page is {scroll} px wide in a {client} px window"
            _no_exception(page)
            page.screenshot(path=str(ARTIFACTS / f"narrow_{tab.split()[-1]}.png"))
    finally:
        page.set_viewport_size({"width": 1400, "height": 1900})
