"""The record tables (SQLAlchemy 2): patients, their visits, each visit's photo analyses; and
trainees with their training attempts.

Every child row is deleted with its parent, by the database (ON DELETE CASCADE) and by the ORM,
so deleting a patient (or a trainee) leaves nothing of theirs behind."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

__all__ = ["Base", "Patient", "PhotoRecord", "Trainee", "TrainingAttempt", "Visit"]


class Base(DeclarativeBase):
    """Declarative base of the record tables."""


class Patient(Base):
    """A patient: display name or pseudonym, optional year of birth, notes, photo consent."""

    __tablename__ = "patients"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    birth_year: Mapped[int | None] = mapped_column(Integer, nullable=True)
    notes: Mapped[str] = mapped_column(Text, default="")
    photo_consent: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    visits: Mapped[list[Visit]] = relationship(
        back_populates="patient",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="Visit.date",
    )


class Visit(Base):
    """One visit: its date, the plan injected (product, lot, dilution), notes, who recorded it,
    and, when a plan was injected, the model's per-draw prediction for the follow-up."""

    __tablename__ = "visits"
    __table_args__ = (UniqueConstraint("patient_id", "date", name="uq_visit_patient_date"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    date: Mapped[dt.date] = mapped_column(Date)
    notes: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[str] = mapped_column(String(200), default="")
    plan_json: Mapped[str | None] = mapped_column(Text, nullable=True)
    product: Mapped[str | None] = mapped_column(String(100), nullable=True)
    lot: Mapped[str | None] = mapped_column(String(100), nullable=True)
    dilution_ml_per_100u: Mapped[float | None] = mapped_column(Float, nullable=True)
    prediction_draws: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    patient: Mapped[Patient] = relationship(back_populates="visits")
    photos: Mapped[list[PhotoRecord]] = relationship(
        back_populates="visit", cascade="all, delete-orphan", passive_deletes=True
    )


class PhotoRecord(Base):
    """One photo of a visit: expression, the analysis (landmarks, measurements and their ±) as
    JSON, and the photo itself (PNG, no metadata) only when the patient consented."""

    __tablename__ = "visit_photos"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"))
    expression: Mapped[str] = mapped_column(String(40))
    analysis_json: Mapped[str] = mapped_column(Text)
    photo_png: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    visit: Mapped[Visit] = relationship(back_populates="photos")


class Trainee(Base):
    """A trainee of the training mode: a unique display name or pseudonym."""

    __tablename__ = "trainees"
    __table_args__ = (UniqueConstraint("name", name="uq_trainee_name"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    attempts: Mapped[list[TrainingAttempt]] = relationship(
        back_populates="trainee",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by=lambda: [TrainingAttempt.created_at, TrainingAttempt.id],
    )


class TrainingAttempt(Base):
    """One submitted answer to a training case: exam or practice, the diagnosis and plan as
    JSON, the score (0-100), its parts as JSON and whether a safety fault capped it."""

    __tablename__ = "training_attempts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    trainee_id: Mapped[int] = mapped_column(
        ForeignKey("trainees.id", ondelete="CASCADE"), index=True
    )
    case_id: Mapped[str] = mapped_column(String(100))
    mode: Mapped[str] = mapped_column(String(20))
    diagnosis_json: Mapped[str] = mapped_column(Text)
    plan_json: Mapped[str] = mapped_column(Text)
    total: Mapped[float] = mapped_column(Float)
    components_json: Mapped[str] = mapped_column(Text)
    capped: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    trainee: Mapped[Trainee] = relationship(back_populates="attempts")
