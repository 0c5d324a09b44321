"""Patient records: patients, visits and photo analyses in a SQL database (SQLite or
PostgreSQL through SQLAlchemy 2), migrated forward by Alembic on open."""

from .models import Patient, PhotoRecord, Visit
from .store import (
    DB_ENV,
    PATIENT_SCHEMA,
    RECORDS_SCHEMA,
    VISIT_SCHEMA,
    PhotoInput,
    Store,
    default_url,
    head_revision,
    migrate,
    open_store,
    patient_to_json,
    visit_to_json,
)

__all__ = [
    "DB_ENV",
    "PATIENT_SCHEMA",
    "RECORDS_SCHEMA",
    "VISIT_SCHEMA",
    "Patient",
    "PhotoInput",
    "PhotoRecord",
    "Store",
    "Visit",
    "default_url",
    "head_revision",
    "migrate",
    "open_store",
    "patient_to_json",
    "visit_to_json",
]
