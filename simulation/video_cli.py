"""`symmetry-studio analyze-video`: the rest and peak frames of a clip, its per-side curves and
its timing asymmetry."""

from __future__ import annotations

import argparse
from typing import Any

from .cli_args import EXIT_OK
from .cli_args import print_json as _print_json

__all__ = ["add_parser", "cmd_analyze_video"]

CURVE_STEP_MS = 100.0  # the text output prints the curves every 0.1 s


def add_parser(subparsers: Any) -> None:
    """Add the `analyze-video` subcommand to the CLI's subparsers."""
    from .analysis import EXPRESSIONS

    a = subparsers.add_parser(
        "analyze-video",
        help="rest and peak frames, per-side curves and timing asymmetry of a clip",
    )
    a.add_argument("clip", help="MP4, MOV or WebM clip of one movement (starting at rest)")
    a.add_argument(
        "--expression",
        choices=EXPRESSIONS[1:],
        help="the movement filmed (default: guessed from what moves)",
    )
    a.add_argument("--mirrored", action="store_true", help="the clip is a mirrored selfie")
    a.add_argument(
        "--tracking",
        choices=("image", "video"),
        default="image",
        help="find the face afresh on each frame (default) or MediaPipe's smoothing VIDEO mode",
    )
    a.add_argument("--json", action="store_true", help="print one JSON object")
    a.add_argument("--every", type=int, default=1, help="with --json: keep every n-th curve sample")


def cmd_analyze_video(args: argparse.Namespace) -> int:
    """Analyse one clip and print what it shows."""
    from .metrics import LABELS
    from .video import analyze_video

    va = analyze_video(
        args.clip, expression=args.expression, mirrored=args.mirrored, tracking=args.tracking
    )
    if args.json:
        _print_json(va.to_json(every=max(1, args.every)))
        return EXIT_OK
    info = va.track.info
    print(
        f"{info.name}: {info.duration_s:.1f} s at {info.fps:.0f} fps, {info.width}x{info.height} "
        f"({info.codec}); {len(va.track.samples)} frames tracked"
    )
    times = ", ".join(f"{f.time_ms / 1000:.2f} s" for f in va.rest_frames)
    print(f"rest frames: {times}")
    for p, m in zip(va.peaks, va.movements(), strict=True):
        t = va.track.times_ms
        print(
            f"{p.role}: {t[m.start] / 1000:.2f}-{t[m.end] / 1000:.2f} s, "
            f"peak frame at {p.time_ms / 1000:.2f} s"
        )
        for timing in m.timings:
            print(f"  {timing.sentence()}")
    single = va.rest_frames[len(va.rest_frames) // 2].analysis
    n = len(va.rest_frames)
    print(f"rest, {n} frames combined (± 80% band; one frame's in brackets):")
    for name, m in va.rest.metrics.items():
        if m.diff_sd > 0:
            one = 1.2816 * single.metrics[name].diff_sd
            print(f"  {LABELS[name]:34} L-R {m.diff:+6.2f} ±{1.2816 * m.diff_sd:.2f} ({one:.2f})")
    print("curves (excursion from rest, mm, left/right):")
    heads = "  ".join(f"{c.measure[:18]:>18}" for c in va.curves)
    print(f"  {'t (s)':>6}  {heads}")
    next_t = 0.0
    for k, t_ms in enumerate(va.curves[0].times_ms):
        if t_ms + 1e-6 < next_t:
            continue
        next_t = t_ms + CURVE_STEP_MS
        cells = "  ".join(f"{c.left[k]:+8.2f}/{c.right[k]:+8.2f}"[:18].rjust(18) for c in va.curves)
        print(f"  {t_ms / 1000:6.2f}  {cells}")
    for w in va.warnings:
        print(f"warning [{w.code}]: {w.message}")
    return EXIT_OK
