"""`make bench`: speed, memory and accuracy figures, printed and written to benchmarks/results.json.

Targets (2-core machine): analysis ≤ 40 ms median per photo warm; basis build ≤ 1 s for ~7,000
vertices; one plan at one day ≤ 2 ms; 200 uncertainty samples ≤ 100 ms; dashboard first
before/after view ≤ 2 s from server start and a day or dose change → updated after view ≤ 0.2 s
(printed, not failed on), with the server's memory over 50 uploads; records on SQLite: saving a
visit ≤ 50 ms, loading a patient with 20 visits ≤ 200 ms, a follow-up update ≤ 100 ms; a clip
≤ 3 s per 10 s of 30 fps, streamed in bounded memory (benchmarks/video_bench.py); the consult
report's PDF ≤ 1 s (benchmarks/report_bench.py); the published effects beside the model's
figures (benchmarks/validity_bench.py, issue 16). Peak memory
is this process's (the browser and the Streamlit server run as separate processes)."""

from __future__ import annotations

import dataclasses
import json
import os
import resource
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from simulation import landmarker, mechanics, response  # noqa: E402
from simulation.analysis import analyze_image  # noqa: E402
from simulation.ingest import flip_horizontal, load_image  # noqa: E402
from simulation.pharmacology import Params  # noqa: E402
from simulation.plan import parse_plan  # noqa: E402
from simulation.prediction import build_subject, predict  # noqa: E402
from simulation.response import activation_change, effects, point_metrics  # noqa: E402
from tests.warp import (  # noqa: E402
    drop_upper_lid,
    height_difference_mm,
    lift_brow,
    raise_lower_lid,
    widen_jaw,
)

FRONTAL = ROOT.parent / "shared" / "faces" / "frontal"
SAMPLE = ROOT / "simulation" / "demo" / "grace_hopper.jpg"

# Known warps of one side, each with what it moves, by how much, what reads it (left minus
# right) and the sign the change has for the patient's left side.
KNOWN_WARPS = {
    "2.5 mm brow lift": (lift_brow, 2.5, lambda b, a: b.metrics["brow_height_mm"].diff, 1.0),
    "1 mm upper-lid drop": (
        drop_upper_lid,
        1.0,
        lambda b, a: height_difference_mm(b, a, "lid_upper"),
        -1.0,
    ),
    "1 mm lower-lid rise": (
        raise_lower_lid,
        1.0,
        lambda b, a: height_difference_mm(b, a, "lid_lower"),
        1.0,
    ),
    "2 mm jaw widening": (
        widen_jaw,
        2.0,
        lambda b, a: b.metrics["lower_face_half_width_mm"].diff,
        1.0,
    ),
}


def ms(seconds: float) -> float:
    return round(1000.0 * seconds, 2)


def timed(fn, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def bench_analysis(photos: list[Path]) -> dict:
    t = time.perf_counter()
    landmarker.get_landmarker()
    load_s = time.perf_counter() - t
    per_photo, accuracy = [], {}
    for path in photos:
        data = path.read_bytes()
        analyze_image(load_image(data, name=path.name))  # warm
        times = timed(lambda d=data, n=path.name: analyze_image(load_image(d, name=n)), 3)
        per_photo.append(min(times))
        a = analyze_image(load_image(data, name=path.name))
        b = analyze_image(flip_horizontal(load_image(data, name=path.name)))
        mirror = max(abs(a.metrics[k].diff + b.metrics[k].diff) for k in a.metrics)
        recovered = {}
        for name, (warp, amount, read, left_sign) in KNOWN_WARPS.items():
            before, seen = read(a, a), {}
            for side, sign in (("left", left_sign), ("right", -left_sign)):
                warped = dataclasses.replace(a.image, rgb=warp(a.image.rgb, a, side, amount))
                seen[side] = round(sign * (read(analyze_image(warped), a) - before), 2)
            recovered[name] = seen
        accuracy[path.stem] = {
            "mirror_max_disagreement_mm": round(mirror, 3),
            "known_warps_recovered_mm": recovered,
            "warnings": [w.code for w in a.warnings],
        }
    arr = np.array(per_photo)
    return {
        "photos": len(photos),
        "model_load_ms": ms(load_s),
        "analysis_ms_median": ms(float(np.median(arr))),
        "analysis_ms_p90": ms(float(np.percentile(arr, 90))),
        "per_photo": accuracy,
    }


def bench_simulation() -> dict:
    a = analyze_image(load_image(SAMPLE))

    def fresh_build():
        response._bases.clear()  # time the solve itself, not the geometry-keyed reuse
        return build_subject(a)

    build = timed(fresh_build, 3)
    s = build_subject(a)
    plan = parse_plan(
        {
            "product": "ona",
            "injections": [{"site": "glabella_procerus", "units": 4}]
            + [{"site": f"corrugator_medial_{x}", "units": 4} for x in ("left", "right")]
            + [{"site": f"frontalis_lateral_{x}", "units": 2} for x in ("left", "right")],
        }
    )
    day = np.array([14.0])
    expr = s.expression_activation("rest")

    def one_plan_one_day() -> None:
        inh, thick = effects(s, plan, day, Params())
        delta = activation_change(s, inh, thick, expr)
        np.tensordot(delta, s.landmark_basis, axes=([-1], [0]))
        point_metrics(s, delta)

    one = timed(one_plan_one_day, 50)
    inh, thick = effects(s, plan, day, Params())
    delta = activation_change(s, inh, thick, expr)[0]
    loads = sum(
        d * mechanics.muscle_load(s.model, m, a.mesh.vertices_mm)
        for d, m in zip(delta, s.muscles, strict=True)
    )
    direct = timed(lambda: mechanics.solve_direct(s.model, loads), 5)
    sampled = timed(lambda: predict(s, plan, [14.0], samples=200), 10)
    return {
        "vertices": s.model.n_vertices,
        "muscles": len(s.muscles),
        "basis_build_ms_median": ms(float(np.median(build))),
        "plan_one_day_ms_median": ms(float(np.median(one))),
        "direct_solve_ms_median": ms(float(np.median(direct))),
        "direct_over_basis_ratio": round(float(np.median(direct) / np.median(one)), 1),
        "predict_200_samples_ms_median": ms(float(np.median(sampled))),
    }


def main() -> int:
    photos = sorted(FRONTAL.iterdir()) if FRONTAL.is_dir() else [SAMPLE]
    from benchmarks.records_bench import bench_records, print_records
    from benchmarks.repeat_bench import bench_repeatability, print_repeatability
    from benchmarks.report_bench import bench_report, print_report
    from benchmarks.suggest_bench import bench_suggest
    from benchmarks.ui_bench import bench_ui
    from benchmarks.validity_bench import bench_validity, print_validity
    from benchmarks.video_bench import bench_video, print_video

    results = {
        "analysis": bench_analysis(photos),
        "repeatability": bench_repeatability(FRONTAL),
        "simulation": bench_simulation(),
        "suggestion": bench_suggest(),
        "dashboard": bench_ui(),
        "records": bench_records(),
        "video": bench_video(),
        "report": bench_report(),
        "validity": bench_validity(),
    }
    results["peak_memory_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    out = ROOT / "benchmarks" / "results.json"
    previous = json.loads(out.read_text()) if out.exists() else {}
    previous.update(results)
    out.write_text(json.dumps(previous, indent=2) + "\n")
    an, sim = results["analysis"], results["simulation"]
    print(
        f"analysis: {an['photos']} photos, median {an['analysis_ms_median']} ms, "
        f"p90 {an['analysis_ms_p90']} ms (target ≤ 40 ms); model load {an['model_load_ms']} ms"
    )
    print(f"{'photo':24} {'mirror mm':>9}" + "".join(f"{n:>21}" for n in KNOWN_WARPS))
    within: dict[str, list[bool]] = {n: [] for n in KNOWN_WARPS}
    for name, row in an["per_photo"].items():
        seen = row["known_warps_recovered_mm"]
        if not {"small_iris", "head_turned"} & set(row["warnings"]):
            for warp, (_, amount, _, _) in KNOWN_WARPS.items():
                within[warp] += [abs(v - amount) <= 0.5 for v in seen[warp].values()]
        cells = "".join(f"{seen[n]['left']:>10.2f} / {seen[n]['right']:<8.2f}" for n in KNOWN_WARPS)
        print(
            f"{name[:24]:24} {row['mirror_max_disagreement_mm']:9.3f}{cells}  "
            + ",".join(row["warnings"])
        )
    print(
        "known warps read within ±0.5 mm (L / R seen above), photos without an imprecision "
        "warning: " + "; ".join(f"{n} {sum(v)} of {len(v)}" for n, v in within.items())
    )
    print_repeatability(results["repeatability"])
    print_video(results["video"])
    print_report(results["report"])
    print_validity(results["validity"])
    print(
        f"simulation: basis {sim['basis_build_ms_median']} ms for {sim['vertices']} vertices × "
        f"{sim['muscles']} muscles (≤ 1000); one plan one day {sim['plan_one_day_ms_median']} ms "
        f"(≤ 2); direct solve {sim['direct_solve_ms_median']} ms "
        f"({sim['direct_over_basis_ratio']}× slower); 200 samples "
        f"{sim['predict_200_samples_ms_median']} ms (≤ 100)"
    )
    sg = results["suggestion"]
    print(
        f"suggestion: {sg['photos']} photos, attribution {sg['attribution_ms_median']} ms, "
        f"suggestion {sg['suggestion_ms_median']} ms median (max {sg['suggestion_ms_max']} ms); "
        f"attribution + suggestion p90 {sg['attribution_plus_suggestion_ms_p90']} ms (≤ 1000)"
    )
    ui = results["dashboard"]
    if "skipped" in ui:
        print(f"dashboard: skipped ({ui['skipped']})")
    else:
        print(
            "dashboard (Chromium, software WebGL): first before/after 3D view "
            f"{ui['first_view_from_server_start_s_median']} s from server start (target ≤ 2), "
            f"{ui['first_view_page_load_warm_server_s_median']} s from a page load on a warm "
            f"server; day change → 3D after view {ui['day_change_to_3d_after_view_s_median']} s, "
            f"dose change → after preview {ui['dose_change_to_after_preview_s_median']} s "
            f"(target ≤ 0.2; medians of {ui['repeats']})"
        )
        print(
            f"server memory (RSS MB) over {ui['uploads']} uploads in one session (every 10): "
            f"{ui['rss_mb_one_session_every_10_uploads']}; across {ui['uploads']} sessions: "
            f"{ui['rss_mb_across_sessions_every_10']}"
        )
    print_records(results["records"])
    print(f"peak memory {results['peak_memory_mb']} MB; written to {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
