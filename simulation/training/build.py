"""A training case made concrete: the condition simulated forward on the base face.

The base photo is analysed and its response basis solved once; the condition becomes a change
of every muscle's load (extra tone, a weaker muscle, a thicker masseter, a previous treatment
still acting) plus a static displacement no muscle explains. The case face is the base face
moved by that change (its measurement points, mesh and landmarks), its muscles carry the
changed tone, and its photos are the base photo warped by the same displacement as the
predicted photo is (`photo_warp`). So every case has a known answer in the model's own terms."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property, lru_cache
from hashlib import sha256
from pathlib import Path

import numpy as np

from .. import pharmacology
from ..analysis import Analysis, Study, analyze_image
from ..attribution import KEY_METRICS
from ..ingest import flip_horizontal, load_image
from ..metrics import Metric, build_metrics, side_metrics, symmetry_index
from ..photo_warp import displacement_px, warp_photo
from ..plan import Plan
from ..prediction import Subject, build_subject
from ..response import activation_change, effects, point_metrics
from ..suggest import Suggestions, suggest
from .scenario import Scenario

__all__ = ["DEMO_PHOTO", "Case", "CaseSubject", "base_subject", "build_case"]

DEMO_PHOTO = Path(__file__).resolve().parent.parent / "demo" / "grace_hopper.jpg"
# Alternatives tried, in order, when the case's named model plan is not among the suggestions.
_FALLBACK = ("balanced", "full", "conservative")


@lru_cache(maxsize=4)  # the demo face both ways, and the last uploads (held in memory only)
def _base(face: str, mirrored: bool, photo_sha: str, photo: bytes | None) -> Subject:
    if face == "upload" and photo is not None:
        img = load_image(photo, name="case photo")
    else:
        img = load_image(DEMO_PHOTO)
    return build_subject(analyze_image(flip_horizontal(img) if mirrored else img))


def base_subject(scenario: Scenario) -> Subject:
    """The analysed base face and its response basis (cached per photo and orientation)."""
    photo = scenario.photo if scenario.base == "upload" else None
    digest = sha256(photo).hexdigest() if photo else ""
    return _base(scenario.base, scenario.mirrored, digest, photo)


@dataclass
class CaseSubject(Subject):
    """A subject whose muscles may be stronger or weaker than the atlas in expression too (the
    case's condition), so `predict` in an expression sees the case's own strength."""

    expression_scale: np.ndarray | None = None  # (M,)

    def expression_activation(self, expression: str) -> np.ndarray:
        base = super().expression_activation(expression)
        return base if self.expression_scale is None else base * self.expression_scale


def _symmetrised(a: Analysis) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The base face made left-right symmetric: each mesh vertex moved to the mean of itself and
    its partner's reflection in the midsagittal plane (468, 3 displacement), and each side's
    measurement point to the mean of itself and its partner reflected about the midline. The
    case then shows the condition's asymmetry and nothing of the photographed person's own."""
    v = a.mesh.vertices_mm
    n, d = a.mesh.plane_normal, a.mesh.plane_offset
    partner = v[a.mesh.mirror]
    reflected = partner - 2.0 * ((partner @ n) - d)[:, None] * n[None, :]
    disp = 0.5 * (v + reflected) - v
    m = a.midline_x_mm
    pts = {}
    for name, p in a.points_mm.items():
        if name.endswith(("_left", "_right")):
            side = "_left" if name.endswith("_left") else "_right"
            other = a.points_mm[
                name.removesuffix(side) + ("_right" if side == "_left" else "_left")
            ]
            pts[name] = 0.5 * (p + np.array([2.0 * m - other[0], other[1]]))
        else:
            pts[name] = np.array([m, p[1]])
    return disp, pts


@dataclass
class Case:
    """A scenario built on its base face: the case face, its photos and its model plan."""

    scenario: Scenario
    base: Subject
    subject: Subject  # the case face with the condition's tone, thickness and displacement
    rest_delta: np.ndarray  # (M,) load change the condition imposes at rest
    static_mm: np.ndarray  # (468, 3) symmetrising displacement + what no muscle explains
    expression_scale: np.ndarray  # (M,) share of each muscle's expression left (weak, treated)
    study: Study = field(repr=False)
    static_diff: dict[str, float] = field(default_factory=dict)  # what the static part adds

    @property
    def id(self) -> str:
        return self.scenario.id

    def expression_delta(self, expression: str) -> np.ndarray:
        """(M,) the case's activation in `expression` on top of rest (a weak or treated muscle
        contributes its remaining share)."""
        return self.base.expression_activation(expression) * self.expression_scale

    def displacement_mm(self, expression: str = "rest") -> np.ndarray:
        """(468, 3) the case face in `expression`, from the base photo."""
        delta = self.rest_delta + self.expression_delta(expression)
        return np.tensordot(delta, self.base.landmark_basis, axes=(0, 0)) + self.static_mm

    def photo(self, expression: str = "rest", extra_mm: np.ndarray | None = None) -> np.ndarray:
        """The case's photo (H, W, 3) in `expression`, optionally moved further by `extra_mm`
        (a predicted outcome), warped once from the base photo."""
        disp = self.displacement_mm(expression)
        if extra_mm is not None:
            disp = disp + np.asarray(extra_mm)[: len(disp)]
        return warp_photo(self.base.analysis.image.rgb, self.base.analysis, disp)

    def imposed(self, expression: str = "rest") -> dict[str, float]:
        """The left-right difference the condition adds in `expression` (case minus base face,
        model terms), per key measurement: what the case's photos must show."""
        case = point_metrics(self.subject, self.expression_delta(expression))
        return {n: float(case["left"][n] - case["right"][n]) for n in KEY_METRICS}

    @cached_property
    def suggestions(self) -> Suggestions:
        return suggest(self.subject, self.study)

    @cached_property
    def model_plan(self) -> Plan:
        """The model's answer: the case's named suggestion (empty when toxin is not the
        treatment, or when the suggestion finds nothing worth its units)."""
        ans = self.scenario.answer
        if not ans.toxin_case or ans.model_plan == "none":
            return Plan(label="model: no toxin")
        if ans.plan is not None:
            return replace(ans.plan, label="model (the educator's plan)")
        for name in (ans.model_plan, *_FALLBACK):
            s = self.suggestions.by_name(name)
            if s is not None:
                return replace(s.plan, label=f"model ({name})")
        return Plan(label="model: no plan found")


def _static_field(
    subject: Subject, offsets: tuple, points: dict[str, np.ndarray]
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Static displacement of the mesh (468, 3) and of each measurement point (x, y): each
    offset fades as a Gaussian of its radius around its point."""
    v = subject.analysis.mesh.vertices_mm
    mesh = np.zeros_like(v)
    moved = {k: np.zeros(2) for k in points}
    for o in offsets:
        centre = points[o.point]
        off = np.asarray(o.offset_mm)
        g = np.exp(-np.sum((v[:, :2] - centre) ** 2, axis=1) / (2 * o.radius_mm**2))
        mesh[:, :2] += g[:, None] * off
        for k, p in points.items():
            moved[k] += np.exp(-np.sum((p - centre) ** 2) / (2 * o.radius_mm**2)) * off
    return mesh, moved


def build_case(scenario: Scenario) -> Case:
    """Simulate the scenario's condition forward on its base face."""
    base = base_subject(scenario)
    ids = base.muscle_ids
    c = scenario.condition
    tone = base.tone.astype(np.float64).copy()
    thickness = base.thickness_mm.astype(np.float64).copy()
    delta = np.zeros(len(ids))
    scale = np.ones(len(ids))
    for mid, extra in c.tone.items():
        i = ids.index(mid)
        extra = max(extra, -tone[i])  # a muscle cannot relax below no tone at all
        delta[i] += extra
        # Assumption: a muscle with more resting tone is that much stronger in expression too
        # (an over-active muscle shows more in its expression, so it does not read as static).
        scale[i] *= (tone[i] + extra) / tone[i] if tone[i] > 0 else 1.0
        tone[i] += extra
    for mid, left in c.weakness.items():
        i = ids.index(mid)
        delta[i] -= (1.0 - left) * tone[i]
        tone[i] *= left
        scale[i] *= left
    for mid, extra in c.thickness_mm.items():
        i = ids.index(mid)
        delta[i] += extra
        thickness[i] += extra
    if c.previous_plan is not None:
        # Assumption: the previous treatment is held at its effect on the photo day for the
        # case's two-week window (it wears off over months: clinical-basis.md time course).
        days = np.array([c.previous_days_ago])
        inh, thick = effects(base, c.previous_plan, days, pharmacology.Params())
        delta += activation_change(
            replace(base, tone=tone, thickness_mm=thickness), inh, thick, 0.0
        )[0]
        tone *= 1.0 - inh[0]
        thickness *= 1.0 + thick[0]
        scale *= 1.0 - inh[0]

    a = base.analysis
    sym_mesh, sym_points = _symmetrised(a)
    static_mesh, static_pts = _static_field(base, c.static, sym_points)
    static_mesh = static_mesh + sym_mesh
    disp = np.tensordot(delta, base.landmark_basis, axes=(0, 0)) + static_mesh
    pt_disp = np.tensordot(delta, base.point_basis, axes=(0, 0))  # (P, 2)
    points = {
        name: sym_points[name] + pt_disp[j] + static_pts[name]
        for j, name in enumerate(base.point_names)
    }
    verts = a.mesh.vertices_mm + disp
    metrics = build_metrics(points, a.midline_x_mm, symmetry_index(verts, a.mesh.mirror))
    metrics = {n: replace(m, diff_sd=a.metrics[n].diff_sd) for n, m in metrics.items()}
    lm = np.array(a.landmarks_px, dtype=np.float64, copy=True)
    lm[: len(disp), :2] += displacement_px(a, disp)
    analysis = replace(
        a,
        points_mm=points,
        metrics=metrics,
        mesh=replace(a.mesh, vertices_mm=verts),
        landmarks_px=lm,
    )
    fields = {f: getattr(base, f) for f in base.__dataclass_fields__}
    fields.update(analysis=analysis, tone=tone, thickness_mm=thickness, expression_scale=scale)
    subject = CaseSubject(**fields)
    sym_side = side_metrics(sym_points, a.midline_x_mm)
    st_side = side_metrics({k: p + static_pts[k] for k, p in sym_points.items()}, a.midline_x_mm)
    static_diff = {
        n: float(
            (st_side["left"][n] - st_side["right"][n])
            - (sym_side["left"][n] - sym_side["right"][n])
        )
        for n in KEY_METRICS
    }
    case = Case(scenario, base, subject, delta, static_mesh, scale, Study((analysis,)), static_diff)
    case.study = Study((analysis,), _excursions(case))
    return case


def _excursions(case: Case) -> dict[str, dict[str, Metric]]:
    """Each shown expression's per-side change from rest on the case face, with the base
    photo's measurement noise on both photos (as two real photos would have)."""
    out = {}
    sd = case.subject.analysis.metrics
    rest = point_metrics(case.subject, np.zeros(len(case.rest_delta)))
    for e in case.scenario.expressions:
        if e == "rest":
            continue
        moved = point_metrics(case.subject, case.expression_delta(e))
        out[e] = {
            n: Metric(
                n,
                float(moved["left"][n] - rest["left"][n]),
                float(moved["right"][n] - rest["right"][n]),
                float(np.sqrt(2.0) * sd[n].diff_sd),
            )
            for n in KEY_METRICS
        }
    return out
