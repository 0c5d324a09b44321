"""A tiny Streamlit app showing the face3d viewer on the bundled demo face, for the browser
test and screenshots: a synthetic, plan-independent displacement scaled by a slider."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import streamlit as st

from dashboard import face3d
from simulation import atlas
from simulation.analysis import analyze_image
from simulation.ingest import load_image

SAMPLE = Path(__file__).resolve().parent.parent / "simulation" / "demo" / "grace_hopper.jpg"


@st.cache_resource(show_spinner=False)
def _analysis():
    return analyze_image(load_image(SAMPLE))


def synthetic_displacement(vertices: np.ndarray, mm: float) -> np.ndarray:
    """A smooth bump on the patient's left brow lifting by up to `mm`: not any plan's result,
    just something to see move."""
    v = np.asarray(vertices, dtype=np.float64)
    centre = np.array([v[:, 0].max() * 0.45, v[:, 1].max() * 0.55, 0.0])
    w = np.exp(-np.sum(((v - centre)[:, :2] / 18.0) ** 2, axis=1))
    return np.column_stack([0.2 * w, w, 0.3 * w]) * mm


st.set_page_config(page_title="face3d", layout="wide")
a = _analysis()
mm = st.slider("Displacement (mm)", 0.0, 4.0, 2.0, 0.5, key="mm")
muscles = st.toggle("Muscles", value=True, key="muscles")
v = a.mesh.vertices_mm
blocked = {
    mid: 0.2 * mm if mid.endswith("_left") else 0.025 * mm for mid, _ in atlas.muscle_paths(v)
}
lines = face3d.muscle_lines(v, blocked)
points = v[[105, 334, 52, 282]]
if not st.checkbox("Hide the 3D view", key="hide"):  # to test a remount
    face3d.viewer(
        a.mesh,
        synthetic_displacement(v, mm),
        a.image.rgb,
        points,
        lines,
        max_mm=4.0,
        show_muscles=muscles,
        labels=("Before", f"After · {mm:g} mm"),
        key="face3d",
    )
