"""Dashboard timings in a real browser (Debian's Chromium via Playwright) for `make bench`.

Targets on this 2-core machine: page load to the first full before/after view ≤ 5 s; a units
edit to the updated after view ≤ 0.5 s (median of 10)."""

from __future__ import annotations

import time

import numpy as np

from tests.browser_util import CHROMIUM, CHROMIUM_ARGS, streamlit_server, wait_idle

SRCS_JS = "() => [...document.querySelectorAll('[data-testid=\"stImage\"] img')].map(i => i.src)"


def _first_view(page, url: str) -> float:
    """Seconds from navigation to the before/after images of the prediction tab, opened as a
    user would as soon as it appears."""
    t0 = time.monotonic()
    page.goto(url)
    tab = page.get_by_role("tab", name="4 · Prediction")
    tab.wait_for(timeout=90_000)
    tab.click()
    panel = page.locator('[role="tabpanel"]:visible').first
    panel.locator('[data-testid="stImage"] img').nth(3).wait_for(timeout=90_000)
    return time.monotonic() - t0


def _units_edit(page) -> float:
    """Seconds from pressing Enter on a new dose (half a unit more, or 2 U less once over 6 U,
    so it always differs from the current one) to two new prediction images."""
    page.get_by_role("tab", name="3 · Plan").click()
    wait_idle(page)
    panel = page.locator('[role="tabpanel"]:visible').first
    field = panel.locator('[data-testid="stNumberInput"]').filter(has_text="Units").last
    old = page.evaluate(SRCS_JS)
    current = float(field.locator("input").input_value())
    value = current + 0.5 if current < 6.0 else current - 2.0
    field.locator("input").fill(f"{value:g}")
    t = time.monotonic()
    field.locator("input").press("Enter")
    page.wait_for_function(
        f"(old) => ({SRCS_JS})().filter(s => !old.includes(s)).length >= 2",
        arg=old,
        timeout=30_000,
        polling=20,
    )
    elapsed = time.monotonic() - t
    wait_idle(page)
    return elapsed


def bench_ui(cold_starts: int = 3, repeats: int = 10) -> dict:
    """Cold (fresh server) and warm first-view times, and units-edit latency."""
    if not CHROMIUM.exists():
        return {"skipped": "Debian's chromium is not installed (make browser installs it)"}
    from playwright.sync_api import sync_playwright

    cold, warm, edits = [], [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            for start in range(cold_starts):
                with streamlit_server() as url:
                    page = browser.new_page(viewport={"width": 1400, "height": 1900})
                    cold.append(_first_view(page, url))
                    if start == 0:
                        wait_idle(page)
                        for _ in range(repeats):
                            edits.append(_units_edit(page))
                        for _ in range(repeats):
                            fresh = browser.new_page(viewport={"width": 1400, "height": 1900})
                            warm.append(_first_view(fresh, url))
                            fresh.close()
                    page.close()
        finally:
            browser.close()
    return {
        "first_view_cold_server_s_median": round(float(np.median(cold)), 2),
        "first_view_warm_server_s_median": round(float(np.median(warm)), 2),
        "units_edit_to_after_view_s_median": round(float(np.median(edits)), 3),
        "cold_starts": cold_starts,
        "repeats": repeats,
    }


if __name__ == "__main__":
    print(bench_ui())
