"""The rows of the dashboard's tables and of the measurements CSV, as plain dicts.

Views only lay these out; building them here keeps every number's rounding and wording testable
without Streamlit. Units: mm, degrees for angles (`unit`)."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from typing import Any

from .attribution import Attribution
from .errors import Notice
from .metrics import LABELS, METRIC_NAMES, VISIBILITY_MM, Z80, Metric
from .noteworthy import noteworthy
from .prediction import Range
from .schedule import Schedule
from .suggest import Suggestions

__all__ = [
    "CSV_COLUMNS",
    "amount",
    "attribution_rows",
    "compare_metric_rows",
    "compare_summary_rows",
    "followup_rows",
    "grouped_warnings",
    "measurements_csv",
    "metric_rows",
    "plan_totals",
    "predicted_symmetry_line",
    "prediction_rows",
    "r1",
    "rng",
    "suggestion_rows",
    "symmetry_index_line",
    "unit",
    "visit_rows",
]

SYMMETRY_INDEX = "symmetry_index_mm"
CSV_COLUMNS = (
    "metric",
    "unit",
    "before_left",
    "before_right",
    "before_diff",
    "before_diff_sd",
    "threshold",
    "plan",
    "day",
    "predicted_diff_median",
    "predicted_diff_p10",
    "predicted_diff_p90",
    "predicted_visible",
)


def unit(name: str) -> str:
    """A measurement's unit: degrees for angles, else mm."""
    return "°" if name.endswith("_deg") else "mm"


def r1(value: float) -> float:
    """One decimal, never '-0.0'."""
    return round(value, 1) + 0.0


def rng(r: Range) -> str:
    """A predicted value as 'median (p10 to p90)', signed, one decimal."""
    return f"{r1(r.median):+.1f} ({r1(r.p10):+.1f} to {r1(r.p90):+.1f})"


def amount(value: float, name: str) -> str:
    """An unsigned amount with its unit ('1.2 mm', '3.0°')."""
    return f"{abs(value):.1f}{'°' if unit(name) == '°' else ' mm'}"


def plan_totals(plan: Any) -> str:
    """The plan's totals in one line (the plan table's caption and the report's dose table)."""
    tot = plan.total_units()
    vol = float(sum(plan.volumes_ml())) if plan.injections else 0.0
    return (
        f"Total {tot['product']:g} U {plan.product} = {tot['ona']:.1f} U ona-equivalent, "
        f"{vol:.2f} ml at {plan.dilution_ml_per_100u:g} ml/100 U."
    )


def metric_rows(metrics: Mapping[str, Metric]) -> list[dict[str, Any]]:
    """The Analysis table: each two-sided measurement's sides, difference with its ± (the 80%
    band of what a re-taken photo would read), whether the photo tells it from zero, and the
    visibility threshold. The symmetry index has no sides: `symmetry_index_line` says it."""
    rows = []
    for name in METRIC_NAMES:
        if name == SYMMETRY_INDEX:
            continue
        m = metrics[name]
        rows.append(
            {
                "Measurement": LABELS[name],
                "Left": r1(m.left),
                "Right": r1(m.right),
                "Difference (L−R)": r1(m.diff),
                "± (80% band)": r1(Z80 * m.diff_sd),
                "Photo can tell it from 0": "yes" if m.distinguishable else "no (noise)",
                "Noticeable from": VISIBILITY_MM[name],
                "Unit": unit(name),
                "Visible": "● visible" if m.visible else "",
            }
        )
    return rows


def symmetry_index_line(metrics: Mapping[str, Metric]) -> str:
    """The whole face's symmetry index in one line (one figure, not a left and a right)."""
    return (
        f"Symmetry index: {r1(metrics[SYMMETRY_INDEX].left)} mm, the RMS distance between each "
        "landmark and its mirrored partner (0 = perfectly symmetric)."
    )


def prediction_rows(before: Mapping[str, Metric], at: Any) -> list[dict[str, Any]]:
    """The Prediction table: before and predicted left − right (with ranges) at one day;
    `at` is a one-day `Prediction`. The symmetry index has no sides:
    `predicted_symmetry_line` says it."""
    rows = []
    for n in METRIC_NAMES:
        if n == SYMMETRY_INDEX:
            continue
        mr = at.metrics[0][n]
        rows.append(
            {
                "Measurement": LABELS[n],
                "Before L−R": r1(before[n].diff),
                "Predicted L−R (p10 to p90)": rng(mr.diff),
                "Left": f"{mr.left.median:.1f} ({mr.left.p10:.1f}–{mr.left.p90:.1f})",
                "Right": f"{mr.right.median:.1f} ({mr.right.p10:.1f}–{mr.right.p90:.1f})",
                "Visible": "● visible" if mr.visible else "not visible",
            }
        )
    return rows


def predicted_symmetry_line(before: Mapping[str, Metric], at: Any) -> str:
    """The whole face's symmetry index before and predicted (one-day `Prediction` `at`)."""
    si = at.metrics[0][SYMMETRY_INDEX].left
    return (
        f"Symmetry index: {r1(before[SYMMETRY_INDEX].left)} mm before, {si.median:.1f} mm "
        f"predicted ({si.p10:.1f} to {si.p90:.1f}); the RMS distance between each landmark and "
        "its mirrored partner (0 = perfectly symmetric)."
    )


def measurements_csv(before: Mapping[str, Metric], at: Any, plan_name: str, day: float) -> str:
    """The measurements download: before and predicted (one-day `Prediction` `at`) per metric."""
    buf = io.StringIO()
    out = csv.writer(buf, lineterminator="\n")
    out.writerow(CSV_COLUMNS)
    for n in METRIC_NAMES:
        m, p = before[n], at.metrics[0][n]
        threshold = VISIBILITY_MM[n]
        out.writerow(
            [
                n,
                unit(n),
                round(m.left, 3),
                round(m.right, 3),
                round(m.diff, 3),
                round(m.diff_sd, 3),
                "" if threshold is None else float(threshold),
                plan_name,
                day,
                round(p.diff.median, 3),
                round(p.diff.p10, 3),
                round(p.diff.p90, 3),
                p.visible,
            ]
        )
    return buf.getvalue()


def attribution_rows(att: Attribution, shown: int = 8) -> list[dict[str, Any]]:
    """The 'what drives the asymmetry' table: the `shown` largest muscle contributions."""
    rows = []
    for k, m in enumerate(att.muscles[:shown], 1):
        top = max(m.explained_mm, key=lambda n: abs(m.explained_mm[n]))
        rows.append(
            {
                "#": k,
                "Muscle": m.name,
                "Side": m.side,
                "Stronger by": f"{100 * m.excess:.0f}% {m.quantity}",
                "Explains most of": LABELS[top],
                "Explained (L−R)": f"{m.explained_mm[top]:+.1f} {unit(top)}",
                "Confidence": m.confidence,
            }
        )
    return rows


def suggestion_rows(sug: Suggestions) -> list[dict[str, Any]]:
    """Before and each suggested plan's predicted left − right (median, p10 to p90), for the
    measurements that are asymmetric or that a plan changes (`noteworthy`)."""
    first = sug[0]
    row: dict[str, Any] = {
        "Measurement": "Symmetry index (mm)",
        "Before": round(first.symmetry_index_before, 1),
    }
    for sp in sug:
        si = sp.symmetry_index
        row[sp.name.capitalize()] = f"{si.median:.1f} ({si.p10:.1f} to {si.p90:.1f})"
    rows = [row]
    for n, d in first.predicted.items():
        if noteworthy(d.before, [sp.predicted[n].after.median for sp in sug]):
            label = f"{LABELS[n]} ({unit(n)})" + (f", day {d.day:g}" if d.day != 14 else "")
            row = {"Measurement": label, "Before": round(d.before, 1)}
            for sp in sug:
                row[sp.name.capitalize()] = rng(sp.predicted[n].after)
            rows.append(row)
    return rows


def compare_summary_rows(
    before: Mapping[str, Metric], results: Mapping[str, tuple[Any, Any]]
) -> list[dict[str, Any]]:
    """One row per compared plan (`results`: name → (plan, one-day prediction)), after a row
    for the face before treatment."""
    rows = [
        {
            "Plan": "(before)",
            "Product": "",
            "Total units (product)": 0.0,
            "Total units (ona-equivalent)": 0.0,
            "Symmetry index (mm)": round(before[SYMMETRY_INDEX].left, 2),
            "Visible asymmetries": sum(m.visible for m in before.values()),
            "Largest residual": "",
            "Warnings": 0,
        }
    ]
    for n, (plan, at) in results.items():
        m = at.metrics[0]
        visible = [LABELS[k] for k in METRIC_NAMES if m[k].visible]
        worst = max(
            (k for k in METRIC_NAMES if VISIBILITY_MM[k]),
            key=lambda k: abs(m[k].diff.median) / VISIBILITY_MM[k],
        )
        tot = plan.total_units()
        rows.append(
            {
                "Plan": n,
                "Product": plan.product,
                "Total units (product)": round(tot["product"], 1),
                "Total units (ona-equivalent)": round(tot["ona"], 1),
                "Symmetry index (mm)": round(m[SYMMETRY_INDEX].left.median, 2),
                "Visible asymmetries": len(visible),
                "Largest residual": f"{LABELS[worst]}: {rng(m[worst].diff)} {unit(worst)}",
                "Warnings": len(at.warnings),
            }
        )
    return rows


def compare_metric_rows(
    before: Mapping[str, Metric], results: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """Per measurement, before and each plan's predicted left − right (● = visible);
    `results`: plan name → one-day prediction."""
    rows = []
    for k in METRIC_NAMES:
        if k == SYMMETRY_INDEX:
            continue
        row: dict[str, Any] = {"Measurement": LABELS[k], "Before L−R": r1(before[k].diff)}
        for n, at in results.items():
            mr = at.metrics[0][k]
            row[n] = rng(mr.diff) + (" ●" if mr.visible else "")
        rows.append(row)
    return rows


def _band(r: Range) -> str:
    return f"{r.median:+.2f} ({r.p10:+.2f} to {r.p90:+.2f})"


def followup_rows(fu: Any) -> list[dict[str, Any]]:
    """Predicted against observed at a follow-up (`calibration.FollowUp`), per measurement:
    the Patients page's table and the report's follow-up section."""
    return [
        {
            "Measurement": LABELS[n],
            "Before": round(m.before, 2),
            "Predicted (p10 to p90)": _band(m.predicted),
            "Observed": f"{m.observed:+.2f} ± {m.observed_sd:.2f}",
            "Verdict": m.versus_prediction,
            "Updated (p10 to p90)": _band(m.updated),
        }
        for n, m in fu.metrics.items()
    ]


def visit_rows(sched: Schedule, brand: str) -> list[dict[str, Any]]:
    """The 12-month visit list; the Note column only when some visit has a note."""
    rows = [
        {
            "Day": v.day,
            "Date": f"{v.date:%a %d %b %Y}",
            "Visit": v.kind,
            "Injections": ", ".join(f"{i.site_id} {i.units:g} U" for i in v.injections)
            or "— (review only)",
            f"Total ({brand} U)": f"{sum(i.units for i in v.injections):g}",
            "Note": v.note,
        }
        for v in sched.visits
    ]
    if not any(r["Note"] for r in rows):
        for r in rows:
            del r["Note"]
    return rows


def grouped_warnings(notices: Sequence[Notice]) -> list[str]:
    """One line per problem: a plan repeated at every visit would repeat its warnings, so the
    same injection's same problem (code, site, wording) is listed once with its days."""
    days: dict[tuple[str, str | None, str, str], list[float]] = {}
    order: list[str | tuple[str, str | None, str, str]] = []
    for n in notices:
        if n.day is None or n.what is None or n.reason is None:
            order.append(n.message)
            continue
        key = (n.code, n.site, n.what, n.reason)
        if key not in days:
            days[key] = []
            order.append(key)
        days[key].append(n.day)
    out = []
    for item in order:
        if isinstance(item, str):
            out.append(item)
        else:
            d = ", ".join(f"{x:g}" for x in days[item])
            s = "s" if len(days[item]) > 1 else ""
            out.append(f"{item[2]} (day{s} {d}): {item[3]}")
    return out
