"""What every contour refinement returns, and the continuous weighing it is built from.

A refinement never picks between rival readings or switches at a gate: each candidate is
weighed by how well it fits, a gate is a smooth ramp, and where the photo cannot decide the
answer slides towards the face model's own reading while its uncertainty widens. So a slightly
different photo of the same face moves the answer a little, never by a jump.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Estimate", "blend", "chain_posteriors", "ramp", "weighted_spread"]


@dataclass(frozen=True)
class Estimate:
    """One contour's left-right reading: how far (pixels along the contour's own axis) the
    photo moves the patient's left and right points from the face model's, its uncertainty
    (1 sd of the left-minus-right difference), how much of it the image decided (0 = the face
    model's reading stands, 1 = the image's) and, where the image weighed less than fully, why
    (a warning code)."""

    left_px: float
    right_px: float
    sd_px: float
    weight: float
    reason: str | None = None

    @property
    def diff_px(self) -> float:
        """The left-minus-right change the photo brings."""
        return self.left_px - self.right_px

    @classmethod
    def antisymmetric(
        cls, diff_px: float, sd_px: float, weight: float, reason: str | None = None
    ) -> Estimate:
        """Half the difference to each side, in opposite directions (the mean stays the face
        model's, as for the lids and the jaw)."""
        return cls(0.5 * diff_px, -0.5 * diff_px, sd_px, weight, reason)


def ramp(x: np.ndarray | float, lo: float, hi: float) -> np.ndarray | float:
    """0 below `lo`, 1 above `hi`, a smooth (C1) step between: a gate that does not switch."""
    t = np.clip((np.asarray(x, dtype=np.float64) - lo) / (hi - lo), 0.0, 1.0)
    out = t * t * (3.0 - 2.0 * t)
    return float(out) if out.ndim == 0 else out


def blend(image: float, image_sd: float, weight: float, model_sd: float) -> tuple[float, float]:
    """The image's correction `image` (sd `image_sd`) trusted by `weight`, the face model's own
    reading (correction 0, sd `model_sd`) by the rest: the mixture's mean and sd. Where the two
    disagree and the weight is partial, the sd covers both (the photo cannot decide)."""
    w = float(np.clip(weight, 0.0, 1.0))
    var = w * image_sd**2 + (1.0 - w) * model_sd**2 + w * (1.0 - w) * image**2
    return w * image, float(np.sqrt(var))


def weighted_spread(values: np.ndarray, weights: np.ndarray) -> tuple[float, float, float]:
    """Weighted mean, weighted sd and the effective number of readings (Kish) of `values`."""
    w = np.asarray(weights, dtype=np.float64)
    total = float(w.sum())
    if total <= 1e-12:
        return 0.0, 0.0, 0.0
    mean = float((w * values).sum() / total)
    sd = float(np.sqrt((w * (values - mean) ** 2).sum() / total))
    return mean, sd, total * total / float((w * w).sum())


def chain_posteriors(
    grid: np.ndarray,
    log_likelihoods: np.ndarray,
    prior_sd: float,
    coupling_sd: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Posterior mean and sd of a few corrections on a chain (e.g. a brow's medial, mid and
    lateral points), each on the same `grid`, given each one's log-likelihood over the grid
    (K, G), a Gaussian prior N(0, prior_sd) on each, and neighbours' corrections differing by
    N(0, coupling_sd) (the two brows' difference varies smoothly along the brow). Exact
    marginals by passing messages along the chain."""
    k = len(log_likelihoods)
    local = log_likelihoods - 0.5 * (grid / prior_sd) ** 2
    local = np.exp(local - local.max(axis=1, keepdims=True))
    kernel = np.exp(-0.5 * ((grid[:, None] - grid[None, :]) / coupling_sd) ** 2)
    forward = [np.ones_like(grid)]
    for i in range(1, k):
        m = kernel @ (local[i - 1] * forward[-1])
        forward.append(m / m.max())
    backward = [np.ones_like(grid)]
    for i in range(k - 2, -1, -1):
        m = kernel @ (local[i + 1] * backward[-1])
        backward.append(m / m.max())
    backward = backward[::-1]
    post = local * np.array(forward) * np.array(backward)
    post /= post.sum(axis=1, keepdims=True)
    mean = post @ grid
    sd = np.sqrt(np.maximum(post @ grid**2 - mean**2, 0.0))
    return mean, sd
