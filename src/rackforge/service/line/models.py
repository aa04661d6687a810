"""The line board's tables: events and test results posted by the line, and the station tokens that
post them. Migration 0002 creates them (``service/migrations/versions/0002_line.py``).

Times posted by the line are the plant's clock (naive, as in test-results files; an offset is
converted to UTC); ``received_at`` is the server's UTC.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, DateTime, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from rackforge.service.models import Base, utcnow


class StationToken(Base):
    """A token a line station uses to post events and test results to one programme, and nothing else.

    ``rfs_<lookup>_<secret>``: ``lookup`` finds the row, only the SHA-256 of the 256-bit secret is kept
    (compared in constant time), as for API tokens (:mod:`rackforge.service.auth`).
    """

    __tablename__ = "station_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id", ondelete="CASCADE"), index=True)
    lookup: Mapped[str] = mapped_column(String(32), unique=True)
    secret_sha256: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(100), default="")
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class LineEventRow(Base):
    """One line event: a rack ``serial`` starts or finishes at ``station``, or the station goes down,
    is blocked or is back up (:data:`rackforge.factory.line_status.EVENT_STATUSES`)."""

    __tablename__ = "line_events"
    __table_args__ = (Index("ix_line_events_programme_at", "programme_id", "at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id", ondelete="CASCADE"))
    station: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(10))
    serial: Mapped[str | None] = mapped_column(String(80), nullable=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime)
    received_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class TestResultRow(Base):
    """One test attempt of a rack at a station (a row of the file ``rackforge tests import`` reads)."""

    __test__ = False  # not a pytest test class
    __tablename__ = "line_test_results"
    __table_args__ = (Index("ix_line_test_results_programme_started", "programme_id", "started"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id", ondelete="CASCADE"))
    serial: Mapped[str] = mapped_column(String(80))
    design: Mapped[str] = mapped_column(String(100))
    station: Mapped[str] = mapped_column(String(100))
    attempt: Mapped[int] = mapped_column(Integer)
    passed: Mapped[bool] = mapped_column(Boolean)
    failure_mode: Mapped[str | None] = mapped_column(String(100), nullable=True)
    started: Mapped[dt.datetime] = mapped_column(DateTime)
    duration_h: Mapped[float | None] = mapped_column(Float, nullable=True)
    received_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class ServiceSecret(Base):
    """A server-side secret made on first use, e.g. the key that signs the web pages' session cookies (so
    sessions survive a restart and are the same in every process on the database)."""

    __tablename__ = "service_secrets"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(255))
