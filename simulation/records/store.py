"""Open the record database (SQLite by default, any SQLAlchemy URL), migrate it forward, and
save or read patients and visits, and trainees' training attempts; every failure the user can
fix is one `InputError` line.

Where: `--db URL`, else `SYMMETRY_STUDIO_DB`, else `records.sqlite3` in the user's data
directory (platformdirs), created on first use with file mode 0600. One transaction per call,
so a visit is saved whole or not at all."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, IntegrityError, NoSuchModuleError
from sqlalchemy.orm import Session, selectinload, sessionmaker

from ..errors import InputError
from .models import Patient, PhotoRecord, Trainee, TrainingAttempt, Visit

__all__ = [
    "ATTEMPT_MODES",
    "ATTEMPT_SCHEMA",
    "DB_ENV",
    "PATIENT_SCHEMA",
    "RECORDS_SCHEMA",
    "TRAINEE_SCHEMA",
    "VISIT_SCHEMA",
    "PhotoInput",
    "Store",
    "attempt_to_json",
    "default_url",
    "head_revision",
    "migrate",
    "open_store",
    "patient_to_json",
    "trainee_to_json",
    "visit_to_json",
]

DB_ENV = "SYMMETRY_STUDIO_DB"
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
FILE_MODE = 0o600
BUSY_TIMEOUT_S = 30  # a second workstation waits this long for the other's write on SQLite


@dataclass(frozen=True)
class PhotoInput:
    """One photo of a visit to save: its analysis JSON (with landmarks) and the PNG (no
    metadata), which is kept only when the patient consented."""

    expression: str
    analysis: dict[str, Any]
    png: bytes | None = None


def default_url() -> str:
    """The SQLite file in the user's data directory (platformdirs)."""
    from platformdirs import user_data_dir

    return (
        f"sqlite:///{Path(user_data_dir('symmetry-studio', appauthor=False)) / 'records.sqlite3'}"
    )


def _alembic_config(connection: Any) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    """The newest schema revision this release knows."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_alembic_config(None)).get_current_head() or ""


def migrate(engine: Engine, revision: str = "head") -> None:
    """Migrate the database to `revision` (default: this release's newest); a database written
    by a newer release is refused, never touched."""
    from alembic import command
    from alembic.script import ScriptDirectory

    with engine.connect() as conn:
        current = None
        if inspect(conn).has_table("alembic_version"):
            current = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        script = ScriptDirectory.from_config(_alembic_config(None))
        if current is not None and current not in {s.revision for s in script.walk_revisions()}:
            raise InputError(
                "database_newer",
                f"the record database is from a newer Symmetry Studio (schema {current}): "
                "upgrade symmetry-studio to open it",
            )
    with engine.begin() as conn:
        command.upgrade(_alembic_config(conn), revision)


def _sqlite_file(url: Any) -> Path | None:
    db = url.database
    if url.get_backend_name() != "sqlite" or not db or db == ":memory:" or db.startswith("file:"):
        return None
    return Path(db).expanduser()


def _prepare_sqlite(path: Path) -> None:
    """Create the file (and its folder) private to the user; refuse a read-only one."""
    if path.exists():
        if not os.access(path, os.R_OK | os.W_OK):
            raise InputError(
                "database_read_only",
                f"cannot write the record database {path}: it is read-only; "
                "fix its permissions or choose another with --db",
            )
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, FILE_MODE))
    except OSError as err:
        raise InputError(
            "database_unreachable",
            f"cannot create the record database {path}: {err.strerror}; choose another with --db",
        ) from None
    os.chmod(path, FILE_MODE)


def _engine(url_text: str) -> Engine:
    try:
        url = make_url(url_text)
    except ArgumentError:
        raise InputError(
            "database_url",
            f"'{url_text}' is not a database URL: use e.g. sqlite:///path/records.sqlite3 "
            "or postgresql+psycopg://user@host/db",
        ) from None
    path = _sqlite_file(url)
    if path is not None:
        _prepare_sqlite(path)
        url = url.set(database=str(path))
    if url.get_backend_name() == "postgresql" and url.get_driver_name() in ("", "psycopg2"):
        url = url.set(drivername="postgresql+psycopg")
    try:
        if url.get_backend_name() == "sqlite":
            engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_S})
            event.listen(engine, "connect", _sqlite_connect)
            event.listen(engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN IMMEDIATE"))
        else:
            engine = create_engine(url, pool_pre_ping=True)
    except (NoSuchModuleError, ImportError) as err:
        raise InputError(
            "database_url", f"no driver for {url.drivername}: {err}; use sqlite or postgresql"
        ) from None
    return engine


def _sqlite_connect(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.isolation_level = None  # SQLAlchemy's "begin" event issues BEGIN IMMEDIATE
    dbapi_conn.execute("PRAGMA foreign_keys=ON")


def _db_error(url: str, err: DBAPIError) -> InputError:
    first = str(err.orig).strip().splitlines()[0] if err.orig else str(err)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database:
        safe = parsed.database.removeprefix("file:")  # the file, as the user named it
    else:
        safe = parsed.render_as_string(hide_password=True)
    if "readonly" in first or "read-only" in first:
        return InputError(
            "database_read_only",
            f"cannot write the record database {safe}: {first}; fix its permissions",
        )
    if "locked" in first:
        return InputError(
            "database_locked",
            f"the record database {safe} is locked by another program ({first}); try again",
        )
    return InputError(
        "database_unreachable",
        f"cannot use the record database {safe}: {first}; check --db or {DB_ENV}",
    )


def open_store(url: str | None = None) -> Store:
    """Open (create, migrate) the record database at `url`, `SYMMETRY_STUDIO_DB` or the
    default SQLite file."""
    url = url or os.environ.get(DB_ENV) or default_url()
    engine = _engine(url)
    try:
        migrate(engine)
    except DBAPIError as err:
        engine.dispose()
        raise _db_error(url, err) from None
    return Store(engine, url)


def _today() -> dt.date:
    return dt.date.today()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Store:
    """The record database: patients, visits and their photos' analyses."""

    def __init__(self, engine: Engine, url: str) -> None:
        self.engine = engine
        self.url = url
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    def close(self) -> None:
        """Release the connections."""
        self.engine.dispose()

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One transaction: committed whole, or rolled back whole."""
        try:
            with self._sessions.begin() as s:
                yield s
        except DBAPIError as err:
            if isinstance(err, IntegrityError):
                raise
            raise _db_error(self.url, err) from None

    # --- patients -------------------------------------------------------------------------

    def add_patient(
        self,
        name: str,
        birth_year: int | None = None,
        notes: str = "",
        photo_consent: bool = False,
    ) -> int:
        """Record a patient; returns their id."""
        name = name.strip()
        if not name:
            raise InputError("patient_name", "a patient needs a display name or pseudonym")
        if birth_year is not None and not 1900 <= birth_year <= _today().year:
            raise InputError(
                "birth_year", f"year of birth {birth_year} is not between 1900 and this year"
            )
        with self.session() as s:
            p = Patient(
                name=name,
                birth_year=birth_year,
                notes=notes,
                photo_consent=photo_consent,
                created_at=_now(),
            )
            s.add(p)
            s.flush()
            return p.id

    def patients(self) -> list[Patient]:
        """Every patient, by name."""
        with self.session() as s:
            return list(s.scalars(select(Patient).order_by(Patient.name, Patient.id)))

    def _find(self, s: Session, ref: str | int) -> Patient:
        text_ref = str(ref).strip()
        if text_ref.isdigit():
            p = s.get(Patient, int(text_ref))
            if p is not None:
                return p
        found = list(s.scalars(select(Patient).where(Patient.name == text_ref)))
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            ids = ", ".join(str(p.id) for p in found)
            raise InputError(
                "patient_ambiguous",
                f"{len(found)} patients are called '{text_ref}': use an id ({ids})",
            )
        raise InputError(
            "unknown_patient",
            f"no patient '{text_ref}': see `symmetry-studio patient list`",
        )

    def patient(self, ref: str | int) -> Patient:
        """A patient with their visits and photos loaded (by id or exact name)."""
        with self.session() as s:
            p = self._find(s, ref)
            return s.scalars(
                select(Patient)
                .where(Patient.id == p.id)
                .options(selectinload(Patient.visits).selectinload(Visit.photos))
            ).one()

    def delete_patient(self, ref: str | int) -> int:
        """Erase a patient and every visit and photo of theirs; returns the id erased."""
        with self.session() as s:
            p = self._find(s, ref)
            pid = p.id
            s.delete(p)
            return pid

    # --- visits ---------------------------------------------------------------------------

    def add_visit(
        self,
        patient: str | int,
        date: dt.date,
        photos: Sequence[PhotoInput],
        plan: dict[str, Any] | None = None,
        lot: str | None = None,
        dilution_ml_per_100u: float | None = None,
        notes: str = "",
        recorded_by: str = "",
        prediction_draws: bytes | None = None,
    ) -> int:
        """Save one visit whole (one transaction); the photos' pixels only with consent."""
        if date > _today():
            raise InputError(
                "future_visit",
                f"visit date {date.isoformat()} is in the future: give its real date",
            )
        try:
            with self.session() as s:
                p = self._find(s, patient)
                v = Visit(
                    patient_id=p.id,
                    date=date,
                    notes=notes,
                    recorded_by=recorded_by,
                    plan_json=json.dumps(plan) if plan is not None else None,
                    product=plan.get("product") if plan else None,
                    lot=lot,
                    dilution_ml_per_100u=dilution_ml_per_100u,
                    prediction_draws=prediction_draws,
                    created_at=_now(),
                )
                v.photos = [
                    PhotoRecord(
                        expression=ph.expression,
                        analysis_json=json.dumps(ph.analysis),
                        photo_png=ph.png if p.photo_consent else None,
                    )
                    for ph in photos
                ]
                s.add(v)
                s.flush()
                return v.id
        except IntegrityError:
            raise InputError(
                "duplicate_visit",
                f"patient '{patient}' already has a visit on {date.isoformat()}: "
                "add to that visit's notes or give another date",
            ) from None

    # --- trainees and their training attempts -------------------------------------------

    def trainees(self) -> list[Trainee]:
        """Every trainee, by name."""
        with self.session() as s:
            return list(s.scalars(select(Trainee).order_by(Trainee.name)))

    def _find_trainee(self, s: Session, name: str) -> Trainee:
        found = s.scalars(select(Trainee).where(Trainee.name == name.strip())).one_or_none()
        if found is None:
            raise InputError(
                "unknown_trainee",
                f"no trainee '{name.strip()}': see `symmetry-studio train trainees`",
            )
        return found

    def trainee(self, name: str) -> Trainee:
        """A trainee (by exact name) with their attempts loaded, oldest first."""
        with self.session() as s:
            t = self._find_trainee(s, name)
            return s.scalars(
                select(Trainee).where(Trainee.id == t.id).options(selectinload(Trainee.attempts))
            ).one()

    def delete_trainee(self, name: str) -> int:
        """Erase a trainee and every attempt of theirs; returns the id erased."""
        with self.session() as s:
            t = self._find_trainee(s, name)
            tid = t.id
            s.delete(t)
            return tid

    def add_attempt(
        self,
        trainee: str,
        case_id: str,
        mode: str,
        diagnosis: Sequence[str],
        plan: dict[str, Any],
        total: float,
        components: Sequence[dict[str, Any]],
        capped: bool = False,
    ) -> int:
        """Save one submitted attempt under `trainee` (exact name; a new name is a new
        trainee), in one transaction; returns the attempt's id."""
        name = trainee.strip()
        if not name or len(name) > 200:
            raise InputError(
                "trainee_name", "a trainee needs a display name or pseudonym (1-200 characters)"
            )
        if mode not in ATTEMPT_MODES:
            raise InputError(
                "attempt_mode", f"mode '{mode}' is not one of {', '.join(ATTEMPT_MODES)}"
            )
        if not 0.0 <= total <= 100.0:
            raise InputError("attempt_score", f"a score of {total:g} is not between 0 and 100")
        row = {
            "case_id": case_id,
            "mode": mode,
            "diagnosis_json": json.dumps(list(diagnosis)),
            "plan_json": json.dumps(plan),
            "total": float(total),
            "components_json": json.dumps(list(components)),
            "capped": capped,
        }
        try:
            return self._save_attempt(name, row)
        except IntegrityError:  # another workstation created this trainee in the meantime
            return self._save_attempt(name, row)

    def _save_attempt(self, name: str, row: dict[str, Any]) -> int:
        with self.session() as s:
            t = s.scalars(select(Trainee).where(Trainee.name == name)).one_or_none()
            if t is None:
                t = Trainee(name=name, created_at=_now())
                s.add(t)
                s.flush()
            a = TrainingAttempt(trainee_id=t.id, created_at=_now(), **row)
            s.add(a)
            s.flush()
            return a.id

    # --- export / import ------------------------------------------------------------------

    def export(self) -> dict[str, Any]:
        """Every patient with their visits and photos, and every trainee with their attempts,
        as one JSON-able object (`symmetry-studio/records/1`; photos and draws base64)."""
        with self.session() as s:
            pats = s.scalars(
                select(Patient)
                .order_by(Patient.id)
                .options(selectinload(Patient.visits).selectinload(Visit.photos))
            ).all()
            trainees = s.scalars(
                select(Trainee).order_by(Trainee.id).options(selectinload(Trainee.attempts))
            ).all()
            return {
                "schema": RECORDS_SCHEMA,
                "patients": [patient_to_json(p) for p in pats],
                "trainees": [trainee_to_json(t) for t in trainees],
            }

    def import_records(self, data: Any) -> list[int]:
        """Add every patient of an export (new ids), and every trainee's attempts (to the
        trainee of that name, added if new), all in one transaction; returns the patients' ids."""
        if not isinstance(data, dict) or data.get("schema") != RECORDS_SCHEMA:
            raise InputError(
                "not_our_export",
                f"this is not a Symmetry Studio records export ({RECORDS_SCHEMA}): "
                "import a file made by `symmetry-studio records export`",
            )
        try:
            with self.session() as s:
                ids = []
                for raw in data.get("patients", []):
                    p = _patient_from_json(raw)
                    s.add(p)
                    s.flush()
                    ids.append(p.id)
                for raw in data.get("trainees", []):
                    _import_trainee(s, raw)
                return ids
        except (KeyError, TypeError, ValueError, binascii.Error) as err:
            raise InputError(
                "bad_export", f"the records export is damaged ({type(err).__name__}: {err})"
            ) from None


RECORDS_SCHEMA = "symmetry-studio/records/1"
PATIENT_SCHEMA = "symmetry-studio/patient/1"
VISIT_SCHEMA = "symmetry-studio/visit/1"
TRAINEE_SCHEMA = "symmetry-studio/trainee/1"
ATTEMPT_SCHEMA = "symmetry-studio/training-attempt/1"
ATTEMPT_MODES = ("practice", "exam")


def attempt_to_json(a: TrainingAttempt) -> dict[str, Any]:
    """A training attempt as `symmetry-studio/training-attempt/1` (time in UTC)."""
    return {
        "schema": ATTEMPT_SCHEMA,
        "id": a.id,
        "case": a.case_id,
        "mode": a.mode,
        "at": a.created_at.isoformat(timespec="seconds") + "Z",
        "total": a.total,
        "capped_by_safety": a.capped,
        "components": json.loads(a.components_json),
        "diagnosis": json.loads(a.diagnosis_json),
        "plan": json.loads(a.plan_json),
    }


def trainee_to_json(t: Trainee) -> dict[str, Any]:
    """A trainee as `symmetry-studio/trainee/1`, with their attempts, oldest first."""
    return {
        "schema": TRAINEE_SCHEMA,
        "id": t.id,
        "name": t.name,
        "attempts": [attempt_to_json(a) for a in t.attempts],
    }


def _b64(data: bytes | None) -> str | None:
    return None if data is None else base64.b64encode(data).decode("ascii")


def _unb64(text: str | None) -> bytes | None:
    return None if text is None else base64.b64decode(text, validate=True)


def visit_to_json(v: Visit, full: bool = True) -> dict[str, Any]:
    """A visit as `symmetry-studio/visit/1` (with `full`, photos and draws as base64)."""
    out: dict[str, Any] = {
        "schema": VISIT_SCHEMA,
        "id": v.id,
        "date": v.date.isoformat(),
        "notes": v.notes,
        "recorded_by": v.recorded_by,
        "plan": json.loads(v.plan_json) if v.plan_json else None,
        "product": v.product,
        "lot": v.lot,
        "dilution_ml_per_100u": v.dilution_ml_per_100u,
        "photos": [
            {
                "expression": ph.expression,
                "analysis": json.loads(ph.analysis_json),
                "photo_stored": ph.photo_png is not None,
                **({"photo_png": _b64(ph.photo_png)} if full else {}),
            }
            for ph in v.photos
        ],
    }
    if full:
        out["prediction_draws"] = _b64(v.prediction_draws)
    return out


def patient_to_json(p: Patient, full: bool = True) -> dict[str, Any]:
    """A patient as `symmetry-studio/patient/1`, with their visits."""
    return {
        "schema": PATIENT_SCHEMA,
        "id": p.id,
        "name": p.name,
        "birth_year": p.birth_year,
        "notes": p.notes,
        "photo_consent": p.photo_consent,
        "visits": [visit_to_json(v, full) for v in p.visits],
    }


def _import_trainee(s: Session, raw: dict[str, Any]) -> None:
    """Add an exported trainee's attempts to the trainee of that name (created if new)."""
    name = str(raw["name"]).strip()
    t = s.scalars(select(Trainee).where(Trainee.name == name)).one_or_none()
    if t is None:
        t = Trainee(name=name, created_at=_now())
        s.add(t)
    for ra in raw.get("attempts", []):
        if ra["mode"] not in ATTEMPT_MODES:
            raise ValueError(f"attempt mode {ra['mode']!r}")
        t.attempts.append(
            TrainingAttempt(
                case_id=str(ra["case"]),
                mode=ra["mode"],
                diagnosis_json=json.dumps(ra["diagnosis"]),
                plan_json=json.dumps(ra["plan"]),
                total=float(ra["total"]),
                components_json=json.dumps(ra["components"]),
                capped=bool(ra["capped_by_safety"]),
                created_at=dt.datetime.fromisoformat(ra["at"].removesuffix("Z")),
            )
        )
    s.flush()


def _patient_from_json(raw: dict[str, Any]) -> Patient:
    consent = bool(raw["photo_consent"])
    p = Patient(
        name=str(raw["name"]),
        birth_year=raw.get("birth_year"),
        notes=str(raw.get("notes", "")),
        photo_consent=consent,
        created_at=_now(),
    )
    for rv in raw.get("visits", []):
        v = Visit(
            date=dt.date.fromisoformat(rv["date"]),
            notes=str(rv.get("notes", "")),
            recorded_by=str(rv.get("recorded_by", "")),
            plan_json=json.dumps(rv["plan"]) if rv.get("plan") is not None else None,
            product=rv.get("product"),
            lot=rv.get("lot"),
            dilution_ml_per_100u=rv.get("dilution_ml_per_100u"),
            prediction_draws=_unb64(rv.get("prediction_draws")),
            created_at=_now(),
        )
        v.photos = [
            PhotoRecord(
                expression=str(ph["expression"]),
                analysis_json=json.dumps(ph["analysis"]),
                photo_png=_unb64(ph.get("photo_png")) if consent else None,
            )
            for ph in rv.get("photos", [])
        ]
        p.visits.append(v)
    return p
