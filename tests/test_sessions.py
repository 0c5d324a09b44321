"""Four browser sessions on one Streamlit server at once, each with its own photo and plan,
edited at the same time: none ever shows another's photo, plan or figures.

The server caches by content and shares those caches between sessions; what a session holds
(photos, plans) must stay its own. Real photos from ../shared/faces/frontal (skipped when
absent); Debian's Chromium driven by Playwright."""

from __future__ import annotations

import re

import pytest

from tests.browser_util import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, streamlit_server, wait_idle
from tests.conftest import SHARED_FACES

pytestmark = pytest.mark.browser

PHOTOS = (
    "01_astronaut_eileen_collins.png",
    "03_obama_portrait.jpg",
    "04_biden.jpg",
    "05_alex_lacamoire.jpg",
)
UNITS = (1.5, 2.5, 3.5, 4.5)  # each session's dose at its one injection (ona)
IMG_SRCS = "() => [...document.querySelectorAll('[data-testid=\"stImage\"] img')].map(i => i.src)"


def _panel(page):
    return page.locator('[role="tabpanel"]:visible').first


def _open_tab(pages, label: str) -> None:
    """Click a tab in every session first, then wait for all: the reruns overlap."""
    for page in pages:
        page.get_by_role("tab", name=label).click()
    for page in pages:
        wait_idle(page)


def _assert_clean(page) -> None:
    assert "Traceback" not in page.locator("body").inner_text()
    assert page.locator('[data-testid="stException"]').count() == 0


def _photo_line(text: str) -> str:
    """The Photos card's 'Scale: … mm/px (…), photo W×H px' line: figures of that photo."""
    found = re.search(r"Scale: [^\n]*px", text)
    assert found, text
    return found.group(0)


def test_four_sessions_keep_their_own_photo_plan_and_figures() -> None:
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (make browser installs it)")
    photos = [SHARED_FACES / "frontal" / name for name in PHOTOS]
    if not all(p.exists() for p in photos):
        pytest.skip("the real test photos (../shared/faces/frontal) are absent")
    sync_api = pytest.importorskip("playwright.sync_api")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with streamlit_server() as url, sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            contexts = [
                browser.new_context(viewport={"width": 1280, "height": 900}) for _ in photos
            ]
            pages = [c.new_page() for c in contexts]
            for page in pages:
                page.goto(url)
            for page in pages:
                page.get_by_role("tab", name="3 · Plan").wait_for(timeout=90_000)
                wait_idle(page)

            # Every session uploads its patient's photo at once.
            for page, photo in zip(pages, photos, strict=True):
                page.locator('.st-key-uploader input[type="file"]').set_input_files(str(photo))
            for page, photo in zip(pages, photos, strict=True):
                page.get_by_text(photo.name).first.wait_for(timeout=90_000)
                wait_idle(page)
                _assert_clean(page)
            photo_lines = [_photo_line(_panel(page).inner_text()) for page in pages]
            assert len(set(photo_lines)) == len(pages), photo_lines

            # Every session adds its own dose at the same time (the patient's Plan A is empty).
            _open_tab(pages, "3 · Plan")
            for page, units in zip(pages, UNITS, strict=True):
                adder = (
                    _panel(page).locator('[data-testid="stNumberInput"]').filter(has_text="Units (")
                )
                field = adder.first.locator("input")
                field.fill(f"{units:g}")
                field.press("Tab")
            for page in pages:
                _panel(page).get_by_role("button", name="Add injection").click()
            for page in pages:
                wait_idle(page)
                _panel(page).get_by_text("Preview at day 14").wait_for(timeout=60_000)
            # …and edits it again at once: the fine-tune dose, twice the first.
            for page, units in zip(pages, UNITS, strict=True):
                fine = (
                    _panel(page).locator('[data-testid="stNumberInput"]').filter(has_text="Units")
                )
                field = fine.last.locator("input")
                field.fill(f"{2 * units:g}")
                field.press("Enter")
            for page in pages:
                wait_idle(page)

            images = []
            for k, (page, units) in enumerate(zip(pages, UNITS, strict=True)):
                _assert_clean(page)
                text = _panel(page).inner_text()
                assert f"Total {2 * units:g} U onabotulinumtoxinA" in text, text
                for other in UNITS:
                    if other != units:
                        assert f"Total {2 * other:g} U " not in text
                images.append(set(page.evaluate(IMG_SRCS)))
                page.screenshot(path=str(ARTIFACTS / f"session{k + 1}_plan.png"), full_page=True)
            for k, own in enumerate(images):
                assert len(own) == 3  # before, predicted photo, predicted 3D
                others = set().union(*(s for j, s in enumerate(images) if j != k))
                assert not own & others, "a session shows another session's picture"

            # Back on the Photos tab: each still holds its own photo, and only that one.
            _open_tab(pages, "1 · Photos")
            for page, photo, line in zip(pages, photos, photo_lines, strict=True):
                text = _panel(page).inner_text()
                assert photo.name in text and _photo_line(text) == line
                assert not any(o.name in text for o in photos if o != photo)
        finally:
            browser.close()
