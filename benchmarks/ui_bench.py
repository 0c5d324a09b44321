"""Dashboard timings and server memory in a real browser (Debian's Chromium via Playwright, with
software WebGL for the 3D viewer) for `make bench`.

Targets (issue 13, 2-core machine): server start to the first before/after 3D view ≤ 2 s; a day
or dose change to the updated after view ≤ 0.2 s. Memory: the server's RSS after 50 uploads in
one session and across sessions should level off (caches are bounded). Figures are printed,
never failed on."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from tests.browser_util import WEBGL_ARGS, rss_mb, streamlit_process, wait_idle

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parent.parent
FRONTAL = ROOT.parent / "shared" / "faces" / "frontal"
SAMPLE = ROOT / "simulation" / "demo" / "grace_hopper.jpg"
VIEWER = ".face3d"
SRCS_JS = "() => [...document.querySelectorAll('[data-testid=\"stImage\"] img')].map(i => i.src)"
VIEW = {"width": 1400, "height": 1200}


def _first_view(page, url: str, t0: float) -> float:
    """Seconds from `t0` to the Prediction tab's 3D viewer drawn (opened as soon as it appears)."""
    page.goto(url)
    tab = page.get_by_role("tab", name="4 · Prediction")
    tab.wait_for(timeout=90_000)
    tab.click()
    page.wait_for_selector(f"{VIEWER}[data-ready='1']", timeout=90_000)
    return time.monotonic() - t0


def _day_change(page) -> float:
    """Seconds from a day-slider step (arrow key) on the Prediction tab to the 3D after view
    drawn at the new day (the viewer's rendered version changes)."""
    old = page.locator(VIEWER).first.get_attribute("data-rendered-version")
    slider = page.locator('[data-testid="stSidebar"] input[type="range"]').first
    slider.focus()
    t = time.monotonic()
    slider.press("ArrowRight")
    viewer = page.locator(VIEWER).first  # inside the component's shadow root: poll its locator
    deadline = t + 30.0
    while viewer.get_attribute("data-rendered-version") == old:
        if time.monotonic() > deadline:
            raise TimeoutError("the 3D after view did not change")
        time.sleep(0.005)
    elapsed = time.monotonic() - t
    wait_idle(page)
    return elapsed


def _dose_change(page) -> float:
    """Seconds from Enter on a new dose (fine-tune, Plan tab) to the preview's new after
    pictures (half a unit more, or 2 U less once over 6 U, so it always differs)."""
    panel = page.locator('[role="tabpanel"]:visible').first
    field = panel.locator('[data-testid="stNumberInput"]').filter(has_text="Units").last
    old = page.evaluate(SRCS_JS)
    current = float(field.locator("input").input_value())
    field.locator("input").fill(f"{current + 0.5 if current < 6.0 else current - 2.0:g}")
    t = time.monotonic()
    field.locator("input").press("Enter")
    page.wait_for_function(
        f"(old) => ({SRCS_JS})().filter(s => !old.includes(s)).length >= 2",
        arg=old,
        timeout=30_000,
        polling=10,
    )
    elapsed = time.monotonic() - t
    wait_idle(page)
    return elapsed


def _upload(page, photo: Path) -> None:
    page.locator('.st-key-uploader input[type="file"]').set_input_files(str(photo))
    page.get_by_text(photo.name).first.wait_for(timeout=120_000)
    wait_idle(page, 180_000)


def _remove_oldest(page) -> None:
    """Remove the first photo card (a clinician clearing the previous patient's photo)."""
    page.get_by_role("button", name="Remove").first.click()
    wait_idle(page)


def _memory(browser, url: str, pid: int, uploads: int = 50) -> dict:
    """Server RSS (MB) while one session uploads `uploads` photos (removing the previous one
    each time, as between patients), then while `uploads` fresh sessions upload one each."""
    photos = sorted(p for p in FRONTAL.iterdir() if p.suffix.lower() in (".jpg", ".png"))
    photos = photos or [SAMPLE]
    one, across = [rss_mb(pid)], []
    page = browser.new_page(viewport=VIEW)
    page.goto(url)
    page.get_by_role("tab", name="1 · Photos").wait_for(timeout=90_000)
    wait_idle(page)
    for k in range(uploads):
        _upload(page, photos[k % len(photos)])
        if k:
            _remove_oldest(page)
        if (k + 1) % 10 == 0:
            one.append(rss_mb(pid))
    page.close()
    for k in range(uploads):
        ctx = browser.new_context(viewport=VIEW)
        page = ctx.new_page()
        page.goto(url)
        page.get_by_role("tab", name="1 · Photos").wait_for(timeout=90_000)
        wait_idle(page)
        _upload(page, photos[k % len(photos)])
        ctx.close()
        if (k + 1) % 10 == 0:
            across.append(rss_mb(pid))
    return {
        "rss_mb_one_session_every_10_uploads": [round(x) for x in one],
        "rss_mb_across_sessions_every_10": [round(x) for x in across],
    }


def bench_ui(cold_starts: int = 2, repeats: int = 10, uploads: int = 50) -> dict:
    """First view from server start (cold) and from a page load (warm server), day and dose
    change latencies, and server memory after many uploads."""
    if not CHROMIUM.exists():
        return {"skipped": "Debian's chromium is not installed (make browser installs it)"}
    from playwright.sync_api import sync_playwright

    cold, warm, days, doses, memory = [], [], [], [], {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=WEBGL_ARGS)
        try:
            for start in range(cold_starts):
                t0 = time.monotonic()
                with streamlit_process() as (url, proc):
                    page = browser.new_page(viewport=VIEW)
                    cold.append(_first_view(page, url, t0))
                    if start == 0:
                        wait_idle(page)
                        days = [_day_change(page) for _ in range(repeats)]
                        page.get_by_role("tab", name="3 · Plan").click()
                        wait_idle(page)
                        doses = [_dose_change(page) for _ in range(repeats)]
                        for _ in range(repeats):
                            fresh = browser.new_page(viewport=VIEW)
                            warm.append(_first_view(fresh, url, time.monotonic()))
                            fresh.close()
                        page.close()
                        memory = _memory(browser, url, proc.pid, uploads)
                    else:
                        page.close()
        finally:
            browser.close()
    return {
        "first_view_from_server_start_s_median": round(float(np.median(cold)), 2),
        "first_view_page_load_warm_server_s_median": round(float(np.median(warm)), 2),
        "day_change_to_3d_after_view_s_median": round(float(np.median(days)), 3),
        "dose_change_to_after_preview_s_median": round(float(np.median(doses)), 3),
        "cold_starts": cold_starts,
        "repeats": repeats,
        "uploads": uploads,
        **memory,
    }


if __name__ == "__main__":
    print(bench_ui())
