"""The record database on SQLite and on a real PostgreSQL server: patients, visits, consent,
trainees' training attempts, erasure at the database level, migration from the first revision,
and one-line bad input."""

from __future__ import annotations

import datetime as dt
import os
import stat
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

from simulation.errors import InputError
from simulation.records import PhotoInput, migrate, open_store
from simulation.records.store import _engine
from tests.conftest import ROOT
from tests.pg_server import postgres_server

TABLES = ("patients", "visits", "visit_photos")
TRAINING_TABLES = ("trainees", "training_attempts")
DAY = dt.date(2026, 3, 2)


@pytest.fixture(scope="module")
def pg_server():
    with postgres_server() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """A fresh, empty database on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'records.sqlite3'}"
    server = request.getfixturevalue("pg_server")
    if server is None:
        pytest.skip("PostgreSQL is not installed and cannot be installed (not root)")
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return server.replace("/postgres?", f"/{name}?")


def _counts(url: str, tables: tuple[str, ...] = TABLES) -> dict[str, int]:
    eng = _engine(url)
    with eng.connect() as conn:
        out = {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in tables}
    eng.dispose()
    return out


def _photo(expr: str = "rest") -> PhotoInput:
    return PhotoInput(expr, {"metrics": {"brow_height_mm": {"diff": 1.5}}}, b"\x89PNG fake")


def test_photo_pixels_kept_only_with_consent(db_url) -> None:
    store = open_store(db_url)
    yes = store.add_patient("Consenting", photo_consent=True)
    no = store.add_patient("Declining", birth_year=1970)
    store.add_visit(yes, DAY, [_photo()])
    store.add_visit(no, DAY, [_photo()])
    kept = store.patient(yes).visits[0].photos[0]
    dropped = store.patient(no).visits[0].photos[0]
    assert kept.photo_png == b"\x89PNG fake"
    assert dropped.photo_png is None and "brow_height_mm" in dropped.analysis_json
    assert [p.name for p in store.patients()] == ["Consenting", "Declining"]
    store.close()


def test_delete_patient_erases_every_row(db_url) -> None:
    store = open_store(db_url)
    gone = store.add_patient("Gone", photo_consent=True)
    kept = store.add_patient("Kept", photo_consent=True)
    for pid in (gone, kept):
        store.add_visit(pid, DAY, [_photo(), _photo("smile")])
        store.add_visit(pid, DAY + dt.timedelta(days=14), [_photo()], plan={"product": "ona"})
    assert _counts(db_url) == {"patients": 2, "visits": 4, "visit_photos": 6}
    store.delete_patient("Gone")
    assert _counts(db_url) == {"patients": 1, "visits": 2, "visit_photos": 3}
    # The database itself cascades too (a delete by another tool leaves no orphans).
    eng = _engine(db_url)
    with eng.begin() as conn:
        conn.execute(text("DELETE FROM patients"))
    eng.dispose()
    assert _counts(db_url) == {"patients": 0, "visits": 0, "visit_photos": 0}
    store.close()


def test_bad_visits_write_nothing(db_url) -> None:
    store = open_store(db_url)
    pid = store.add_patient("P")
    store.add_visit(pid, DAY, [_photo()])
    before = _counts(db_url)
    with pytest.raises(InputError) as dup:
        store.add_visit(pid, DAY, [_photo(), _photo("smile")])
    assert dup.value.code == "duplicate_visit"
    with pytest.raises(InputError) as future:
        store.add_visit(pid, dt.date.today() + dt.timedelta(days=1), [_photo()])
    assert future.value.code == "future_visit"
    with pytest.raises(InputError) as unknown:
        store.add_visit("nobody here", DAY, [_photo()])
    assert unknown.value.code == "unknown_patient"
    assert _counts(db_url) == before
    store.close()


def test_migrates_forward_from_the_first_revision(db_url) -> None:
    eng = _engine(db_url)
    migrate(eng, "0001")
    with eng.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO patients (id, name, notes, photo_consent, created_at) "
                "VALUES (7, 'Old', '', false, '2025-01-01 00:00:00')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO visits (patient_id, date, notes, created_at) "
                "VALUES (7, '2025-01-02', 'first', '2025-01-02 00:00:00')"
            )
        )
    eng.dispose()
    store = open_store(db_url)
    old = store.patient(7)
    assert old.name == "Old" and old.visits[0].notes == "first"
    assert old.visits[0].recorded_by == "" and old.visits[0].prediction_draws is None
    store.add_attempt("Trainee of an old database", "case", "practice", [], {}, 50.0, [])
    assert _counts(db_url, TRAINING_TABLES) == {"trainees": 1, "training_attempts": 1}
    store.close()


def _attempt(store, trainee: str, case: str, total: float, mode: str = "practice") -> int:
    parts = [{"name": "diagnosis", "points": 30.0, "max": 30.0, "detail": "right"}]
    plan = {"product": "ona", "injections": [{"site": "corrugator_right", "units": 4}]}
    return store.add_attempt(
        trainee, case, mode, ["corrugator_supercilii_right"], plan, total, parts
    )


def test_training_attempts_kept_per_trainee_in_order(db_url) -> None:
    from simulation.records import attempt_to_json, trainee_to_json

    store = open_store(db_url)
    _attempt(store, "Ana", "heavy_brow_corrugator", 92.5)
    _attempt(store, "  Ana ", "dao_corner_down", 40.0, "exam")  # the same trainee, trimmed
    _attempt(store, "Ben", "heavy_brow_corrugator", 10.0)
    assert [t.name for t in store.trainees()] == ["Ana", "Ben"]
    ana = trainee_to_json(store.trainee("Ana"))
    assert ana["schema"] == "symmetry-studio/trainee/1"
    got = [(a["case"], a["mode"], a["total"]) for a in ana["attempts"]]
    assert got == [("heavy_brow_corrugator", "practice", 92.5), ("dao_corner_down", "exam", 40.0)]
    first = attempt_to_json(store.trainee("Ana").attempts[0])
    assert first["diagnosis"] == ["corrugator_supercilii_right"]
    assert first["plan"]["injections"][0]["units"] == 4
    assert first["components"][0]["detail"] == "right" and first["at"].endswith("Z")
    store.close()


def test_delete_trainee_erases_their_attempts(db_url) -> None:
    store = open_store(db_url)
    for k in range(3):
        _attempt(store, "Gone", f"case{k}", 50.0)
    _attempt(store, "Kept", "case0", 60.0)
    assert _counts(db_url, TRAINING_TABLES) == {"trainees": 2, "training_attempts": 4}
    store.delete_trainee("Gone")
    assert _counts(db_url, TRAINING_TABLES) == {"trainees": 1, "training_attempts": 1}
    # The database cascades by itself too: a delete by another tool leaves no orphan attempt.
    eng = _engine(db_url)
    with eng.begin() as conn:
        conn.execute(text("DELETE FROM trainees"))
    eng.dispose()
    assert _counts(db_url, TRAINING_TABLES) == {"trainees": 0, "training_attempts": 0}
    store.close()


def test_bad_attempts_write_nothing(db_url) -> None:
    store = open_store(db_url)
    _attempt(store, "Ana", "case", 50.0)
    before = _counts(db_url, TRAINING_TABLES)
    bad = {
        "trainee_name": lambda: _attempt(store, "   ", "case", 50.0),
        "attempt_mode": lambda: _attempt(store, "Ana", "case", 50.0, mode="homework"),
        "attempt_score": lambda: _attempt(store, "Ana", "case", 101.0),
        "unknown_trainee": lambda: store.trainee("Nobody"),
    }
    for code, call in bad.items():
        with pytest.raises(InputError) as err:
            call()
        assert err.value.code == code and "\n" not in str(err.value)
    with pytest.raises(InputError):
        store.delete_trainee("Nobody")
    assert _counts(db_url, TRAINING_TABLES) == before
    store.close()


def test_migrates_from_0002_keeping_visits_and_adding_trainees(db_url) -> None:
    eng = _engine(db_url)
    migrate(eng, "0002")
    with eng.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO patients (id, name, notes, photo_consent, created_at) "
                "VALUES (3, 'Before trainees', '', true, '2026-01-01 00:00:00')"
            )
        )
        assert not inspect(conn).has_table("trainees")
    eng.dispose()
    store = open_store(db_url)
    assert store.patient(3).name == "Before trainees"
    _attempt(store, "First trainee", "case", 75.0)
    assert store.trainee("First trainee").attempts[0].total == 75.0
    store.close()


def test_newer_schema_is_refused_untouched(db_url) -> None:
    open_store(db_url).close()
    eng = _engine(db_url)
    with eng.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    eng.dispose()
    with pytest.raises(InputError) as err:
        open_store(db_url)
    assert err.value.code == "database_newer" and "newer Symmetry Studio" in str(err.value)


def test_export_import_round_trip(db_url, tmp_path) -> None:
    store = open_store(db_url)
    pid = store.add_patient("Moved", birth_year=1980, notes="n", photo_consent=True)
    store.add_visit(pid, DAY, [_photo()], plan={"product": "ona", "injections": []}, lot="L1")
    _attempt(store, "Trainee", "case_a", 80.0, "exam")
    data = store.export()
    other = open_store(f"sqlite:///{tmp_path / 'other.sqlite3'}")
    _attempt(other, "Trainee", "case_b", 20.0)  # the same name there: the attempts join, by time
    (new_id,) = other.import_records(data)
    moved = other.patient(new_id)
    assert (moved.name, moved.birth_year, moved.visits[0].lot) == ("Moved", 1980, "L1")
    assert moved.visits[0].photos[0].photo_png == b"\x89PNG fake"
    joined = other.trainee("Trainee").attempts
    assert [(a.case_id, a.mode, a.total) for a in joined] == [
        ("case_a", "exam", 80.0),
        ("case_b", "practice", 20.0),
    ]
    assert joined[0].created_at == store.trainee("Trainee").attempts[0].created_at.replace(
        microsecond=0
    )
    with pytest.raises(InputError) as err:
        other.import_records({"schema": "someone-else/1", "patients": []})
    assert err.value.code == "not_our_export"
    store.close()
    other.close()


_WRITER = """
import datetime as dt, sys
from simulation.records import PhotoInput, open_store
store = open_store(sys.argv[1])
start = dt.date(2020, 1, 1) + dt.timedelta(days=int(sys.argv[2]))
for k in range(10):
    store.add_visit("Shared", start + dt.timedelta(days=k),
                    [PhotoInput("rest", {"k": k})], notes=sys.argv[2])
"""


def test_two_processes_saving_to_one_patient_lose_nothing(db_url) -> None:
    store = open_store(db_url)
    store.add_patient("Shared")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [
        subprocess.Popen([sys.executable, "-c", _WRITER, db_url, str(offset)], env=env)
        for offset in (0, 100)
    ]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    visits = store.patient("Shared").visits
    assert len(visits) == 20 and {v.notes for v in visits} == {"0", "100"}
    store.close()


_TRAINEE_WRITER = """
import sys
from simulation.records import open_store
store = open_store(sys.argv[1])
for k in range(5):
    store.add_attempt("New at once", f"case{sys.argv[2]}_{k}", "practice", [], {}, 50.0, [])
"""


def test_two_processes_creating_one_trainee_lose_nothing(db_url) -> None:
    open_store(db_url).close()  # migrated before the writers start
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [
        subprocess.Popen([sys.executable, "-c", _TRAINEE_WRITER, db_url, str(n)], env=env)
        for n in (0, 1)
    ]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    assert _counts(db_url, TRAINING_TABLES) == {"trainees": 1, "training_attempts": 10}


def test_sqlite_file_is_private_and_problems_are_one_line(tmp_path, monkeypatch) -> None:
    path = tmp_path / "sub" / "records.sqlite3"
    monkeypatch.setenv("SYMMETRY_STUDIO_DB", f"sqlite:///{path}")
    open_store().close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    path.chmod(0o400)
    if os.geteuid() != 0:  # root writes read-only files anyway
        with pytest.raises(InputError) as ro:
            open_store()
        assert ro.value.code == "database_read_only"
    cases = {
        "not a url": "database_url",
        "postgresql+psycopg://u@/db?host=/nonexistent-socket-dir": "database_unreachable",
        "mysql+nosuchdriver://u@h/db": "database_url",
    }
    for url, code in cases.items():
        with pytest.raises(InputError) as err:
            open_store(url)
        assert err.value.code == code and "\n" not in str(err.value)


def test_a_read_only_database_is_one_line_and_keeps_what_is_there(tmp_path) -> None:
    """SQLite opened read-only (as a file root cannot write would be): reading works, a write is
    refused with one line naming the file, and nothing already recorded is lost."""
    path = tmp_path / "records.sqlite3"
    store = open_store(f"sqlite:///{path}")
    pid = store.add_patient("Kept", 1970, "", False)
    store.close()
    ro = open_store(f"sqlite:///file:{path}?mode=ro&uri=true")
    try:
        assert [p.name for p in ro.patients()] == ["Kept"]
        with pytest.raises(InputError) as err:
            ro.add_patient("New", None, "", False)
    finally:
        ro.close()
    assert err.value.code == "database_read_only" and "\n" not in str(err.value)
    assert str(path) in str(err.value) and "read" in str(err.value)
    again = open_store(f"sqlite:///{path}")
    assert [(p.id, p.name) for p in again.patients()] == [(pid, "Kept")]
    again.close()


def test_default_database_lives_in_the_user_data_dir(monkeypatch, tmp_path) -> None:
    from simulation.records import default_url

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert default_url() == f"sqlite:///{Path(tmp_path) / 'symmetry-studio' / 'records.sqlite3'}"
