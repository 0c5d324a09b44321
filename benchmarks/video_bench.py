"""Video (issue 18): seconds to analyse 10 s of 30 fps video (target ≤ 3 s on this 2-core
machine), the timing and lifts read on a known lagging smile, the memory a long clip costs
while it streams, and how fast an over-long file is refused.

Clips are synthetic (tests/video_clips.py): the demo face with a known mouth-corner lift per
side, the right side starting 6 frames (200 ms) after the left. `bench_video()` returns a dict
for benchmarks/results.json; `print_video` prints it as `make bench` does."""

from __future__ import annotations

import tempfile
import threading
import time
from pathlib import Path

import cv2
import numpy as np

from simulation.analysis import analyze_image
from simulation.errors import InputError
from simulation.ingest import load_image
from simulation.video import analyze_video
from tests.video_clips import FPS, smile_clip

SAMPLE = Path(__file__).resolve().parent.parent / "simulation" / "demo" / "grace_hopper.jpg"
LIFT = {"left": 4.0, "right": 2.5}
START = {"left": 120, "right": 126}  # frames: the smile starts at 4 s, the right 200 ms late


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class _PeakRss:
    """The largest resident memory of this process while the block runs (sampled every 20 ms)."""

    def __enter__(self) -> _PeakRss:
        self.base = _rss_mb()
        self.peak = self.base
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()
        return self

    def _watch(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, _rss_mb())

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _padded(rgb: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """The photo in the middle of a larger grey frame (w, h): a 720p clip of the same face."""
    w, h = size
    out = np.full((h, w, 3), 110, np.uint8)
    y, x = (h - rgb.shape[0]) // 2, (w - rgb.shape[1]) // 2
    out[y : y + rgb.shape[0], x : x + rgb.shape[1]] = rgb
    return out


def _clip(folder: Path, name: str, rgb: np.ndarray, seconds: float, fourcc: str) -> Path:
    analysis = analyze_image(load_image(cv2.imencode(".png", rgb[..., ::-1])[1].tobytes()))
    n = int(seconds * FPS)
    return smile_clip(folder / name, rgb, analysis, LIFT, START, n=n, fourcc=fourcc)


def bench_video() -> dict:
    out: dict = {}
    rgb = np.asarray(load_image(SAMPLE).rgb)
    analyze_video(_clip(Path(tempfile.mkdtemp()), "warm.mp4", rgb, 1.0, "mp4v"))  # model load
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for label, frame in (
            ("512x600", rgb),
            ("1280x720", _padded(rgb, (1280, 720))),
        ):
            clip = _clip(folder, f"ten_{label}.mp4", frame, 10.0, "mp4v")
            t0 = time.perf_counter()
            va = analyze_video(clip)
            seconds = time.perf_counter() - t0
            (move,) = va.movements()
            timing = next(t for t in move.timings if t.measure == "commissure_height_mm")
            out[label] = {
                "seconds_per_10s_30fps": round(seconds, 2),
                "frames_tracked": len(va.track.samples),
                "onset_lag_ms": round(timing.onset_lag_ms or float("nan"), 1),
                "peak_lag_ms": round(timing.peak_lag_ms or float("nan"), 1),
                "true_lag_ms": 200.0,
                "peak_left_mm": round(timing.left.peak_mm, 2),
                "peak_right_mm": round(timing.right.peak_mm, 2),
                "true_lift_mm": [LIFT["left"], LIFT["right"]],
            }
        long_clip = _clip(folder, "long_720p.mp4", _padded(rgb, (1280, 720)), 60.0, "mp4v")
        with _PeakRss() as rss:
            t0 = time.perf_counter()
            analyze_video(long_clip)
            seconds = time.perf_counter() - t0
        out["long_clip"] = {
            "seconds": 60.0,
            "size": "1280x720",
            "file_mb": round(long_clip.stat().st_size / 2**20, 1),
            "analysis_s": round(seconds, 1),
            "rss_before_mb": round(rss.base, 1),
            "rss_peak_mb": round(rss.peak, 1),
            "rss_growth_mb": round(rss.peak - rss.base, 1),
            "raw_frames_mb": round(60 * FPS * 1280 * 720 * 3 / 2**20, 0),
        }
        two_hours = folder / "two_hours.avi"
        writer = cv2.VideoWriter(str(two_hours), cv2.VideoWriter_fourcc(*"MJPG"), 1.0, (16, 16))
        for _ in range(7200):
            writer.write(np.full((16, 16, 3), 128, np.uint8))
        writer.release()
        t0 = time.perf_counter()
        try:
            analyze_video(two_hours)
            message = "accepted (wrong)"
        except InputError as err:
            message = str(err)
        out["two_hour_file"] = {
            "refused_in_ms": round(1000 * (time.perf_counter() - t0), 1),
            "message": message,
        }
    return out


def print_video(v: dict) -> None:
    for label in ("512x600", "1280x720"):
        r = v[label]
        print(
            f"video {label}: {r['seconds_per_10s_30fps']} s per 10 s of 30 fps (≤ 3 s), "
            f"{r['frames_tracked']} frames tracked; lag read {r['onset_lag_ms']} ms at the start, "
            f"{r['peak_lag_ms']} ms at the peak (true 200); lifts {r['peak_left_mm']} / "
            f"{r['peak_right_mm']} mm (true 4.0 / 2.5)"
        )
    lc = v["long_clip"]
    print(
        f"video, streaming a {lc['seconds']:.0f} s {lc['size']} clip ({lc['file_mb']} MB, "
        f"{lc['raw_frames_mb']:.0f} MB of raw frames): {lc['analysis_s']} s, resident memory "
        f"{lc['rss_before_mb']} -> {lc['rss_peak_mb']} MB (+{lc['rss_growth_mb']} MB)"
    )
    th = v["two_hour_file"]
    print(f"video, a 2-hour file: refused in {th['refused_in_ms']} ms: {th['message']}")


if __name__ == "__main__":
    print_video(bench_video())
