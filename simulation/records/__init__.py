"""Patient records: patients, visits and photo analyses, and trainees' training attempts, in
a SQL database (SQLite or PostgreSQL through SQLAlchemy 2), migrated forward by Alembic on open."""

from .models import Patient, PhotoRecord, Trainee, TrainingAttempt, Visit
from .store import (
    ATTEMPT_MODES,
    ATTEMPT_SCHEMA,
    DB_ENV,
    PATIENT_SCHEMA,
    RECORDS_SCHEMA,
    TRAINEE_SCHEMA,
    VISIT_SCHEMA,
    PhotoInput,
    Store,
    attempt_to_json,
    default_url,
    head_revision,
    migrate,
    open_store,
    patient_to_json,
    trainee_to_json,
    visit_to_json,
)

__all__ = [
    "ATTEMPT_MODES",
    "ATTEMPT_SCHEMA",
    "DB_ENV",
    "PATIENT_SCHEMA",
    "RECORDS_SCHEMA",
    "TRAINEE_SCHEMA",
    "VISIT_SCHEMA",
    "Patient",
    "PhotoInput",
    "PhotoRecord",
    "Store",
    "Trainee",
    "TrainingAttempt",
    "Visit",
    "attempt_to_json",
    "default_url",
    "head_revision",
    "migrate",
    "open_store",
    "patient_to_json",
    "trainee_to_json",
    "visit_to_json",
]
