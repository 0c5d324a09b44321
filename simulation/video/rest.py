"""Several rest frames of one clip combined into one steadier rest analysis, with its ±.

The frames' measurements are averaged. Their errors are not independent (same light, same
camera, the same MediaPipe habits on the same face), so the average's uncertainty is not the
single-frame one over √n: a share `FRAME_CORRELATION` of each frame's variance is taken as
common to all of them and stays, the rest averages down. The frames' own scatter of the
difference, over √n, is a floor: frames that disagree more than their ± says keep a wider ±.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

from ..analysis import Analysis
from ..metrics import Metric

__all__ = ["FRAME_CORRELATION", "combine_rest", "combined_sd"]

FRAME_CORRELATION = 0.5
"""Share of one frame's measurement variance common to every frame of a clip (assumption, not
yet calibrated on repeated clips: with 5 frames the ± shrinks to 77% of one frame's, where
independent frames would give 45%)."""


def combined_sd(sds: Sequence[float], diffs: Sequence[float]) -> float:
    """1-sd uncertainty of the mean difference of n frames with these sds and differences."""
    n = len(sds)
    var = float(np.mean(np.square(sds)))
    sd = np.sqrt(var * (FRAME_CORRELATION + (1.0 - FRAME_CORRELATION) / n))
    if n > 1:
        sd = max(sd, float(np.std(diffs, ddof=1)) / np.sqrt(n))
    return float(sd)


def combine_rest(analyses: Sequence[Analysis]) -> Analysis:
    """One rest analysis from several rest frames: the middle frame's face, photo and mesh with
    the frames' mean measurements and points and the combined ± (one frame: itself)."""
    if len(analyses) == 1:
        return analyses[0]
    base = analyses[len(analyses) // 2]
    metrics = {}
    for name, m in base.metrics.items():
        each = [a.metrics[name] for a in analyses]
        left = float(np.mean([e.left for e in each]))
        right = float(np.mean([e.right for e in each]))
        sd = combined_sd([e.diff_sd for e in each], [e.diff for e in each])
        metrics[name] = Metric(m.name, left, right, sd if m.diff_sd > 0 else 0.0)
    points = {k: np.mean([a.points_mm[k] for a in analyses], axis=0) for k in base.points_mm}
    seen: dict[str, object] = {}
    for a in analyses:
        for w in a.warnings:
            seen.setdefault(w.code, w)
    return dataclasses.replace(
        base, metrics=metrics, points_mm=points, warnings=tuple(seen.values())
    )
