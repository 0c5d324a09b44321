"""`python streamlit_app.py [streamlit options]` (what `make run` does): the dashboard, with the
landmark model and the 3D renderer loading while the server starts, so the first visitor does
not wait for them (~2.5 s). `streamlit run streamlit_app.py` works too."""

from __future__ import annotations

import contextlib
import sys
import threading

__all__ = ["serve"]


def _warm_up() -> None:
    """Load the landmark model and start VTK; a failure is reported when the app needs them."""
    from simulation.landmarker import get_landmarker
    from simulation.render import warm_up

    for step in (get_landmarker, warm_up):
        with contextlib.suppress(Exception):
            step()


def serve(script: str, options: list[str]) -> None:
    """Run `streamlit run script [options]` after starting the warm-up in the background."""
    from streamlit.web import cli

    threading.Thread(target=_warm_up, name="warm-up", daemon=True).start()
    sys.argv = ["streamlit", "run", script, *options]
    cli.main()
