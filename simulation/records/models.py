"""The record tables (SQLAlchemy 2): patients, their visits, each visit's photo analyses.

Every child row is deleted with its parent, by the database (ON DELETE CASCADE) and by the ORM,
so deleting a patient leaves nothing of theirs behind."""

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

__all__ = ["Base", "Patient", "PhotoRecord", "Visit"]


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
