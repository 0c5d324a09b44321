"""Video of a movement: decode a clip, track the face, per-side curves, rest and peak frames,
timing asymmetry, and a study from the chosen frames (docs/video.md)."""

from .clip import VIDEO_SCHEMA, ChosenFrame, VideoAnalysis, analyze_video
from .curves import CURVE_MEASURES, Curve
from .decode import ACCEPTED, MAX_SECONDS, ClipInfo, VideoFrame, clip_info, iter_frames
from .events import Events, Movement, SideTiming, Timing, find_events
from .rest import combine_rest
from .track import SAMPLE_FPS, Track, track_clip

__all__ = [
    "ACCEPTED",
    "CURVE_MEASURES",
    "MAX_SECONDS",
    "SAMPLE_FPS",
    "VIDEO_SCHEMA",
    "ChosenFrame",
    "ClipInfo",
    "Curve",
    "Events",
    "Movement",
    "SideTiming",
    "Timing",
    "Track",
    "VideoAnalysis",
    "VideoFrame",
    "analyze_video",
    "clip_info",
    "combine_rest",
    "find_events",
    "iter_frames",
    "track_clip",
]
