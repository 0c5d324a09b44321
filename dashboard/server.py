"""`python streamlit_app.py [streamlit options]` (what `make run` does): the dashboard, with the
landmark model, the 3D renderer and the demo face's tissue model loading while the server
starts, so the first visitor does not wait for them. `streamlit run streamlit_app.py` works too."""

from __future__ import annotations

import contextlib
import sys
import threading

__all__ = ["serve"]


def _demo_face() -> None:
    """Analyse the demo face and solve its tissue model, which the dashboard opens on: the first
    visitor's `build_subject` then finds the solved basis (kept by face geometry)."""
    from simulation.analysis import analyze_image
    from simulation.ingest import load_image
    from simulation.prediction import build_subject

    from .state import DEMO, DEMO_NAME

    build_subject(analyze_image(load_image(DEMO.read_bytes(), name=DEMO_NAME), "rest"))


def _warm_up() -> None:
    """Load the landmark model, start VTK and solve the demo face; a failure is reported when
    the app needs them."""
    from simulation.landmarker import get_landmarker
    from simulation.render import warm_up

    for step in (get_landmarker, warm_up, _demo_face):
        with contextlib.suppress(Exception):
            step()


def serve(script: str, options: list[str]) -> None:
    """Run `streamlit run script [options]` after starting the warm-up in the background."""
    from streamlit.web import cli

    threading.Thread(target=_warm_up, name="warm-up", daemon=True).start()
    sys.argv = ["streamlit", "run", script, *options]
    cli.main()
