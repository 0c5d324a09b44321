"""From analysed photos to a saved visit, and from two saved visits to a follow-up: the glue
between the record store and the model, shared by the CLI and the dashboard."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

from ..analysis import Analysis
from ..errors import InputError
from ..metrics import Metric
from ..plan import Plan, plan_to_json
from .models import Patient, Visit
from .store import PhotoInput, Store

__all__ = [
    "followup_caveats",
    "followup_for_patient",
    "response_for_patient",
    "save_visit",
    "stored_metrics",
]


def save_visit(
    store: Store,
    patient: str | int,
    date: dt.date,
    analyses: Sequence[Analysis],
    plan: Plan | None = None,
    lot: str | None = None,
    notes: str = "",
    recorded_by: str = "",
) -> int:
    """Save one visit: every photo's analysis (with landmarks), the photo itself as a
    metadata-free PNG (kept by the store only with consent), and, with a plan, the model's
    draws for the follow-up (from the rest photo)."""
    from ..calibration import prediction_draws
    from ..ingest import encode_png
    from ..prediction import build_subject

    photos = [
        PhotoInput(a.expression, a.to_json(landmarks=True), encode_png(a.image.rgb))
        for a in analyses
    ]
    draws = None
    if plan is not None and plan.injections:
        rest = next((a for a in analyses if a.expression == "rest"), None)
        if rest is None:
            raise InputError(
                "treatment_without_rest_photo",
                "a visit with a plan needs a rest photo (the follow-up is compared with it)",
            )
        draws = prediction_draws(build_subject(rest), plan).to_bytes()
    return store.add_visit(
        patient,
        date,
        photos,
        plan=plan_to_json(plan) if plan is not None else None,
        lot=lot,
        dilution_ml_per_100u=plan.dilution_ml_per_100u if plan is not None else None,
        notes=notes,
        recorded_by=recorded_by,
        prediction_draws=draws,
    )


def stored_metrics(visit: Visit, expression: str = "rest") -> dict[str, Metric] | None:
    """The metrics (with ±) of a visit's photo of `expression`, rebuilt from the record."""
    for ph in visit.photos:
        if ph.expression == expression:
            raw = json.loads(ph.analysis_json)["metrics"]
            return {
                k: Metric(k, float(m["left"]), float(m["right"]), float(m.get("diff_sd", 0.0)))
                for k, m in raw.items()
            }
    return None


def followup_caveats(treated: Visit, seen: Visit, expression: str = "rest") -> list[str]:
    """What the two photos of a follow-up said about themselves when they were analysed (a small
    iris, unread lids or jaw, a turned head), one line per photo and warning: a change between
    them that such a photo cannot resolve is not evidence of the treatment."""
    out = []
    for label, visit in (("treatment", treated), ("follow-up", seen)):
        for ph in visit.photos:
            if ph.expression == expression:
                for w in json.loads(ph.analysis_json).get("warnings", []):
                    out.append(f"{label} photo of {visit.date.isoformat()}: {w['message']}")
    return out


def followup_for_patient(patient: Patient) -> tuple[Visit, Visit, Any]:
    """The latest treatment visit with a later rest photo, that later visit, and the
    follow-up comparison (`calibration.FollowUp`) between them."""
    from ..calibration import DrawSet, follow_up

    visits = sorted(patient.visits, key=lambda v: v.date)
    for k in range(len(visits) - 1, -1, -1):
        treated = visits[k]
        if treated.prediction_draws is None:
            continue
        later = [v for v in visits[k + 1 :] if stored_metrics(v) is not None]
        if not later:
            continue
        seen = later[-1]
        observed = stored_metrics(seen)
        assert observed is not None
        day = float((seen.date - treated.date).days)
        return treated, seen, follow_up(DrawSet.from_bytes(treated.prediction_draws), day, observed)
    raise InputError(
        "no_followup",
        f"patient '{patient.name}' has no treatment visit (a visit with --plan) followed by a "
        "visit with a rest photo: add one with `symmetry-studio visit add`",
    )


def response_for_patient(patient: Patient, samples: int = 200) -> Any:
    """The patient's calibrated draws (`calibration.PatientResponse`) from their latest
    follow-up, for the next prediction (a top-up, the next session)."""
    from ..calibration import DrawSet, patient_response

    treated, _seen, fu = followup_for_patient(patient)
    assert treated.prediction_draws is not None
    return patient_response(fu, DrawSet.from_bytes(treated.prediction_draws), samples)
